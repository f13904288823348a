import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { enableTenantIsolation } from './005-row-level-security.ts';

const TABLES = [
  'consent_events',
  'privacy_requests',
  'privacy_subject_keys',
  'privacy_suppressions',
  'privacy_retention',
  'privacy_signals',
];

/**
 * The privacy capability: the append-only consent ledger, data-subject requests, per-subject keys
 * (crypto-shredding of personal data in the audit trail), the suppression list (peppered hashes,
 * no lead id beside them), retention policies and request signals (GPC) waiting for their lead.
 */
export function privacyMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('consent_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('lead_id', 'text', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('notice_version', 'text')
        .addColumn('notice_hash', 'text')
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('gpc', 'integer', (c) => c.notNull())
        .addColumn('evidence', 'text')
        .addColumn('occurred_at', 'bigint', (c) => c.notNull())
        .addColumn('recorded_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('consent_events_ws_lead')
        .on('consent_events')
        .columns(['workspace_id', 'lead_id', 'occurred_at'])
        .execute();

      await db.schema
        .createTable('privacy_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('jurisdiction', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('subject_sealed', 'text')
        .addColumn('changes_sealed', 'text')
        .addColumn('lead_ids', 'text', (c) => c.notNull())
        .addColumn('steps', 'text', (c) => c.notNull())
        .addColumn('result', 'text')
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('ack_due_at', 'bigint', (c) => c.notNull())
        .addColumn('due_at', 'bigint', (c) => c.notNull())
        .addColumn('extended_due_at', 'bigint', (c) => c.notNull())
        .addColumn('completed_at', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('privacy_requests_ws_status')
        .on('privacy_requests')
        .columns(['workspace_id', 'status', 'received_at'])
        .execute();

      await db.schema
        .createTable('privacy_subject_keys')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('key_sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('privacy_subject_keys_pk', ['workspace_id', 'subject'])
        .execute();

      await db.schema
        .createTable('privacy_suppressions')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('privacy_suppressions_pk', ['workspace_id', 'hash'])
        .execute();

      await db.schema
        .createTable('privacy_retention')
        .addColumn('workspace_id', 'text', (c) => c.primaryKey().references('workspaces.id'))
        .addColumn('policy', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('last_run_at', 'bigint')
        .addColumn('last_report', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('privacy_signals')
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('gpc', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('privacy_signals_pk', ['workspace_id', 'event_id'])
        .execute();

      // Retention sweeps and erasure look leads, events and sessions up by age and by lead.
      await db.schema
        .createIndex('leads_ws_updated')
        .on('leads')
        .columns(['workspace_id', 'updated_at'])
        .execute();
      await db.schema
        .createIndex('events_ws_lead')
        .on('events')
        .columns(['workspace_id', 'lead_id'])
        .execute();
      await db.schema
        .createIndex('domain_events_ws_subject')
        .on('domain_events')
        .columns(['workspace_id', 'subject'])
        .execute();
      await db.schema
        .createIndex('chat_sessions_ws_event')
        .on('chat_sessions')
        .columns(['workspace_id', 'event_id'])
        .execute();
      await db.schema
        .createIndex('events_ws_created')
        .on('events')
        .columns(['workspace_id', 'created_at'])
        .execute();

      if (dialect === 'postgres') {
        for (const table of TABLES) await enableTenantIsolation(db, table);
      }
    },
  };
}
