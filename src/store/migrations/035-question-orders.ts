import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { enableTenantIsolation } from './005-row-level-security.ts';

/**
 * The order in which a workspace's chat asks a playbook's questions, as the optimiser set it (one
 * row a playbook; no row: the playbook's own order), and the change that set it. No personal data.
 */
export function questionOrdersMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('question_orders')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('playbook_id', 'text', (c) => c.notNull())
        .addColumn('question_order', 'text', (c) => c.notNull())
        .addColumn('adjustment_id', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('question_orders_pk', ['workspace_id', 'playbook_id'])
        .execute();
      if (dialect === 'postgres') await enableTenantIsolation(db, 'question_orders');
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('question_orders').execute();
    },
  };
}
