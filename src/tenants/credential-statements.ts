import { sql } from 'kysely';
import type { Db, DialectName } from '../store/index.ts';

/*
 * Reads and writes of the key tables. On PostgreSQL the application's role has no privilege on
 * them: it goes through the SECURITY DEFINER functions of migration 012, which return one row for
 * one hash and validate what is inserted. SQLite has no roles: plain statements.
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
  row: ApiKeyRow & { hash: string; prefix: string; label: string; created_at: number },
): Promise<void> {
  if (dialect === 'postgres') {
    await sql`select auth_insert_api_key(${row.id}, ${row.organisation_id}, ${row.workspace_id}, ${row.scope},
      ${row.hash}, ${row.prefix}, ${row.label}, ${row.created_at})`.execute(db);
    return;
  }
  await db.insertInto('api_keys').values(row).execute();
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
