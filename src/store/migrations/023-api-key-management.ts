import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { addColumn, dropFunctions, revokeFromPublic } from './kit.ts';
import { quotedSchema } from './organisation-scope-check.ts';

/**
 * Listing and revoking a workspace's API keys (the console's settings, `leadloop keys`). Two
 * columns: who created a key (`user:<id>`, `api_key:<id>`, `cli:<name>`; null on keys made before
 * this migration) and when it last authenticated (written at most once a minute per key).
 *
 * PostgreSQL: the application's role still has no privilege on `api_keys` (migration 012), so
 * the new operations are SECURITY DEFINER functions with `search_path` pinned empty:
 * - `auth_list_api_keys(workspace)`: the keys of one workspace of the signed data scope, without
 *   hash or prefix.
 * - `auth_create_api_key(…, created_by)`: `auth_insert_api_key` (its checks) plus the creator.
 * - `auth_revoke_api_key(workspace, id, now)`: revokes one key of a workspace of the scope and
 *   answers what happened and how many unrevoked admin keys the workspace has left. It takes a
 *   transaction-scoped advisory lock per workspace, so two revocations racing for the last admin
 *   keys are serialised and the caller's check of the count (which rolls back) sees the other.
 * - `auth_touch_api_key(id, now)`: sets `last_used_at`, at most once a minute. It needs no scope:
 *   it runs before a scope exists; the worst a caller with the role can do is mark a key used.
 */
export function apiKeyManagementMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await addColumn(db, 'api_keys', 'created_by', 'text');
      await addColumn(db, 'api_keys', 'last_used_at', 'bigint');
      if (dialect !== 'postgres') return;
      const quoted = await quotedSchema(db);
      const q = (name: string) => sql.raw(`${quoted}.${name}`);
      const inScope = sql.raw(`p_workspace = any (${quoted}.leadloop_scope_workspaces())`);
      const notInScope = sql`raise exception 'workspace % is not in this transaction''s data scope', p_workspace
            using errcode = '42501'`;
      await sql`create or replace function ${q('auth_list_api_keys')}(p_workspace text)
        returns table (id text, scope text, label text, created_at bigint, created_by text,
                       last_used_at bigint, revoked_at bigint)
        language plpgsql stable security definer set search_path = '' as $fn$
        begin
          if not (${inScope}) then ${notInScope}; end if;
          return query select k.id, k.scope, k.label, k.created_at, k.created_by, k.last_used_at, k.revoked_at
            from ${q('api_keys')} k where k.workspace_id = p_workspace order by k.created_at, k.id;
        end $fn$`.execute(db);
      await sql`create or replace function ${q('auth_create_api_key')}(p_id text, p_organisation text,
          p_workspace text, p_scope text, p_hash text, p_prefix text, p_label text, p_created_at bigint,
          p_created_by text)
        returns void language plpgsql security definer set search_path = '' as $fn$
        begin
          perform ${q('auth_insert_api_key')}(p_id, p_organisation, p_workspace, p_scope, p_hash, p_prefix,
            p_label, p_created_at);
          update ${q('api_keys')} k set created_by = p_created_by where k.id = p_id;
        end $fn$`.execute(db);
      await sql`create or replace function ${q('auth_revoke_api_key')}(p_workspace text, p_id text, p_now bigint)
        returns table (outcome text, remaining_admin_keys bigint)
        language plpgsql security definer set search_path = '' as $fn$
        declare
          previous bigint;
          present boolean;
        begin
          if not (${inScope}) then ${notInScope}; end if;
          perform pg_advisory_xact_lock(hashtext('leadloop.api_keys:' || p_workspace));
          select true, k.revoked_at into present, previous from ${q('api_keys')} k
           where k.id = p_id and k.workspace_id = p_workspace;
          if present is null then
            outcome := 'missing';
          elsif previous is not null then
            outcome := 'already_revoked';
          else
            update ${q('api_keys')} k set revoked_at = p_now where k.id = p_id;
            outcome := 'revoked';
          end if;
          select count(*) into remaining_admin_keys from ${q('api_keys')} k
           where k.workspace_id = p_workspace and k.scope = 'admin' and k.revoked_at is null;
          return next;
        end $fn$`.execute(db);
      await sql`create or replace function ${q('auth_touch_api_key')}(p_id text, p_now bigint)
        returns void language sql security definer set search_path = '' as $fn$
          update ${q('api_keys')} k set last_used_at = p_now
           where k.id = p_id and (k.last_used_at is null or k.last_used_at < p_now - 60000)
        $fn$`.execute(db);
      await revokeFromPublic(db, quoted, KEY_MANAGEMENT_FUNCTIONS);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'postgres') await dropFunctions(db, KEY_MANAGEMENT_FUNCTIONS);
      await db.schema.alterTable('api_keys').dropColumn('last_used_at').execute();
      await db.schema.alterTable('api_keys').dropColumn('created_by').execute();
    },
  };
}

/** The functions' signatures; `leadloop migrate` grants EXECUTE on them to the application role. */
export const KEY_MANAGEMENT_FUNCTIONS = [
  'auth_list_api_keys(text)',
  'auth_create_api_key(text, text, text, text, text, text, text, bigint, text)',
  'auth_revoke_api_key(text, text, bigint)',
  'auth_touch_api_key(text, bigint)',
] as const;
