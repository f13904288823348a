import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { enableSchedulerAccess, enableTenantIsolation } from './005-row-level-security.ts';

const TABLES = [
  'schedules',
  'optimiser_state',
  'optimiser_alerts',
  'optimiser_adjustments',
  'optimiser_policies',
];

/**
 * Durable schedules (a due row per workspace and schedule; the queue's scheduler may see them all,
 * like jobs, to enqueue what is due), and the optimiser's rooms: each workspace's detector state,
 * its alerts with their evidence, its guarded adjustments and its adjustment policy. None holds
 * personal data: figures, segment names and ids.
 */
export function optimiserMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('schedules')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('job', 'text', (c) => c.notNull())
        .addColumn('every_ms', 'bigint', (c) => c.notNull())
        .addColumn('next_run_at', 'bigint', (c) => c.notNull())
        .addColumn('last_run_at', 'bigint')
        .addColumn('runs', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('schedules_pk', ['workspace_id', 'name'])
        .execute();
      await db.schema.createIndex('schedules_due').on('schedules').columns(['next_run_at']).execute();
      await db.schema
        .createTable('optimiser_state')
        .addColumn('workspace_id', 'text', (c) => c.primaryKey().references('workspaces.id'))
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('optimiser_alerts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('stream', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('metric', 'text', (c) => c.notNull())
        .addColumn('segment', 'text', (c) => c.notNull())
        .addColumn('summary', 'text', (c) => c.notNull())
        .addColumn('evidence', 'text', (c) => c.notNull())
        .addColumn('review', 'text')
        .addColumn('opened_at', 'bigint', (c) => c.notNull())
        .addColumn('acknowledged_at', 'bigint')
        .addColumn('acknowledged_by', 'text')
        .addColumn('resolved_at', 'bigint')
        .addColumn('resolution', 'text')
        .execute();
      await db.schema
        .createIndex('optimiser_alerts_ws')
        .on('optimiser_alerts')
        .columns(['workspace_id', 'status', 'opened_at'])
        .execute();
      await db.schema
        .createTable('optimiser_adjustments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('alert_id', 'text')
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('before_value', 'text', (c) => c.notNull())
        .addColumn('after_value', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('guard', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('guard_until', 'bigint', (c) => c.notNull())
        .addColumn('settled_at', 'bigint')
        .addColumn('settlement', 'text')
        .execute();
      await db.schema
        .createIndex('optimiser_adjustments_ws')
        .on('optimiser_adjustments')
        .columns(['workspace_id', 'status', 'created_at'])
        .execute();
      await db.schema
        .createTable('optimiser_policies')
        .addColumn('workspace_id', 'text', (c) => c.primaryKey().references('workspaces.id'))
        .addColumn('policy', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      if (dialect === 'postgres') {
        for (const table of TABLES) await enableTenantIsolation(db, table);
        await enableSchedulerAccess(db, 'schedules');
      }
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of [...TABLES].reverse()) await db.schema.dropTable(table).execute();
    },
  };
}
