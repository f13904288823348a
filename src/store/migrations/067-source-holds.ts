import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { createTenantTable, IN_WORKSPACE } from './kit.ts';

/**
 * Lead sources held from automated actions by an optimiser `source_pause` (one row a held
 * source, naming the change that placed it). No personal data: source names and ids.
 */
export function sourceHoldsMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await createTenantTable(db, dialect, {
        name: 'source_holds',
        columns: {
          ...IN_WORKSPACE,
          source: 'text not null',
          adjustment_id: 'text not null',
          reason: 'text not null',
          held_at: 'bigint not null',
        },
        primaryKey: ['workspace_id', 'source'],
      });
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('source_holds').execute();
    },
  };
}
