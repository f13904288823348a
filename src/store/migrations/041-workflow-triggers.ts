import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import * as kit from './kit.ts';

/**
 * The triggers that fire on their own. `workflow_schedules`: one due row per schedule trigger of an
 * active workflow (the next fire time); the job that fires it moves the row on in the transaction
 * that starts the run, so a fire happens once however many workers or restarts see it.
 * `workflow_hooks`: each workflow's inbound endpoint, its path and signing secret (sealed).
 */
export function workflowTriggersMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await kit.createTenantTable(db, dialect, {
        name: 'workflow_schedules',
        columns: {
          ...kit.WORKSPACE_ROW,
          workflow_id: 'text not null',
          version: 'integer not null',
          trigger_index: 'integer not null',
          cron: 'text not null',
          timezone: 'text not null',
          next_at: 'bigint not null',
          last_fired_at: 'bigint',
          ...kit.CREATED_UPDATED,
        },
      });
      await kit.createIndex(db, 'workflow_schedules_wf', 'workflow_schedules', [
        'workspace_id',
        'workflow_id',
      ]);
      await kit.createTenantTable(db, dialect, {
        name: 'workflow_hooks',
        columns: {
          ...kit.IN_WORKSPACE,
          path: 'text not null',
          workflow_id: 'text not null',
          sealed_secret: 'text not null',
          created_at: 'bigint not null',
        },
        primaryKey: ['workspace_id', 'path'],
      });
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await kit.dropTables(db, ['workflow_hooks', 'workflow_schedules']);
    },
  };
}
