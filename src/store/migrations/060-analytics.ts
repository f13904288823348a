import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { enableTenantIsolation } from './005-row-level-security.ts';

/**
 * Streaming metrics kept as per-minute rollups (workspace × metric × segment × minute, a count and
 * a sum), so a window of any length is a sum of rows and a restart loses nothing; and each
 * workspace's position in the domain-event stream, written in the same transaction as the rollups
 * it produced, so every event is counted exactly once.
 */
export function analyticsMigration(dialect: DialectName) {
  const float = dialect === 'postgres' ? 'double precision' : 'real';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('metric_rollups')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('metric', 'text', (c) => c.notNull())
        .addColumn('segment', 'text', (c) => c.notNull())
        .addColumn('minute', 'bigint', (c) => c.notNull())
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addColumn('total', float, (c) => c.notNull())
        .addPrimaryKeyConstraint('metric_rollups_pk', ['workspace_id', 'metric', 'segment', 'minute'])
        .execute();
      await db.schema
        .createTable('metric_cursors')
        .addColumn('workspace_id', 'text', (c) => c.primaryKey().references('workspaces.id'))
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      if (dialect === 'postgres') {
        await enableTenantIsolation(db, 'metric_rollups');
        await enableTenantIsolation(db, 'metric_cursors');
      }
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('metric_cursors').execute();
      await db.schema.dropTable('metric_rollups').execute();
    },
  };
}
