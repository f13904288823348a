import { sql } from 'kysely';
import type { Db } from './database.ts';

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
  await sql`select pg_advisory_xact_lock(hashtextextended(${`domain_events:${workspaceId}`}, 0))`.execute(db);
}
