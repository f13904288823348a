import type { Kysely } from 'kysely';
import { createIndex, dropIndexes } from './kit.ts';

/**
 * The console's inbox reads newest first by id within a workspace. Without (workspace, id) SQLite
 * took the (workspace, email) index and sorted all of a workspace's leads: 660 ms at 100,000 leads
 * for the first page (bench:console). Source gets its own index so a rare source does not walk
 * every lead (the status filter has had one since 001).
 */
export function leadFiltersMigration() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await createIndex(db, 'leads_ws_source', 'leads', ['workspace_id', 'source', 'id']);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await dropIndexes(db, ['leads_ws_source', 'leads_ws_id']);
    },
  };
}
