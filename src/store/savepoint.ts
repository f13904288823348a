import { sql } from 'kysely';
import type { Db } from './database.ts';

/*
 * One savepoint name for every level: nested savepoints may share a name, and ROLLBACK TO / RELEASE
 * act on the most recent one (SQLite and PostgreSQL alike), which is what strictly nested calls need.
 * A unique name per call would make every statement text new, defeating the prepared-statement
 * cache and piling up native memory that the garbage collector does not see.
 */
const SAVE = sql`savepoint leadloop_sp`;
const RELEASE = sql`release savepoint leadloop_sp`;
const ROLLBACK = sql`rollback to savepoint leadloop_sp`;

/**
 * Runs `fn` inside a savepoint of the caller's transaction: if it throws, its writes are undone and
 * the error rethrown, while the outer transaction stays usable (on PostgreSQL an error otherwise
 * aborts the whole transaction).
 */
export async function withSavepoint<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  await SAVE.execute(db);
  try {
    const result = await fn();
    await RELEASE.execute(db);
    return result;
  } catch (error) {
    await ROLLBACK.execute(db);
    await RELEASE.execute(db);
    throw error;
  }
}
