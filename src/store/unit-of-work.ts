import type { Db } from './database.ts';

/**
 * The caller's unit of work: a transaction in progress, or the database outside one. Ports that
 * must write in the caller's transaction (the queue's outbox, the audit log, domain events,
 * repositories, pipeline stages) take one, so their writes commit or roll back with the caller's.
 * Port signatures name this type, never the driver's: a caller passes it along and cannot run
 * queries on it. Only storage code (repositories and adapters) opens it, with {@link dbOf}.
 *
 * Any `Db` is a unit of work (`store.db` outside a transaction, `trx` inside one).
 */
export interface UnitOfWork {
  readonly isTransaction: boolean;
}

/** The database handle behind a unit of work, for repository and adapter code. */
export function dbOf(unit: UnitOfWork): Db {
  return unit as Db;
}
