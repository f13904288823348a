import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { enableTenantIsolation } from './005-row-level-security.ts';
import * as kit from './kit.ts';

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
      await kit.createTable(db, {
        name: 'workflows',
        columns: {
          ...kit.WORKSPACE_ROW,
          name: 'text not null',
          status: 'text not null',
          latest_version: 'integer not null',
          active_version: 'integer',
          triggers: 'text not null',
          ...kit.CREATED_UPDATED,
          deleted_at: 'bigint',
        },
      });
      await kit.createIndex(db, 'workflows_ws_status', 'workflows', ['workspace_id', 'status']);

      await kit.createTable(db, {
        name: 'workflow_versions',
        columns: {
          ...kit.IN_WORKSPACE,
          workflow_id: 'text not null',
          version: 'integer not null',
          definition: 'text not null',
          created_by: 'text not null',
          created_at: 'bigint not null',
        },
        primaryKey: ['workflow_id', 'version'],
      });

      await kit.createTable(db, {
        name: 'workflow_runs',
        columns: {
          ...kit.WORKSPACE_ROW,
          workflow_id: 'text not null',
          version: 'integer not null',
          engine_version: 'integer not null',
          lead_id: 'text',
          trigger: 'text not null',
          dedupe_key: 'text not null',
          status: 'text not null',
          input: 'text not null',
          error: 'text',
          ...kit.CREATED_UPDATED,
          finished_at: 'bigint',
        },
      });
      // One run per trigger occurrence: a pipeline job that runs twice starts its workflows once.
      await kit.createIndex(
        db,
        'workflow_runs_dedupe',
        'workflow_runs',
        ['workspace_id', 'workflow_id', 'dedupe_key'],
        { unique: true },
      );
      await kit.createIndex(db, 'workflow_runs_ws_wf_created', 'workflow_runs', [
        'workspace_id',
        'workflow_id',
        'created_at',
      ]);
      await kit.createIndex(db, 'workflow_runs_wf_status', 'workflow_runs', ['workflow_id', 'status']);

      await kit.createTable(db, {
        name: 'workflow_steps',
        columns: {
          ...kit.IN_WORKSPACE,
          run_id: 'text not null',
          step_key: 'text not null',
          step_id: 'text not null',
          type: 'text not null',
          seq: 'integer not null',
          status: 'text not null',
          attempts: 'integer not null',
          output: 'text',
          error: 'text',
          wake_at: 'bigint',
          started_at: 'bigint not null',
          finished_at: 'bigint',
        },
        primaryKey: ['run_id', 'step_key'],
      });

      await kit.createTable(db, {
        name: 'workflow_credentials',
        columns: {
          ...kit.IN_WORKSPACE,
          name: 'text not null',
          kind: 'text not null',
          sealed: 'text not null',
          ...kit.CREATED_UPDATED,
        },
        primaryKey: ['workspace_id', 'name'],
      });

      await kit.createTable(db, {
        name: 'workflow_settings',
        columns: {
          ...kit.PER_WORKSPACE,
          settings: 'text not null',
          updated_at: 'bigint not null',
        },
      });

      if (dialect === 'postgres') for (const table of TABLES) await enableTenantIsolation(db, table);
    },
  };
}
