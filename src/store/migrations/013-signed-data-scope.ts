import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { verifiedScopeCondition } from './005-row-level-security.ts';
import { createAuditAppendFunctions } from './010-audit-append.ts';
import { createCredentialFunctions } from './012-credential-functions.ts';
import { revokeFromPublic } from './kit.ts';

/**
 * PostgreSQL only. Row-level security stops trusting `app.workspace_id` and `app.scheduler`,
 * which any session with the application role's credentials can set. The scope now counts only
 * with `app.scope_proof`: an HMAC (key id, backend pid, expiry, scope) under a key derived from
 * the master key and kept in `scope_keys`, which only the owner can read (`leadloop migrate`
 * provisions it). `leadloop_scope_check` (SECURITY DEFINER) verifies the proof with the built-in
 * `sha256` over the stored HMAC pads; `leadloop_scope_workspaces()` and
 * `leadloop_scope_is_scheduler()` return the verified scope, and every policy and every definer
 * function that checked the setting now reads them. A proof made for one backend fails in any
 * other (the pid), and expires (checked against the transaction's start).
 */
export function signedDataScopeMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'postgres') return;
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
      const schema = rows[0]?.schema as string;
      const q = (name: string) => sql.raw(`"${schema.replaceAll('"', '""')}".${name}`);
      await sql`create table ${q('scope_keys')} (
        id text primary key, ipad bytea not null, opad bytea not null, created_at bigint not null)`.execute(
        db,
      );
      await sql`revoke all on ${q('scope_keys')} from public`.execute(db);
      await sql`create function ${q('leadloop_scope_check')}(p_subject text) returns boolean
        language plpgsql stable security definer set search_path = '' as $fn$
        declare
          proof text[] := string_to_array(current_setting('app.scope_proof', true), '.');
          k record;
        begin
          if proof is null or coalesce(array_length(proof, 1), 0) <> 4 or coalesce(p_subject, '') = ''
             or proof[2] is distinct from pg_backend_pid()::text or proof[3] !~ '^[0-9]{1,12}$' then
            return false;
          end if;
          if proof[3]::bigint < extract(epoch from now()) then
            return false;
          end if;
          select s.ipad, s.opad into k from ${q('scope_keys')} s where s.id = proof[1];
          if not found then
            return false;
          end if;
          return encode(sha256(k.opad || sha256(k.ipad || convert_to(
            proof[1] || '|' || proof[2] || '|' || proof[3] || '|' || p_subject, 'UTF8'))), 'hex') = proof[4];
        end $fn$`.execute(db);
      await sql`create function ${q('leadloop_scope_workspaces')}() returns text[]
        language sql stable set search_path = '' as $fn$
          select case when ${q('leadloop_scope_check')}(v.s) then string_to_array(v.s, ',') else '{}'::text[] end
            from (select coalesce(current_setting('app.workspace_id', true), '') as s) v
        $fn$`.execute(db);
      await sql`create function ${q('leadloop_scope_is_scheduler')}() returns boolean
        language sql stable set search_path = '' as $fn$
          select coalesce(current_setting('app.scheduler', true), '') = 'on'
             and ${q('leadloop_scope_check')}('*scheduler')
        $fn$`.execute(db);
      await revokeFromPublic(db, `"${schema.replaceAll('"', '""')}"`, SCOPE_FUNCTIONS);

      const policies = await sql<{ table: string }>`
        select tablename as table from pg_policies
         where schemaname = ${schema} and policyname = 'tenant_isolation'`.execute(db);
      const condition = sql.raw(verifiedScopeCondition(schema, 'workspace_id'));
      for (const { table } of policies.rows)
        await sql`alter policy tenant_isolation on ${q(`"${table}"`)} using (${condition}) with check (${condition})`.execute(
          db,
        );
      const scheduler = sql.raw(
        `(select ${`"${schema.replaceAll('"', '""')}"`}.leadloop_scope_is_scheduler())`,
      );
      await sql`alter policy scheduler on ${q('jobs')} using (${scheduler}) with check (${scheduler})`.execute(
        db,
      );

      const definerCheck = `p_workspace = any ("${schema.replaceAll('"', '""')}".leadloop_scope_workspaces())`;
      await createAuditAppendFunctions(db, schema, definerCheck);
      await createCredentialFunctions(db, schema, definerCheck);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'postgres') return;
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
      const schema = rows[0]?.schema as string;
      const legacy = `p_workspace = any (string_to_array(current_setting('app.workspace_id', true), ','))`;
      await createAuditAppendFunctions(db, schema, legacy);
      await createCredentialFunctions(db, schema, legacy);
      const policies = await sql<{ table: string }>`
        select tablename as table from pg_policies
         where schemaname = ${schema} and policyname = 'tenant_isolation'`.execute(db);
      const condition = sql.raw(legacy.replace('p_workspace', 'workspace_id'));
      for (const { table } of policies.rows)
        await sql`alter policy tenant_isolation on ${sql.table(table)} using (${condition}) with check (${condition})`.execute(
          db,
        );
      const scheduler = sql.raw(`current_setting('app.scheduler', true) = 'on'`);
      await sql`alter policy scheduler on jobs using (${scheduler}) with check (${scheduler})`.execute(db);
      for (const fn of [...SCOPE_FUNCTIONS].reverse()) await sql`drop function ${sql.raw(fn)}`.execute(db);
      await sql`drop table scope_keys`.execute(db);
    },
  };
}

/** The scope functions' signatures; the application's role may execute them (`leadloop migrate`). */
export const SCOPE_FUNCTIONS = [
  'leadloop_scope_check(text)',
  'leadloop_scope_workspaces()',
  'leadloop_scope_is_scheduler()',
] as const;
