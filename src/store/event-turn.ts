import { sql } from 'kysely';
import type { Db } from './database.ts';

/**
 * The workspaces whose turn each open transaction holds. The lock is the transaction's until it
 * ends, so asking again is only a round trip, and it is asked by the audit log and then the event
 * log in the same transactions (the pipeline's sets, a council decision), while other
 * transactions of the workspace wait for the turn. A rollback to a savepoint gives back locks
 * taken after it, so `forgetEventTurns` runs there (store/savepoint.ts); a transaction's handle is
 * not used after it ends.
 */
const held = new WeakMap<Db, Set<string>>();

/**
 * A workspace's turn to append domain events on PostgreSQL: a transaction-scoped advisory lock, so
 * that event positions become visible in order (see the domain event log).
 *
 * It is also the first lock of the workspace's write order. A transaction that appends audit
 * entries and domain events takes this turn before the audit head (the audit log takes it too), so
 * two such transactions can never hold one lock each while waiting for the other's: the pipeline
 * took the turn and then the head, a workflow step's settle the head and then the turn, and
 * PostgreSQL broke those deadlocks by failing one job, retried after a backoff.
 */
export async function takeEventTurn(db: Db, workspaceId: string): Promise<void> {
  const turns = db.isTransaction ? held.get(db) : undefined;
  if (turns?.has(workspaceId)) return;
  await sql`select pg_advisory_xact_lock(hashtextextended(${`domain_events:${workspaceId}`}, 0))`.execute(db);
  if (!db.isTransaction) return;
  if (turns) turns.add(workspaceId);
  else held.set(db, new Set([workspaceId]));
}

/** After a rollback to a savepoint: the turns taken since may have been given back. */
export function forgetEventTurns(db: Db): void {
  held.delete(db);
}
