import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { createTenantTable, IN_WORKSPACE } from './kit.ts';

/**
 * The order in which a workspace's chat asks a playbook's questions, as the optimiser set it (one
 * row a playbook; no row: the playbook's own order), and the change that set it. No personal data.
 */
export function questionOrdersMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await createTenantTable(db, dialect, {
        name: 'question_orders',
        columns: {
          ...IN_WORKSPACE,
          playbook_id: 'text not null',
          question_order: 'text not null',
          adjustment_id: 'text not null',
          updated_at: 'bigint not null',
        },
        primaryKey: ['workspace_id', 'playbook_id'],
      });
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('question_orders').execute();
    },
  };
}
