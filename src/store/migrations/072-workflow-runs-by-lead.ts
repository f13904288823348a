import type { Kysely } from 'kysely';
import { createIndex } from './kit.ts';

/**
 * A person's workflow runs are found by lead: erasure and export (every run of the person), the
 * console's lead page and the retention sweep. Without this index each of them reads every run
 * of the workspace.
 */
export function workflowRunsByLeadMigration() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await createIndex(db, 'workflow_runs_ws_lead', 'workflow_runs', ['workspace_id', 'lead_id']);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('workflow_runs_ws_lead').execute();
    },
  };
}
