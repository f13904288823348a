import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';

/**
 * The AI council: stored decisions (the full record as JSON, with the human review beside it),
 * each workspace's agent overrides, and what the router learned per workspace.
 */
export function councilMigration(dialect: DialectName) {
  // SQLite's REAL is an 8-byte float; PostgreSQL's `real` is 4 bytes, so it needs `double precision`.
  const float = dialect === 'postgres' ? 'double precision' : 'real';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('council_decisions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('question_type', 'text', (c) => c.notNull())
        .addColumn('lead_id', 'text')
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('job_id', 'text')
        .addColumn('decision_class', 'text', (c) => c.notNull())
        .addColumn('confidence', float, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('record', 'text', (c) => c.notNull())
        .addColumn('review', 'text')
        .addColumn('overrides', 'text', (c) => c.notNull())
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('council_decisions_ws_lead')
        .on('council_decisions')
        .columns(['workspace_id', 'lead_id', 'created_at'])
        .execute();
      await db.schema
        .createIndex('council_decisions_ws_created')
        .on('council_decisions')
        .columns(['workspace_id', 'created_at'])
        .execute();
      // A pipeline job that runs twice (lost acknowledgement) stores its decision once.
      await db.schema
        .createIndex('council_decisions_ws_job')
        .on('council_decisions')
        .columns(['workspace_id', 'job_id'])
        .unique()
        .execute();

      await db.schema
        .createTable('council_agents')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('agent_id', 'text', (c) => c.notNull())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('council_agents_pk', ['workspace_id', 'agent_id'])
        .execute();

      await db.schema
        .createTable('council_router_stats')
        .addColumn('workspace_id', 'text', (c) => c.primaryKey().references('workspaces.id'))
        .addColumn('stats', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
