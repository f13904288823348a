import type { Kysely } from 'kysely';

/**
 * Operators list conversations by status (`waiting` for a person, live, ended), latest activity
 * first; without this index the list scans every session of the workspace.
 */
export function chatOperatorListMigration() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createIndex('chat_sessions_ws_status_updated')
        .on('chat_sessions')
        .columns(['workspace_id', 'status', 'updated_at'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('chat_sessions_ws_status_updated').execute();
    },
  };
}
