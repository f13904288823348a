import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { enableTenantIsolation } from './005-row-level-security.ts';

/**
 * The triggers that fire on their own. `workflow_schedules`: one due row per schedule trigger of an
 * active workflow (the next fire time); the job that fires it moves the row on in the transaction
 * that starts the run, so a fire happens once however many workers or restarts see it.
 * `workflow_hooks`: each workflow's inbound endpoint, its path and signing secret (sealed).
 */
export function workflowTriggersMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('workflow_schedules')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('workflow_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('trigger_index', 'integer', (c) => c.notNull())
        .addColumn('cron', 'text', (c) => c.notNull())
        .addColumn('timezone', 'text', (c) => c.notNull())
        .addColumn('next_at', 'bigint', (c) => c.notNull())
        .addColumn('last_fired_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('workflow_schedules_wf')
        .on('workflow_schedules')
        .columns(['workspace_id', 'workflow_id'])
        .execute();
      await db.schema
        .createTable('workflow_hooks')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('workflow_id', 'text', (c) => c.notNull())
        .addColumn('sealed_secret', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('workflow_hooks_pk', ['workspace_id', 'path'])
        .execute();
      if (dialect === 'postgres') {
        await enableTenantIsolation(db, 'workflow_schedules');
        await enableTenantIsolation(db, 'workflow_hooks');
      }
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('workflow_hooks').execute();
      await db.schema.dropTable('workflow_schedules').execute();
    },
  };
}
