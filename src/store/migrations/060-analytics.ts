import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { createTenantTable, dropTables, IN_WORKSPACE, PER_WORKSPACE } from './kit.ts';

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
      await createTenantTable(db, dialect, {
        name: 'metric_rollups',
        columns: {
          ...IN_WORKSPACE,
          metric: 'text not null',
          segment: 'text not null',
          minute: 'bigint not null',
          count: 'bigint not null',
          total: `${float} not null`,
        },
        primaryKey: ['workspace_id', 'metric', 'segment', 'minute'],
      });
      await createTenantTable(db, dialect, {
        name: 'metric_cursors',
        columns: {
          ...PER_WORKSPACE,
          seq: 'bigint not null',
          updated_at: 'bigint not null',
        },
      });
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await dropTables(db, ['metric_cursors', 'metric_rollups']);
    },
  };
}
