import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { enableSchedulerAccess, enableTenantIsolation } from './005-row-level-security.ts';
import { createIndex, createTable, IN_WORKSPACE, PER_WORKSPACE, WORKSPACE_ROW } from './kit.ts';

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
      await createTable(db, {
        name: 'schedules',
        columns: {
          ...IN_WORKSPACE,
          name: 'text not null',
          job: 'text not null',
          every_ms: 'bigint not null',
          next_run_at: 'bigint not null',
          last_run_at: 'bigint',
          runs: 'bigint not null',
        },
        primaryKey: ['workspace_id', 'name'],
      });
      await createIndex(db, 'schedules_due', 'schedules', ['next_run_at']);
      await createTable(db, {
        name: 'optimiser_state',
        columns: {
          ...PER_WORKSPACE,
          state: 'text not null',
          updated_at: 'bigint not null',
        },
      });
      await createTable(db, {
        name: 'optimiser_alerts',
        columns: {
          ...WORKSPACE_ROW,
          stream: 'text not null',
          kind: 'text not null',
          status: 'text not null',
          metric: 'text not null',
          segment: 'text not null',
          summary: 'text not null',
          evidence: 'text not null',
          review: 'text',
          opened_at: 'bigint not null',
          acknowledged_at: 'bigint',
          acknowledged_by: 'text',
          resolved_at: 'bigint',
          resolution: 'text',
        },
      });
      await createIndex(db, 'optimiser_alerts_ws', 'optimiser_alerts', [
        'workspace_id',
        'status',
        'opened_at',
      ]);
      await createTable(db, {
        name: 'optimiser_adjustments',
        columns: {
          ...WORKSPACE_ROW,
          kind: 'text not null',
          status: 'text not null',
          origin: 'text not null',
          alert_id: 'text',
          target: 'text not null',
          before_value: 'text not null',
          after_value: 'text not null',
          reason: 'text not null',
          guard: 'text not null',
          created_at: 'bigint not null',
          guard_until: 'bigint not null',
          settled_at: 'bigint',
          settlement: 'text',
        },
      });
      await createIndex(db, 'optimiser_adjustments_ws', 'optimiser_adjustments', [
        'workspace_id',
        'status',
        'created_at',
      ]);
      await createTable(db, {
        name: 'optimiser_policies',
        columns: {
          ...PER_WORKSPACE,
          policy: 'text not null',
          version: 'integer not null',
          updated_at: 'bigint not null',
        },
      });
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
