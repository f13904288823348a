import type { Kysely } from 'kysely';

/**
 * The console's inbox filters by source, newest first: without this index a rare source walked the
 * whole workspace's leads by id (the status filter has its own index since 001).
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
    },
  };
}
