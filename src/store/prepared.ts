import type { Compilable, CompiledQuery, DialectAdapter, KyselyPlugin, QueryResult } from 'kysely';
import { fixedChunks } from './chunks.ts';
import type { Db } from './database.ts';
import { executeCompiled } from './direct-runner.ts';

/**
 * Stand-ins for a prepared query's values while it is built. They are typed `never` so that they
 * fit any column, which keeps the builder's checks on tables, columns and operators.
 */
export type Slots<V> = { readonly [K in keyof V]: never };

export interface Prepared<V, O> {
  /** Runs the query in `db` (a transaction or the database) with these values. */
  execute(db: Db, values: V): Promise<QueryResult<O>>;
}

export interface PreparedRows<R, O> {
  /**
   * Runs the query for these rows (none: nothing runs) in fixedChunks' sizes up to `maxRows`, so
   * only a few statement texts exist; returns the rows of every chunk's result (`returning`).
   */
  execute(db: Db, rows: readonly R[]): Promise<O[]>;
  /** For a single chunk, when the caller needs the result (e.g. `returning`). */
  executeOne(db: Db, rows: readonly R[]): Promise<QueryResult<O>>;
}

/** Where a parameter's value comes from: row `row` (or the values, -1) under `key`; null: a constant. */
type Source = { row: number; key: string } | null;

class Slot {
  readonly source: { row: number; key: string };
  constructor(source: { row: number; key: string }) {
    this.source = source;
  }
}

function slotsFor(row: number): Record<string, never> {
  const cache: Record<string, Slot> = {};
  return new Proxy(cache, {
    get: (target, key) => {
      if (typeof key !== 'string') return undefined;
      target[key] ??= new Slot({ row, key });
      return target[key];
    },
  }) as unknown as Record<string, never>;
}

interface Template {
  query: CompiledQuery<unknown>;
  sources: Source[];
}

function compileTemplate(query: CompiledQuery<unknown>): Template {
  return { query, sources: query.parameters.map((p) => (p instanceof Slot ? p.source : null)) };
}

/**
 * Compiled SQL depends on the dialect and the handle's plugins, not on the handle: a transaction
 * (a handle of its own, one per worker set) compiles what its database compiled. Keyed per handle,
 * every set compiled every prepared query again; with sets of a few jobs that was a fixed cost
 * per set (docs/decisions/2026-12-06-worker-set-size.md). The dialect is the adapter object its
 * Kysely instance created once; transactions copy the plugin list, so plugins compare one by one.
 */
function perDialect<T>() {
  const byAdapter = new WeakMap<DialectAdapter, { plugins: readonly KyselyPlugin[]; value: T }[]>();
  return (db: Db, create: () => T): T => {
    const { adapter, plugins } = db.getExecutor();
    let entries = byAdapter.get(adapter);
    if (!entries) {
      entries = [];
      byAdapter.set(adapter, entries);
    }
    const found = entries.find(
      (entry) => entry.plugins.length === plugins.length && entry.plugins.every((p, i) => p === plugins[i]),
    );
    if (found) return found.value;
    const value = create();
    entries.push({ plugins: [...plugins], value });
    return value;
  };
}

/** Runs the template with values from `pick` (on the connection directly when `db` holds it). */
function run<O>(
  db: Db,
  template: Template,
  pick: (source: { row: number; key: string }) => unknown,
): Promise<QueryResult<O>> {
  const { query, sources } = template;
  const parameters = sources.map((source, i) => (source === null ? query.parameters[i] : pick(source)));
  return executeCompiled(db, { ...query, parameters } as CompiledQuery<O>);
}

/**
 * A query built and compiled once per database handle, then executed with new values: what a
 * worker runs for every lead. Kysely builds an immutable tree and compiles it to SQL on every call,
 * which was two fifths of all allocation while the workers drained a backlog (npm run bench:drain);
 * a prepared query skips both and hands the same SQL text to the driver, whose statement cache
 * then finds it. Compiled SQL depends on the dialect, so it is kept per dialect (see `perDialect`).
 *
 * `const q = prepared<{ id: string }>()((db, v) => db.selectFrom('events').selectAll().where('id', '=', v.id));`
 * then `(await q.execute(db, { id })).rows`. Only values given as slots vary; anything else written
 * in the builder is fixed at the first call. A slot stands for one value: a list (`in`) or a limit
 * that changes the statement's shape must be written in the builder, not given as a slot.
 */
export function prepared<V extends Record<string, unknown>>() {
  return <O>(build: (db: Db, values: Slots<V>) => Compilable<O>): Prepared<V, O> => {
    const templates = perDialect<Template>();
    const slots = slotsFor(-1) as Slots<V>;
    return {
      execute(db, values) {
        const template = templates(db, () =>
          compileTemplate(build(db, slots).compile() as CompiledQuery<unknown>),
        );
        return run<O>(db, template, ({ key }) => values[key]);
      },
    };
  };
}

/**
 * A multi-row statement (an insert of several rows), prepared for each chunk size it runs in (see
 * `execute`). The stand-in rows have exactly `columns` as their keys, so
 * `db.insertInto(table).values(rows)` writes those columns.
 */
export function preparedRows<R extends Record<string, unknown>>(
  columns: readonly (keyof R & string)[],
  maxRows = 64,
) {
  return <O>(build: (db: Db, rows: Slots<R>[]) => Compilable<O>): PreparedRows<R, O> => {
    const templates = perDialect<Template[]>();
    const rowSlots = Array.from(
      { length: maxRows },
      (_, row) => Object.fromEntries(columns.map((key) => [key, new Slot({ row, key })])) as Slots<R>,
    );
    const executeOne = async (db: Db, rows: readonly R[]): Promise<QueryResult<O>> => {
      if (rows.length === 0 || rows.length > maxRows)
        throw new RangeError(`1 to ${maxRows} rows, not ${rows.length}`);
      const byCount = templates(db, () => []);
      let template = byCount[rows.length];
      if (!template) {
        template = compileTemplate(
          build(db, rowSlots.slice(0, rows.length)).compile() as CompiledQuery<unknown>,
        );
        byCount[rows.length] = template;
      }
      return run<O>(db, template, ({ row, key }) => rows[row]?.[key]);
    };
    return {
      executeOne,
      async execute(db, rows) {
        const results: O[] = [];
        for (const chunk of fixedChunks(rows, maxRows)) results.push(...(await executeOne(db, chunk)).rows);
        return results;
      },
    };
  };
}
