import type { Kysely, Selectable, SelectQueryBuilder } from 'kysely';
import type { Db } from './database.ts';
import type { Database } from './schema.ts';

/** The tables with a `workspace_id` column. */
type WorkspaceTable = {
  [T in keyof Database]: 'workspace_id' extends keyof Database[T] ? T : never;
}[keyof Database];

type Row<T extends WorkspaceTable> = Selectable<Database[T]>;

/** Equality conditions on a table's columns, besides the workspace's. */
type Match<T extends WorkspaceTable> = Partial<Record<keyof Row<T> & string, string | number>>;

/**
 * The row of a workspace's table that `match` names (by its key, or a key within the workspace),
 * reading only `columns` when given; undefined when there is none. Every repository read "this one
 * row of this workspace" the same way, so the workspace condition cannot be forgotten in one of them.
 */
export function workspaceRow<T extends WorkspaceTable>(
  db: Db,
  table: T,
  workspaceId: string,
  match: Match<T>,
): Promise<Row<T> | undefined>;
export function workspaceRow<T extends WorkspaceTable, C extends keyof Row<T> & string>(
  db: Db,
  table: T,
  workspaceId: string,
  match: Match<T>,
  columns: readonly C[],
): Promise<Pick<Row<T>, C> | undefined>;
export function workspaceRow(
  db: Db,
  table: WorkspaceTable,
  workspaceId: string,
  match: Record<string, string | number | undefined>,
  columns?: readonly string[],
): Promise<unknown> {
  const from = untyped(db).selectFrom(table);
  return matching(columns ? from.select(columns) : from.selectAll(), workspaceId, match).executeTakeFirst();
}

/**
 * Every row of a workspace's table that `match` names (a lead's history, a run's steps), whole, in
 * ascending order of the `orderBy` columns.
 */
export function workspaceRows<T extends WorkspaceTable>(
  db: Db,
  table: T,
  workspaceId: string,
  match: Match<T>,
  orderBy: readonly (keyof Row<T> & string)[],
): Promise<Row<T>[]> {
  let query = matching(untyped(db).selectFrom(table).selectAll(), workspaceId, match);
  for (const column of orderBy) query = query.orderBy(column);
  return query.execute() as Promise<Row<T>[]>;
}

/**
 * A page of a workspace's table, newest first by `newest` (then by id, so a page is stable), at
 * most `limit` rows. A `match` value left undefined does not filter: a list's optional filter.
 */
export function workspacePage<T extends WorkspaceTable>(
  db: Db,
  table: T,
  workspaceId: string,
  match: Partial<Record<keyof Row<T> & string, string | number | undefined>>,
  page: { newest: keyof Row<T> & string; limit: number },
): Promise<Row<T>[]> {
  const given = Object.fromEntries(Object.entries(match).filter(([, value]) => value !== undefined));
  return matching(untyped(db).selectFrom(table).selectAll(), workspaceId, given)
    .orderBy(page.newest, 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit)
    .execute() as Promise<Row<T>[]>;
}

// Kysely cannot check a column against a table chosen by a type parameter; the signatures above
// keep callers typed, so the queries themselves are built on the untyped builder.
// biome-ignore lint/suspicious/noExplicitAny: see above
type UntypedQuery = SelectQueryBuilder<any, any, any>;

// biome-ignore lint/suspicious/noExplicitAny: see above
const untyped = (db: Db) => db as unknown as Kysely<any>;

function matching(query: UntypedQuery, workspaceId: string, match: Record<string, unknown>): UntypedQuery {
  let where = query.where('workspace_id', '=', workspaceId);
  for (const [column, value] of Object.entries(match)) where = where.where(column, '=', value);
  return where;
}
