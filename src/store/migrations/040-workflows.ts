import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { enableTenantIsolation } from './005-row-level-security.ts';

const TABLES = [
  'workflows',
  'workflow_versions',
  'workflow_runs',
  'workflow_steps',
  'workflow_credentials',
  'workflow_settings',
] as const;

/**
 * Workflows: definitions with immutable versions, runs pinned to a version, one row per executed
 * step (its memoised output, attempts, and for waits the time it is due), each workspace's
 * credentials (sealed with the secret box) and settings (egress allow-list, sender identity).
 */
export function workflowsMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('workflows')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('latest_version', 'integer', (c) => c.notNull())
        .addColumn('active_version', 'integer')
        .addColumn('triggers', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('deleted_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('workflows_ws_status')
        .on('workflows')
        .columns(['workspace_id', 'status'])
        .execute();

      await db.schema
        .createTable('workflow_versions')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('workflow_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('workflow_versions_pk', ['workflow_id', 'version'])
        .execute();

      await db.schema
        .createTable('workflow_runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('workflow_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('engine_version', 'integer', (c) => c.notNull())
        .addColumn('lead_id', 'text')
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('dedupe_key', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('input', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .execute();
      // One run per trigger occurrence: a pipeline job that runs twice starts its workflows once.
      await db.schema
        .createIndex('workflow_runs_dedupe')
        .on('workflow_runs')
        .columns(['workspace_id', 'workflow_id', 'dedupe_key'])
        .unique()
        .execute();
      await db.schema
        .createIndex('workflow_runs_ws_wf_created')
        .on('workflow_runs')
        .columns(['workspace_id', 'workflow_id', 'created_at'])
        .execute();
      await db.schema
        .createIndex('workflow_runs_wf_status')
        .on('workflow_runs')
        .columns(['workflow_id', 'status'])
        .execute();

      await db.schema
        .createTable('workflow_steps')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('step_key', 'text', (c) => c.notNull())
        .addColumn('step_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('output', 'text')
        .addColumn('error', 'text')
        .addColumn('wake_at', 'bigint')
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .addPrimaryKeyConstraint('workflow_steps_pk', ['run_id', 'step_key'])
        .execute();

      await db.schema
        .createTable('workflow_credentials')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('workflow_credentials_pk', ['workspace_id', 'name'])
        .execute();

      await db.schema
        .createTable('workflow_settings')
        .addColumn('workspace_id', 'text', (c) => c.primaryKey().references('workspaces.id'))
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      if (dialect === 'postgres') for (const table of TABLES) await enableTenantIsolation(db, table);
    },
  };
}
