import type { Kysely } from 'kysely';
import { createIndex } from './kit.ts';

/**
 * The claim of long (`none`) jobs filters by status and name and orders by run_at; with only the
 * (status, run_at) index it walked a whole backlog of batch jobs when none of its names was due
 * (about 14 ms at 100,000 queued rows).
 */
export function jobDispatchIndexMigration() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await createIndex(db, 'jobs_due_by_name', 'jobs', ['status', 'name', 'run_at']);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('jobs_due_by_name').execute();
    },
  };
}
