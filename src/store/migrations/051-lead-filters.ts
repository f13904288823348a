import type { Kysely } from 'kysely';

/**
 * The console's inbox reads newest first by id within a workspace. Without (workspace, id) SQLite
 * took the (workspace, email) index and sorted all of a workspace's leads: 660 ms at 100,000 leads
 * for the first page (bench:console). Source gets its own index so a rare source does not walk
 * every lead (the status filter has had one since 001).
 */
export function leadFiltersMigration() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createIndex('leads_ws_source')
        .on('leads')
        .columns(['workspace_id', 'source', 'id'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('leads_ws_source').execute();
      await db.schema.dropIndex('leads_ws_id').execute();
    },
  };
}
