import type { Kysely, Selectable, SelectQueryBuilder } from 'kysely';
import type { Db } from './database.ts';
import { type Prepared, prepared } from './prepared.ts';
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
  const keys = Object.keys(match);
  const query = shaped(
    `row\u0000${table}\u0000${columns?.join(',') ?? '*'}\u0000${keys.join(',')}`,
    (d, v) => {
      const from = untyped(d).selectFrom(table);
      return matching(columns ? from.select(columns) : from.selectAll(), v.workspace, slotsOf(v, keys));
    },
  );
  return query.execute(db, valuesOf(workspaceId, match)).then((result) => result.rows[0]);
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
  const keys = Object.keys(match);
  const query = shaped(`rows\u0000${table}\u0000${keys.join(',')}\u0000${orderBy.join(',')}`, (d, v) => {
    let built = matching(untyped(d).selectFrom(table).selectAll(), v.workspace, slotsOf(v, keys));
    for (const column of orderBy) built = built.orderBy(column);
    return built;
  });
  return query
    .execute(db, valuesOf(workspaceId, match as Record<string, unknown>))
    .then((result) => result.rows as Row<T>[]);
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

/** `workspace` and `match` are values, or a prepared query's slots for them. */
function matching(query: UntypedQuery, workspace: unknown, match: Record<string, unknown>): UntypedQuery {
  let where = query.where('workspace_id', '=', workspace);
  for (const [column, value] of Object.entries(match)) where = where.where(column, '=', value);
  return where;
}

/*
 * The reads above run for every lead a worker processes and every tool call of a council decision:
 * each shape (table, columns, matched keys, order) is built and compiled once and run with new
 * values (store/prepared.ts). Building them per call was 2-3% of a council decision's CPU samples
 * on SQLite; a lead's allocation fell 2% (bench:drain; its rate moved within the machine's drift).
 * The shapes are the call sites', a few dozen.
 */
type Values = Record<string, unknown>;
const shapes = new Map<string, Prepared<Values, unknown>>();

function shaped(key: string, build: (db: Db, values: Values) => UntypedQuery): Prepared<Values, unknown> {
  let query = shapes.get(key);
  if (!query) {
    query = prepared<Values>()((db, slots) => build(db, slots));
    shapes.set(key, query);
  }
  return query;
}

/** The slots' names: the workspace, then each matched column (prefixed, so no name clashes). */
const matchSlot = (column: string) => `match:${column}`;

function valuesOf(workspaceId: string, match: Record<string, unknown>): Values {
  const values: Values = { workspace: workspaceId };
  for (const [column, value] of Object.entries(match)) values[matchSlot(column)] = value;
  return values;
}

/** The matched columns' slots, by column. */
function slotsOf(slots: Values, keys: readonly string[]): Values {
  return Object.fromEntries(keys.map((column) => [column, slots[matchSlot(column)]]));
}
