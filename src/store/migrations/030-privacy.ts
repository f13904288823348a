import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { enableTenantIsolation } from './005-row-level-security.ts';
import { createIndex, createTable, IN_WORKSPACE, PER_WORKSPACE, WORKSPACE_ROW } from './kit.ts';

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
      await createTable(db, {
        name: 'consent_events',
        columns: {
          ...WORKSPACE_ROW,
          lead_id: 'text not null',
          purpose: 'text not null',
          action: 'text not null',
          notice_version: 'text',
          notice_hash: 'text',
          method: 'text not null',
          source: 'text not null',
          gpc: 'integer not null',
          evidence: 'text',
          occurred_at: 'bigint not null',
          recorded_at: 'bigint not null',
        },
      });
      await createIndex(db, 'consent_events_ws_lead', 'consent_events', [
        'workspace_id',
        'lead_id',
        'occurred_at',
      ]);

      await createTable(db, {
        name: 'privacy_requests',
        columns: {
          ...WORKSPACE_ROW,
          type: 'text not null',
          jurisdiction: 'text not null',
          status: 'text not null',
          origin: 'text not null',
          subject_sealed: 'text',
          changes_sealed: 'text',
          lead_ids: 'text not null',
          steps: 'text not null',
          result: 'text',
          received_at: 'bigint not null',
          ack_due_at: 'bigint not null',
          due_at: 'bigint not null',
          extended_due_at: 'bigint not null',
          completed_at: 'bigint',
          updated_at: 'bigint not null',
        },
      });
      await createIndex(db, 'privacy_requests_ws_status', 'privacy_requests', [
        'workspace_id',
        'status',
        'received_at',
      ]);

      await createTable(db, {
        name: 'privacy_subject_keys',
        columns: {
          ...IN_WORKSPACE,
          subject: 'text not null',
          key_sealed: 'text not null',
          created_at: 'bigint not null',
        },
        primaryKey: ['workspace_id', 'subject'],
      });

      await createTable(db, {
        name: 'privacy_suppressions',
        columns: {
          ...IN_WORKSPACE,
          hash: 'text not null',
          kind: 'text not null',
          reason: 'text not null',
          created_at: 'bigint not null',
        },
        primaryKey: ['workspace_id', 'hash'],
      });

      await createTable(db, {
        name: 'privacy_retention',
        columns: {
          ...PER_WORKSPACE,
          policy: 'text not null',
          version: 'integer not null',
          last_run_at: 'bigint',
          last_report: 'text',
          updated_at: 'bigint not null',
        },
      });

      await createTable(db, {
        name: 'privacy_signals',
        columns: {
          ...IN_WORKSPACE,
          event_id: 'text not null',
          gpc: 'integer not null',
          created_at: 'bigint not null',
        },
        primaryKey: ['workspace_id', 'event_id'],
      });

      // Retention sweeps and erasure look leads, events and sessions up by age and by lead.
      await createIndex(db, 'leads_ws_updated', 'leads', ['workspace_id', 'updated_at']);
      await createIndex(db, 'events_ws_lead', 'events', ['workspace_id', 'lead_id']);
      await createIndex(db, 'domain_events_ws_subject', 'domain_events', ['workspace_id', 'subject']);
      await createIndex(db, 'chat_sessions_ws_event', 'chat_sessions', ['workspace_id', 'event_id']);
      await createIndex(db, 'events_ws_created', 'events', ['workspace_id', 'created_at']);

      if (dialect === 'postgres') {
        for (const table of TABLES) await enableTenantIsolation(db, table);
      }
    },
  };
}
