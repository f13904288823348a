import { sql } from 'kysely';
import type { Db, DialectName } from '../store/index.ts';
import { workspaceRow } from '../store/index.ts';

/*
 * Reads and writes of the key tables, webhook secrets and workspace settings. On PostgreSQL the
 * application's role has no privilege on the key tables and cannot write secrets or settings: it
 * goes through the SECURITY DEFINER functions of migrations 012 and 017, which return one row for
 * one hash and validate what is written. SQLite has no roles: plain statements.
 */

export interface ApiKeyRow {
  id: string;
  organisation_id: string;
  workspace_id: string | null;
  scope: string;
  revoked_at: number | null;
}

export async function lookupApiKey(
  db: Db,
  dialect: DialectName,
  hash: string,
): Promise<ApiKeyRow | undefined> {
  if (dialect === 'postgres') {
    const { rows } = await sql<ApiKeyRow>`select * from auth_resolve_api_key(${hash})`.execute(db);
    return rows[0];
  }
  return db
    .selectFrom('api_keys')
    .select(['id', 'organisation_id', 'workspace_id', 'scope', 'revoked_at'])
    .where('hash', '=', hash)
    .executeTakeFirst();
}

export async function insertApiKey(
  db: Db,
  dialect: DialectName,
  row: ApiKeyRow & { hash: string; prefix: string; label: string; created_at: number; created_by: string },
): Promise<void> {
  if (dialect === 'postgres') {
    await sql`select auth_create_api_key(${row.id}, ${row.organisation_id}, ${row.workspace_id}, ${row.scope},
      ${row.hash}, ${row.prefix}, ${row.label}, ${row.created_at}, ${row.created_by})`.execute(db);
    return;
  }
  await db.insertInto('api_keys').values(row).execute();
}

/** A key as its workspace's admins see it: never the key, its hash or its prefix. */
export interface ListedApiKeyRow {
  id: string;
  scope: string;
  label: string;
  created_at: number;
  created_by: string | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** The keys of one workspace, oldest first; on PostgreSQL only for a workspace of the data scope. */
export async function listApiKeys(
  db: Db,
  dialect: DialectName,
  workspaceId: string,
): Promise<ListedApiKeyRow[]> {
  if (dialect === 'postgres') {
    const { rows } = await sql<ListedApiKeyRow>`select * from auth_list_api_keys(${workspaceId})`.execute(db);
    return rows;
  }
  return db
    .selectFrom('api_keys')
    .select(['id', 'scope', 'label', 'created_at', 'created_by', 'last_used_at', 'revoked_at'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export type RevokeOutcome = 'revoked' | 'already_revoked' | 'missing';

/**
 * Revokes one key of a workspace and counts the workspace's unrevoked admin keys after it. Run it
 * in a transaction: the caller rolls back when the count leaves the workspace without an admin.
 * On SQLite the transaction holds the write lock from its start (BEGIN IMMEDIATE), which
 * serialises racing revocations; on PostgreSQL the function takes a per-workspace advisory lock.
 */
export async function revokeApiKey(
  trx: Db,
  dialect: DialectName,
  input: { workspaceId: string; id: string; now: number },
): Promise<{ outcome: RevokeOutcome; remainingAdminKeys: number }> {
  if (dialect === 'postgres') {
    const { rows } = await sql<{ outcome: RevokeOutcome; remaining_admin_keys: string | number }>`
      select * from auth_revoke_api_key(${input.workspaceId}, ${input.id}, ${input.now})`.execute(trx);
    const row = rows[0];
    return { outcome: row?.outcome ?? 'missing', remainingAdminKeys: Number(row?.remaining_admin_keys ?? 0) };
  }
  const row = await workspaceRow(trx, 'api_keys', input.workspaceId, { id: input.id }, ['revoked_at']);
  let outcome: RevokeOutcome = 'missing';
  if (row && row.revoked_at !== null) outcome = 'already_revoked';
  else if (row) {
    await trx.updateTable('api_keys').set({ revoked_at: input.now }).where('id', '=', input.id).execute();
    outcome = 'revoked';
  }
  const { count } = await trx
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('workspace_id', '=', input.workspaceId)
    .where('scope', '=', 'admin')
    .where('revoked_at', 'is', null)
    .executeTakeFirstOrThrow();
  return { outcome, remainingAdminKeys: Number(count) };
}

/** Records that a key authenticated; the statement itself skips keys marked within the last minute. */
export async function touchApiKey(db: Db, dialect: DialectName, id: string, now: number): Promise<void> {
  if (dialect === 'postgres') {
    await sql`select auth_touch_api_key(${id}, ${now})`.execute(db);
    return;
  }
  await db
    .updateTable('api_keys')
    .set({ last_used_at: now })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', now - 60_000)]))
    .execute();
}

export async function lookupWidgetKey(
  db: Db,
  dialect: DialectName,
  key: string,
): Promise<{ workspace_id: string; revoked_at: number | null } | undefined> {
  if (dialect === 'postgres') {
    const { rows } = await sql<{ workspace_id: string; revoked_at: number | null }>`
      select * from auth_resolve_widget_key(${key})`.execute(db);
    return rows[0];
  }
  return db
    .selectFrom('widget_keys')
    .select(['workspace_id', 'revoked_at'])
    .where('key', '=', key)
    .executeTakeFirst();
}

export async function insertWidgetKey(
  db: Db,
  dialect: DialectName,
  row: { key: string; workspace_id: string; created_at: number },
): Promise<void> {
  if (dialect === 'postgres') {
    await sql`select auth_insert_widget_key(${row.key}, ${row.workspace_id}, ${row.created_at})`.execute(db);
    return;
  }
  await db
    .insertInto('widget_keys')
    .values({ ...row, revoked_at: null })
    .execute();
}

/**
 * Adds a webhook secret to a workspace; with `previousExpiresAt`, the secrets it replaces verify
 * until then (a rotation). On PostgreSQL through `settings_add_webhook_secret` (migration 017),
 * which accepts only a sealed value for a workspace in the transaction's data scope.
 */
export async function addWebhookSecret(
  db: Db,
  dialect: DialectName,
  row: { id: string; workspace_id: string; secret: string; created_at: number },
  previousExpiresAt: number | null,
): Promise<void> {
  if (dialect === 'postgres') {
    await sql`select settings_add_webhook_secret(${row.workspace_id}, ${row.id}, ${row.secret},
      ${row.created_at}, ${previousExpiresAt})`.execute(db);
    return;
  }
  if (previousExpiresAt !== null)
    await db
      .updateTable('webhook_secrets')
      .set({ expires_at: previousExpiresAt })
      .where('workspace_id', '=', row.workspace_id)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', previousExpiresAt)]))
      .execute();
  await db
    .insertInto('webhook_secrets')
    .values({ ...row, expires_at: null })
    .execute();
}

/** Replaces a workspace's settings (JSON text); on PostgreSQL through `settings_update_workspace`. */
export async function writeWorkspaceSettings(
  db: Db,
  dialect: DialectName,
  workspaceId: string,
  settings: string,
): Promise<void> {
  if (dialect === 'postgres') {
    await sql`select settings_update_workspace(${workspaceId}, ${settings})`.execute(db);
    return;
  }
  await db.updateTable('workspaces').set({ settings }).where('id', '=', workspaceId).execute();
}
