/**
 * The migration kit: the shapes migrations repeat (a table from its column list, an index, a list
 * of drops), written once.
 *
 * APPEND-ONLY. A released migration must build the same schema forever, so a helper that a
 * migration already uses is never changed, not even its wording of a column: a new need gets a
 * new helper beside the old ones. test/migrations-frozen.test.ts compares what every migration
 * builds (and what every down() leaves) with checked-in snapshots on SQLite and PostgreSQL
 * (docs/decisions/2026-12-07-migration-kit.md).
 */
import {
  type ColumnDataType,
  type ColumnDefinitionBuilder,
  type CreateTableBuilder,
  type Kysely,
  sql,
} from 'kysely';
import { invariant } from '../../core/index.ts';
import type { DialectName } from '../dialect-name.ts';
import { enableTenantIsolation } from './005-row-level-security.ts';

/**
 * One column in the words its SQL is written in: a type (`text`, `integer`, `bigint`, `real`,
 * `double precision`, `bigserial`), then any of `not null`, `unique`, `primary key`,
 * `autoincrement`, `default <integer>`, `references <table>.<column>`. The words map onto
 * Kysely's column builder, which writes the modifiers in its own fixed order.
 */
export type ColumnWords = string;

const TYPES: readonly ColumnDataType[] = [
  'text',
  'integer',
  'bigint',
  'real',
  'double precision',
  'bigserial',
];

type Modifier = (c: ColumnDefinitionBuilder, argument: string) => ColumnDefinitionBuilder;

const MODIFIERS: ReadonlyArray<readonly [RegExp, Modifier]> = [
  [/^not null\b/, (c) => c.notNull()],
  [/^unique\b/, (c) => c.unique()],
  [/^primary key\b/, (c) => c.primaryKey()],
  [/^autoincrement\b/, (c) => c.autoIncrement()],
  [/^default (-?\d+)\b/, (c, value) => c.defaultTo(Number(value))],
  [/^references (\w+\.\w+)\b/, (c, target) => c.references(target)],
];

function parseColumn(words: ColumnWords): {
  type: ColumnDataType;
  build: (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;
} {
  const type = TYPES.find((t) => words === t || words.startsWith(`${t} `));
  invariant(type, `migration kit: no column type in "${words}"`);
  const steps: Array<(c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder> = [];
  let rest = words.slice(type.length).trim();
  while (rest) {
    const match = MODIFIERS.map(([pattern, apply]) => [rest.match(pattern), apply] as const).find(([m]) => m);
    invariant(match?.[0], `migration kit: unknown column words "${rest}" in "${words}"`);
    const [found, apply] = match;
    steps.push((c) => apply(c, found[1] ?? ''));
    rest = rest.slice(found[0].length).trim();
  }
  return { type, build: (c) => steps.reduce((built, step) => step(built), c) };
}

/** A table: its name, its columns in order, and the columns of a composite key (constraint `<name>_pk`). */
export interface TableSpec {
  name: string;
  columns: Readonly<Record<string, ColumnWords>>;
  primaryKey?: readonly string[];
}

/**
 * Creates the table `spec` describes.
 *
 * @example
 * await createTable(db, {
 *   name: 'playbooks',
 *   columns: { ...IN_WORKSPACE, id: 'text not null', updated_at: 'bigint not null' },
 *   primaryKey: ['workspace_id', 'id'],
 * });
 */
export async function createTable(db: Kysely<unknown>, spec: TableSpec): Promise<void> {
  let builder: CreateTableBuilder<string, string> = db.schema.createTable(spec.name);
  for (const [name, words] of Object.entries(spec.columns)) {
    const { type, build } = parseColumn(words);
    builder = builder.addColumn(name, type, build);
  }
  if (spec.primaryKey) builder = builder.addPrimaryKeyConstraint(`${spec.name}_pk`, [...spec.primaryKey]);
  await builder.execute();
}

/**
 * Creates a table of tenant rows and, on PostgreSQL, puts it under row-level security by its
 * `workspace_id` (`enableTenantIsolation`, migration 005).
 */
export async function createTenantTable(
  db: Kysely<unknown>,
  dialect: DialectName,
  spec: TableSpec,
): Promise<void> {
  await createTable(db, spec);
  if (dialect === 'postgres') await enableTenantIsolation(db, spec.name);
}

/** Adds one column to an existing table, in the words of {@link createTable}. */
export async function addColumn(
  db: Kysely<unknown>,
  table: string,
  name: string,
  words: ColumnWords,
): Promise<void> {
  const { type, build } = parseColumn(words);
  await db.schema.alterTable(table).addColumn(name, type, build).execute();
}

/** Creates the index `name` on `table`'s `columns`, in that order. */
export async function createIndex(
  db: Kysely<unknown>,
  name: string,
  table: string,
  columns: readonly string[],
  options: { unique?: boolean } = {},
): Promise<void> {
  const index = db.schema
    .createIndex(name)
    .on(table)
    .columns([...columns]);
  await (options.unique ? index.unique() : index).execute();
}

/** Drops the tables named, in the order given (dependants first). */
export async function dropTables(db: Kysely<unknown>, tables: readonly string[]): Promise<void> {
  for (const table of tables) await db.schema.dropTable(table).execute();
}

/** Drops the indexes named, in the order given. */
export async function dropIndexes(db: Kysely<unknown>, indexes: readonly string[]): Promise<void> {
  for (const index of indexes) await db.schema.dropIndex(index).execute();
}

/** The first columns of a row that belongs to one workspace: its own id, then the workspace's. */
export const WORKSPACE_ROW = {
  id: 'text primary key',
  workspace_id: 'text not null references workspaces.id',
} as const satisfies Record<string, ColumnWords>;

/** The workspace column of a table whose key is the workspace and more (see `primaryKey`). */
export const IN_WORKSPACE = {
  workspace_id: 'text not null references workspaces.id',
} as const satisfies Record<string, ColumnWords>;

/** The key of a table that holds one row per workspace (its settings, its state). */
export const PER_WORKSPACE = {
  workspace_id: 'text primary key references workspaces.id',
} as const satisfies Record<string, ColumnWords>;

/** When the row was created and last changed, in epoch milliseconds. */
export const CREATED_UPDATED = {
  created_at: 'bigint not null',
  updated_at: 'bigint not null',
} as const satisfies Record<string, ColumnWords>;

/** Whether the current schema has the table `name` (a migration that may run before or after its creator). */
export async function tableExists(db: Kysely<unknown>, name: string): Promise<boolean> {
  const { rows } = await sql<{ present: boolean }>`
    select to_regclass(quote_ident(current_schema()) || ${`.${name}`}) is not null as present`.execute(db);
  return rows[0]?.present === true;
}

/** Takes EXECUTE on the definer functions (signatures) in `quotedSchema` from PUBLIC; grants come later. */
export async function revokeFromPublic(
  db: Kysely<unknown>,
  quotedSchema: string,
  functions: readonly string[],
): Promise<void> {
  for (const fn of functions)
    await sql`revoke execute on function ${sql.raw(`${quotedSchema}.${fn}`)} from public`.execute(db);
}

/** Drops the functions (signatures) that exist, in the order given. */
export async function dropFunctions(db: Kysely<unknown>, functions: readonly string[]): Promise<void> {
  for (const fn of functions) await sql`drop function if exists ${sql.raw(fn)}`.execute(db);
}
