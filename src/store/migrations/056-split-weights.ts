import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { enableTenantIsolation } from './005-row-level-security.ts';

/**
 * The optimiser's current weights for the variants of a workflow `split` step (one row a step):
 * variant names and shares, and the change that set them. No personal data.
 */
export function splitWeightsMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('split_weights')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('workflow_id', 'text', (c) => c.notNull())
        .addColumn('step_id', 'text', (c) => c.notNull())
        .addColumn('weights', 'text', (c) => c.notNull())
        .addColumn('adjustment_id', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('split_weights_pk', ['workspace_id', 'workflow_id', 'step_id'])
        .execute();
      if (dialect === 'postgres') await enableTenantIsolation(db, 'split_weights');
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('split_weights').execute();
    },
  };
}
