import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { dropFunctions, revokeFromPublic } from './kit.ts';

/**
 * PostgreSQL only. API keys and widget keys are reached through SECURITY DEFINER functions, and
 * `leadloop migrate` revokes every privilege on the two tables from the application's role and
 * PUBLIC: a lookup returns one row for one hash (or one publishable key), never hashes, and nobody
 * can list the keys. Inserts validate the scope value (a caller cannot make it wider than the
 * known scopes) and, for a workspace key, that the workspace is in the transaction's data scope
 * and belongs to the key's organisation. `search_path` is pinned empty, names are qualified.
 */
export function credentialFunctionsMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'postgres') return;
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
      const current = rows[0]?.schema ?? 'public';
      const schema = `"${current.replaceAll('"', '""')}"`;
      await createCredentialFunctions(
        db,
        current,
        `p_workspace = any (string_to_array(current_setting('app.workspace_id', true), ','))`,
      );
      await revokeFromPublic(db, schema, CREDENTIAL_FUNCTIONS);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'postgres') return;
      await dropFunctions(db, CREDENTIAL_FUNCTIONS);
    },
  };
}

/** The functions' signatures, for grants (`leadloop migrate`) and revocation. */
export const CREDENTIAL_FUNCTIONS = [
  'auth_resolve_api_key(text)',
  'auth_resolve_widget_key(text)',
  'auth_insert_api_key(text, text, text, text, text, text, text, bigint)',
  'auth_insert_widget_key(text, text, bigint)',
] as const;

/**
 * Creates (or replaces) the credential functions; `scopeCheck` is the SQL condition that
 * `p_workspace` is in the transaction's data scope (migration 013 replaces the settable setting
 * with the signed scope).
 */
export async function createCredentialFunctions(db: Kysely<unknown>, current: string, scopeCheck: string) {
  const schema = `"${current.replaceAll('"', '""')}"`;
  const q = (name: string) => sql.raw(`${schema}.${name}`);
  const inScope = sql.raw(scopeCheck);
  const orgScope = sql.raw(scopeCheck.replace('p_workspace', 'w.id'));
  await sql`create or replace function ${q('auth_resolve_api_key')}(p_hash text)
    returns table (id text, organisation_id text, workspace_id text, scope text, revoked_at bigint)
    language sql stable security definer set search_path = '' as $fn$
      select k.id, k.organisation_id, k.workspace_id, k.scope, k.revoked_at
        from ${q('api_keys')} k where k.hash = p_hash limit 1
    $fn$`.execute(db);
  await sql`create or replace function ${q('auth_resolve_widget_key')}(p_key text)
    returns table (workspace_id text, revoked_at bigint)
    language sql stable security definer set search_path = '' as $fn$
      select w.workspace_id, w.revoked_at from ${q('widget_keys')} w where w.key = p_key limit 1
    $fn$`.execute(db);
  await sql`create or replace function ${q('auth_insert_api_key')}(p_id text, p_organisation text, p_workspace text,
      p_scope text, p_hash text, p_prefix text, p_label text, p_created_at bigint)
    returns void language plpgsql security definer set search_path = '' as $fn$
    begin
      if p_scope not in ('admin', 'ingest', 'read', 'advise', 'org') then
        raise exception 'unknown key scope %', p_scope using errcode = '22023';
      end if;
      if (p_scope = 'org') <> (p_workspace is null) then
        raise exception 'an org key has no workspace, and only an org key' using errcode = '22023';
      end if;
      -- An organisation key reaches all of the organisation's workspaces: all must be in scope.
      if p_workspace is null and (
           not exists (select 1 from ${q('workspaces')} w where w.organisation_id = p_organisation)
           or exists (select 1 from ${q('workspaces')} w
                       where w.organisation_id = p_organisation and not (${orgScope}))) then
        raise exception 'organisation % is not wholly in this transaction''s data scope', p_organisation
          using errcode = '42501';
      end if;
      if p_workspace is not null then
        if not (${inScope}) then
          raise exception 'workspace % is not in this transaction''s data scope', p_workspace
            using errcode = '42501';
        end if;
        if not exists (select 1 from ${q('workspaces')} w
                        where w.id = p_workspace and w.organisation_id = p_organisation) then
          raise exception 'workspace % is not in organisation %', p_workspace, p_organisation
            using errcode = '42501';
        end if;
      end if;
      insert into ${q('api_keys')} (id, organisation_id, workspace_id, scope, hash, prefix, label, created_at, revoked_at)
        values (p_id, p_organisation, p_workspace, p_scope, p_hash, p_prefix, p_label, p_created_at, null);
    end $fn$`.execute(db);
  await sql`create or replace function ${q('auth_insert_widget_key')}(p_key text, p_workspace text, p_created_at bigint)
    returns void language plpgsql security definer set search_path = '' as $fn$
    begin
      if not (${inScope}) then
        raise exception 'workspace % is not in this transaction''s data scope', p_workspace
          using errcode = '42501';
      end if;
      insert into ${q('widget_keys')} (key, workspace_id, created_at, revoked_at)
        values (p_key, p_workspace, p_created_at, null);
    end $fn$`.execute(db);
}
