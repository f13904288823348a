import type { CompiledQuery, QueryResult } from 'kysely';

/** Runs a compiled statement synchronously on a connection its handle holds outright. */
export type DirectRunner = (sqlText: string, parameters: ReadonlyArray<unknown>) => QueryResult<unknown>;

/*
 * A SQLite transaction owns the database's only connection from BEGIN to COMMIT (Kysely queues
 * every other caller behind it), so a statement run through the transaction's handle may go to the
 * connection directly. Kysely's executor costs about 2.5 KiB of allocation and a chain of promises
 * per statement; prepared queries (store/prepared.ts) skip it on such handles. Nothing is attached
 * to the database handle itself or to PostgreSQL handles: those share a pool or a queue.
 */

/** What a handle must do here: run a compiled query (a Kysely database or transaction does). */
interface QueryHandle {
  executeQuery<O>(query: CompiledQuery<O>): Promise<QueryResult<O>>;
}

const runners = new WeakMap<QueryHandle, DirectRunner>();

/**
 * Runs `fn` with `runner` attached to the transaction handle `db`, and detaches it when `fn` ends:
 * a handle kept past its transaction then goes through Kysely, which refuses it, instead of
 * running on a connection another transaction may hold by then.
 */
export async function withDirectRunner<T>(
  db: QueryHandle,
  runner: DirectRunner,
  fn: () => Promise<T>,
): Promise<T> {
  runners.set(db, runner);
  try {
    return await fn();
  } finally {
    runners.delete(db);
  }
}

/** Executes a compiled query: directly when `db` holds its connection, else through Kysely. */
export function executeCompiled<O>(db: QueryHandle, query: CompiledQuery<O>): Promise<QueryResult<O>> {
  const direct = runners.get(db);
  if (!direct) return db.executeQuery(query);
  try {
    return Promise.resolve(direct(query.sql, query.parameters) as QueryResult<O>);
  } catch (error) {
    return Promise.reject(error);
  }
}
