import { CompiledQuery } from 'kysely';
import { executeCompiled } from './direct-runner.ts';
import { forgetEventTurns } from './event-turn.ts';
import { dbOf, type UnitOfWork } from './unit-of-work.ts';

/*
 * One savepoint name for every level: nested savepoints may share a name, and ROLLBACK TO / RELEASE
 * act on the most recent one (SQLite and PostgreSQL alike), which is what strictly nested calls need.
 * A unique name per call would make every statement text new, defeating the prepared-statement
 * cache and piling up native memory that the garbage collector does not see.
 */
// Compiled once: every job runs in a savepoint, so building them per call showed up in profiles.
const SAVE = CompiledQuery.raw('savepoint leadloop_sp');
const RELEASE = CompiledQuery.raw('release savepoint leadloop_sp');
const ROLLBACK = CompiledQuery.raw('rollback to savepoint leadloop_sp');

/**
 * Runs `fn` inside a savepoint of the caller's transaction: if it throws, its writes are undone and
 * the error rethrown, while the outer transaction stays usable (on PostgreSQL an error otherwise
 * aborts the whole transaction).
 */
export async function withSavepoint<T>(unit: UnitOfWork, fn: () => Promise<T>): Promise<T> {
  const db = dbOf(unit);
  await executeCompiled(db, SAVE);
  try {
    const result = await fn();
    await executeCompiled(db, RELEASE);
    return result;
  } catch (error) {
    forgetEventTurns(db);
    await executeCompiled(db, ROLLBACK);
    await executeCompiled(db, RELEASE);
    throw error;
  }
}
