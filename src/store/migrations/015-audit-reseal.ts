import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { quotedSchema } from './organisation-scope-check.ts';

/**
 * PostgreSQL only. `audit_reseal(ws, macs)` adds MACs to entries written before migration 010,
 * which have none; it never replaces a MAC, touches no other column, and only acts on a workspace
 * in the signed data scope. The application's role still has no UPDATE on the audit tables. A MAC
 * it could add without the key would not verify, so the function gives a database user nothing.
 */
export function auditResealMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'postgres') return;
      const quoted = await quotedSchema(db);
      const q = (name: string) => sql.raw(`${quoted}.${name}`);
      await sql`create function ${q('audit_reseal')}(p_workspace text, p_macs jsonb) returns integer
        language plpgsql security definer set search_path = '' as $fn$
        declare
          e jsonb;
          sealed integer := 0;
          n integer;
        begin
          if not (p_workspace = any (${q('leadloop_scope_workspaces')}())) then
            raise exception 'workspace % is not in this transaction''s data scope', p_workspace
              using errcode = '42501';
          end if;
          for e in select value from jsonb_array_elements(p_macs) loop
            update ${q('audit_log')} l set mac = e->>'mac'
             where l.workspace_id = p_workspace and l.seq = (e->>'seq')::bigint and l.mac is null;
            get diagnostics n = row_count;
            sealed := sealed + n;
          end loop;
          return sealed;
        end $fn$`.execute(db);
      await sql`revoke execute on function ${q('audit_reseal(text, jsonb)')} from public`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'postgres') await sql`drop function audit_reseal(text, jsonb)`.execute(db);
    },
  };
}
