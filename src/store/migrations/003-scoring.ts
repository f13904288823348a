import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { createIndex, createTable, IN_WORKSPACE, PER_WORKSPACE } from './kit.ts';

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
      await createTable(db, {
        name: 'lead_outcomes',
        columns: {
          ...IN_WORKSPACE,
          lead_id: 'text not null',
          converted: 'integer not null',
          value: float,
          occurred_at: 'bigint not null',
          recorded_at: 'bigint not null',
          updated_at: 'bigint not null',
          revision: 'integer not null',
          body_hash: 'text not null',
          source: 'text not null',
          probability: float,
          model_version: 'integer',
          challenger_probability: float,
          challenger_version: 'integer',
        },
        primaryKey: ['workspace_id', 'lead_id'],
      });
      await createIndex(db, 'lead_outcomes_ws_occurred', 'lead_outcomes', ['workspace_id', 'occurred_at']);
      await createIndex(db, 'lead_outcomes_ws_recorded', 'lead_outcomes', ['workspace_id', 'recorded_at']);

      await createTable(db, {
        name: 'scoring_models',
        columns: {
          ...IN_WORKSPACE,
          version: 'integer not null',
          id: 'text not null unique',
          status: 'text not null',
          kind: 'text not null',
          model: 'text not null',
          feature_spec: 'text not null',
          metrics: 'text not null',
          rows: 'integer not null',
          positives: 'integer not null',
          reason: 'text not null',
          replaces_version: 'integer',
          trained_at: 'bigint not null',
          promoted_at: 'bigint',
          retired_at: 'bigint',
        },
        primaryKey: ['workspace_id', 'version'],
      });
      await createIndex(db, 'scoring_models_ws_status', 'scoring_models', ['workspace_id', 'status']);

      await createTable(db, {
        name: 'lead_scores',
        columns: {
          ...IN_WORKSPACE,
          lead_id: 'text not null',
          model_version: 'integer not null',
          probability: `${float} not null`,
          points: 'integer not null',
          factors: 'text not null',
          segment: 'text not null',
          threshold: float,
          challenger_version: 'integer',
          challenger_probability: float,
          scored_at: 'bigint not null',
        },
        primaryKey: ['workspace_id', 'lead_id'],
      });

      await createTable(db, {
        name: 'scoring_state',
        columns: {
          ...PER_WORKSPACE,
          settings: 'text not null',
          settings_version: 'integer not null',
          thresholds: 'text',
          training: 'text',
          learning: 'text not null',
          updated_at: 'bigint not null',
        },
      });
    },
  };
}
