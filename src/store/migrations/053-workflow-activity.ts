import type { Kysely } from 'kysely';

/**
 * The optimiser reads workflow e-mail activity per minute (sends finished, failed, and e-mail
 * marketing withdrawn after them) for its bounce and unsubscribe streams and the `bounce_rate` /
 * `unsubscribe_rate` metrics: both reads are a time range within a workspace, so each gets an index
 * that ends in the time. No new table, so nothing to isolate or declare.
 */
export function workflowActivityMigration() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createIndex('workflow_steps_ws_type_finished')
        .on('workflow_steps')
        .columns(['workspace_id', 'type', 'finished_at'])
        .execute();
      await db.schema
        .createIndex('consent_events_ws_purpose_occurred')
        .on('consent_events')
        .columns(['workspace_id', 'purpose', 'occurred_at'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('consent_events_ws_purpose_occurred').execute();
      await db.schema.dropIndex('workflow_steps_ws_type_finished').execute();
    },
  };
}
