import type { Kysely } from 'kysely';
import { createIndex } from './kit.ts';

/**
 * Operators list conversations by status (`waiting` for a person, live, ended), latest activity
 * first; without this index the list scans every session of the workspace.
 */
export function chatOperatorListMigration() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await createIndex(db, 'chat_sessions_ws_status_updated', 'chat_sessions', [
        'workspace_id',
        'status',
        'updated_at',
      ]);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('chat_sessions_ws_status_updated').execute();
    },
  };
}
