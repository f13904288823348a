import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';

/**
 * Predictive scoring: conversion outcomes (with the prediction made before each was known), the
 * model registry, each lead's latest prediction with its explanation, and per-workspace settings
 * and learning state.
 */
export function scoringMigration(dialect: DialectName) {
  // SQLite's REAL is an 8-byte float; PostgreSQL's `real` is 4 bytes, so it needs `double precision`.
  const float = dialect === 'postgres' ? 'double precision' : 'real';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('lead_outcomes')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('lead_id', 'text', (c) => c.notNull())
        .addColumn('converted', 'integer', (c) => c.notNull())
        .addColumn('value', float)
        .addColumn('occurred_at', 'bigint', (c) => c.notNull())
        .addColumn('recorded_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('body_hash', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('probability', float)
        .addColumn('model_version', 'integer')
        .addColumn('challenger_probability', float)
        .addColumn('challenger_version', 'integer')
        .addPrimaryKeyConstraint('lead_outcomes_pk', ['workspace_id', 'lead_id'])
        .execute();
      await db.schema
        .createIndex('lead_outcomes_ws_occurred')
        .on('lead_outcomes')
        .columns(['workspace_id', 'occurred_at'])
        .execute();
      await db.schema
        .createIndex('lead_outcomes_ws_recorded')
        .on('lead_outcomes')
        .columns(['workspace_id', 'recorded_at'])
        .execute();

      await db.schema
        .createTable('scoring_models')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('feature_spec', 'text', (c) => c.notNull())
        .addColumn('metrics', 'text', (c) => c.notNull())
        .addColumn('rows', 'integer', (c) => c.notNull())
        .addColumn('positives', 'integer', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('replaces_version', 'integer')
        .addColumn('trained_at', 'bigint', (c) => c.notNull())
        .addColumn('promoted_at', 'bigint')
        .addColumn('retired_at', 'bigint')
        .addPrimaryKeyConstraint('scoring_models_pk', ['workspace_id', 'version'])
        .execute();
      await db.schema
        .createIndex('scoring_models_ws_status')
        .on('scoring_models')
        .columns(['workspace_id', 'status'])
        .execute();

      await db.schema
        .createTable('lead_scores')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('lead_id', 'text', (c) => c.notNull())
        .addColumn('model_version', 'integer', (c) => c.notNull())
        .addColumn('probability', float, (c) => c.notNull())
        .addColumn('points', 'integer', (c) => c.notNull())
        .addColumn('factors', 'text', (c) => c.notNull())
        .addColumn('segment', 'text', (c) => c.notNull())
        .addColumn('threshold', float)
        .addColumn('challenger_version', 'integer')
        .addColumn('challenger_probability', float)
        .addColumn('scored_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('lead_scores_pk', ['workspace_id', 'lead_id'])
        .execute();

      await db.schema
        .createTable('scoring_state')
        .addColumn('workspace_id', 'text', (c) => c.primaryKey().references('workspaces.id'))
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('settings_version', 'integer', (c) => c.notNull())
        .addColumn('thresholds', 'text')
        .addColumn('training', 'text')
        .addColumn('learning', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
