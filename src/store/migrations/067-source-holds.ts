import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { enableTenantIsolation } from './005-row-level-security.ts';

/**
 * Lead sources held from automated actions by an optimiser `source_pause` (one row a held
 * source, naming the change that placed it). No personal data: source names and ids.
 */
export function sourceHoldsMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('source_holds')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('adjustment_id', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('held_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('source_holds_pk', ['workspace_id', 'source'])
        .execute();
      if (dialect === 'postgres') await enableTenantIsolation(db, 'source_holds');
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('source_holds').execute();
    },
  };
}
