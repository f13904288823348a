import { sql } from 'kysely';
import type { Db } from './database.ts';

let counter = 0;

/**
 * Runs `fn` inside a savepoint of the caller's transaction: if it throws, its writes are undone and
 * the error rethrown, while the outer transaction stays usable (on PostgreSQL an error otherwise
 * aborts the whole transaction).
 */
export async function withSavepoint<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  counter = (counter + 1) % 1_000_000;
  const name = sql.raw(`sp_${counter}`);
  await sql`savepoint ${name}`.execute(db);
  try {
    const result = await fn();
    await sql`release savepoint ${name}`.execute(db);
    return result;
  } catch (error) {
    await sql`rollback to savepoint ${name}`.execute(db);
    await sql`release savepoint ${name}`.execute(db);
    throw error;
  }
}
