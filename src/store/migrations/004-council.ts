import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import * as kit from './kit.ts';

/**
 * The AI council: stored decisions (the full record as JSON, with the human review beside it),
 * each workspace's agent overrides, and what the router learned per workspace.
 */
export function councilMigration(dialect: DialectName) {
  // SQLite's REAL is an 8-byte float; PostgreSQL's `real` is 4 bytes, so it needs `double precision`.
  const float = dialect === 'postgres' ? 'double precision' : 'real';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await kit.createTable(db, {
        name: 'council_decisions',
        columns: {
          ...kit.WORKSPACE_ROW,
          question_type: 'text not null',
          lead_id: 'text',
          trigger: 'text not null',
          job_id: 'text',
          decision_class: 'text not null',
          confidence: `${float} not null`,
          status: 'text not null',
          record: 'text not null',
          review: 'text',
          overrides: 'text not null',
          requested_by: 'text not null',
          ...kit.CREATED_UPDATED,
        },
      });
      await kit.createIndex(db, 'council_decisions_ws_lead', 'council_decisions', [
        'workspace_id',
        'lead_id',
        'created_at',
      ]);
      await kit.createIndex(db, 'council_decisions_ws_created', 'council_decisions', [
        'workspace_id',
        'created_at',
      ]);
      // A pipeline job that runs twice (lost acknowledgement) stores its decision once.
      await kit.createIndex(db, 'council_decisions_ws_job', 'council_decisions', ['workspace_id', 'job_id'], {
        unique: true,
      });

      await kit.createTable(db, {
        name: 'council_agents',
        columns: {
          ...kit.IN_WORKSPACE,
          agent_id: 'text not null',
          definition: 'text not null',
          ...kit.CREATED_UPDATED,
        },
        primaryKey: ['workspace_id', 'agent_id'],
      });

      await kit.createTable(db, {
        name: 'council_router_stats',
        columns: {
          ...kit.PER_WORKSPACE,
          stats: 'text not null',
          updated_at: 'bigint not null',
        },
      });
    },
  };
}
