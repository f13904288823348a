import type { Kysely } from 'kysely';
import { createIndex, dropIndexes } from './kit.ts';

/**
 * The optimiser reads workflow e-mail activity per minute (sends finished, failed, and e-mail
 * marketing withdrawn after them) for its bounce and unsubscribe streams and the `bounce_rate` /
 * `unsubscribe_rate` metrics: both reads are a time range within a workspace, so each gets an index
 * that ends in the time. No new table, so nothing to isolate or declare.
 */
export function workflowActivityMigration() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await createIndex(db, 'workflow_steps_ws_type_finished', 'workflow_steps', [
        'workspace_id',
        'type',
        'finished_at',
      ]);
      await createIndex(db, 'consent_events_ws_purpose_occurred', 'consent_events', [
        'workspace_id',
        'purpose',
        'occurred_at',
      ]);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await dropIndexes(db, ['consent_events_ws_purpose_occurred', 'workflow_steps_ws_type_finished']);
    },
  };
}
