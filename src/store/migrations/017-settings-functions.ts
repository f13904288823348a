import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { dropFunctions, revokeFromPublic } from './kit.ts';
import { quotedSchema } from './organisation-scope-check.ts';

/**
 * PostgreSQL only. Webhook secrets and workspace settings are written only through SECURITY
 * DEFINER functions; `leadloop migrate` leaves the application's role SELECT on `webhook_secrets`
 * and no UPDATE on `workspaces` (`app-role-grants.ts`). Even inside a signed data scope (say an
 * SQL injection in a request), a session then cannot plant a secret it knows: verification would
 * accept a plaintext value, so the functions accept only values sealed by the master key's box
 * (`sb<version>.` prefix), which a session without the key cannot make for its workspace's row.
 * Settings are written whole, as a JSON object, for a workspace in the scope. `search_path` is
 * pinned empty, EXECUTE is revoked from PUBLIC and granted to the application role.
 */
export function settingsFunctionsMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'postgres') return;
      const quoted = await quotedSchema(db);
      const q = (name: string) => sql.raw(`${quoted}.${name}`);
      const inScope = (column: string) => sql.raw(`${column} = any (${quoted}.leadloop_scope_workspaces())`);
      const sealed = (value: string) => sql.raw(`coalesce(${value}, '') ~ '^sb[0-9]+\\.'`);
      await sql`create or replace function ${q('settings_add_webhook_secret')}(p_workspace text, p_id text,
          p_sealed text, p_created_at bigint, p_previous_expires_at bigint)
        returns void language plpgsql security definer set search_path = '' as $fn$
        begin
          if not (${inScope('p_workspace')}) then
            raise exception 'workspace % is not in this transaction''s data scope', p_workspace using errcode = '42501';
          end if;
          if not (${sealed('p_sealed')}) then
            raise exception 'a webhook secret is stored sealed by the master key' using errcode = '22023';
          end if;
          if p_previous_expires_at is not null then
            update ${q('webhook_secrets')} s set expires_at = p_previous_expires_at
             where s.workspace_id = p_workspace and (s.expires_at is null or s.expires_at > p_previous_expires_at);
          end if;
          insert into ${q('webhook_secrets')} (id, workspace_id, secret, created_at, expires_at)
            values (p_id, p_workspace, p_sealed, p_created_at, null);
        end $fn$`.execute(db);
      await sql`create or replace function ${q('settings_reseal_webhook_secret')}(p_id text, p_old text, p_new text)
        returns boolean language plpgsql security definer set search_path = '' as $fn$
        begin
          if not (${sealed('p_new')}) then
            raise exception 'a webhook secret is stored sealed by the master key' using errcode = '22023';
          end if;
          update ${q('webhook_secrets')} s set secret = p_new
           where s.id = p_id and s.secret = p_old and ${inScope('s.workspace_id')};
          return found;
        end $fn$`.execute(db);
      await sql`create or replace function ${q('settings_update_workspace')}(p_workspace text, p_settings text)
        returns void language plpgsql security definer set search_path = '' as $fn$
        begin
          if not (${inScope('p_workspace')}) then
            raise exception 'workspace % is not in this transaction''s data scope', p_workspace using errcode = '42501';
          end if;
          if jsonb_typeof(p_settings::jsonb) is distinct from 'object' then
            raise exception 'workspace settings are a JSON object' using errcode = '22023';
          end if;
          update ${q('workspaces')} w set settings = p_settings where w.id = p_workspace;
        end $fn$`.execute(db);
      await revokeFromPublic(db, quoted, SETTINGS_FUNCTIONS);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'postgres') return;
      await dropFunctions(db, SETTINGS_FUNCTIONS);
    },
  };
}

/** The functions' signatures; `leadloop migrate` grants EXECUTE on them to the application role. */
export const SETTINGS_FUNCTIONS = [
  'settings_add_webhook_secret(text, text, text, bigint, bigint)',
  'settings_reseal_webhook_secret(text, text, text)',
  'settings_update_workspace(text, text)',
] as const;
