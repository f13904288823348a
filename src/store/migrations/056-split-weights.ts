import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { createTenantTable, IN_WORKSPACE } from './kit.ts';

/**
 * The optimiser's current weights for the variants of a workflow `split` step (one row a step):
 * variant names and shares, and the change that set them. No personal data.
 */
export function splitWeightsMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await createTenantTable(db, dialect, {
        name: 'split_weights',
        columns: {
          ...IN_WORKSPACE,
          workflow_id: 'text not null',
          step_id: 'text not null',
          weights: 'text not null',
          adjustment_id: 'text not null',
          updated_at: 'bigint not null',
        },
        primaryKey: ['workspace_id', 'workflow_id', 'step_id'],
      });
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('split_weights').execute();
    },
  };
}
