import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import * as kit from './kit.ts';

export function initialMigration(dialect: DialectName) {
  return {
    // Migrations describe the schema before the typed `Database` exists, so they are untyped.
    async up(db: Kysely<unknown>): Promise<void> {
      // An auto-numbered key: PostgreSQL's bigserial, SQLite's rowid alias.
      const serial = dialect === 'postgres' ? 'bigserial primary key' : 'integer primary key autoincrement';

      await kit.createTable(db, {
        name: 'organisations',
        columns: {
          id: 'text primary key',
          name: 'text not null',
          created_at: 'bigint not null',
        },
      });

      await kit.createTable(db, {
        name: 'workspaces',
        columns: {
          id: 'text primary key',
          organisation_id: 'text not null references organisations.id',
          name: 'text not null',
          settings: 'text not null',
          created_at: 'bigint not null',
        },
      });

      await kit.createTable(db, {
        name: 'api_keys',
        columns: {
          id: 'text primary key',
          organisation_id: 'text not null references organisations.id',
          workspace_id: 'text references workspaces.id',
          scope: 'text not null',
          hash: 'text not null unique',
          prefix: 'text not null',
          label: 'text not null',
          created_at: 'bigint not null',
          revoked_at: 'bigint',
        },
      });

      await kit.createTable(db, {
        name: 'webhook_secrets',
        columns: {
          ...kit.WORKSPACE_ROW,
          secret: 'text not null',
          created_at: 'bigint not null',
          expires_at: 'bigint',
        },
      });
      await kit.createIndex(db, 'webhook_secrets_ws', 'webhook_secrets', ['workspace_id']);

      await kit.createTable(db, {
        name: 'events',
        columns: {
          ...kit.WORKSPACE_ROW,
          type: 'text not null',
          source: 'text not null',
          payload: 'text not null',
          status: 'text not null',
          lead_id: 'text',
          error: 'text',
          attempts: 'integer not null default 0',
          created_at: 'bigint not null',
          processed_at: 'bigint',
        },
      });
      await kit.createIndex(db, 'events_ws_status', 'events', ['workspace_id', 'status']);

      await kit.createTable(db, {
        name: 'idempotency_keys',
        columns: {
          ...kit.IN_WORKSPACE,
          scope: 'text not null',
          key: 'text not null',
          request_hash: 'text not null',
          response_status: 'integer not null',
          response_body: 'text not null',
          created_at: 'bigint not null',
        },
        primaryKey: ['workspace_id', 'scope', 'key'],
      });

      await kit.createTable(db, {
        name: 'jobs',
        columns: {
          ...kit.WORKSPACE_ROW,
          name: 'text not null',
          payload: 'text not null',
          status: 'text not null',
          attempts: 'integer not null',
          max_attempts: 'integer not null',
          run_at: 'bigint not null',
          locked_until: 'bigint',
          locked_by: 'text',
          last_error: 'text',
          ...kit.CREATED_UPDATED,
        },
      });
      await kit.createIndex(db, 'jobs_due', 'jobs', ['status', 'run_at']);
      await kit.createIndex(db, 'jobs_ws_status', 'jobs', ['workspace_id', 'status']);

      await kit.createTable(db, {
        name: 'leads',
        columns: {
          ...kit.WORKSPACE_ROW,
          email: 'text',
          phone: 'text',
          name: 'text',
          company: 'text',
          company_domain: 'text',
          title: 'text',
          country: 'text',
          source: 'text',
          utm: 'text not null',
          attributes: 'text not null',
          status: 'text not null',
          score: 'integer not null',
          score_breakdown: 'text not null',
          ...kit.CREATED_UPDATED,
        },
      });
      await kit.createIndex(db, 'leads_ws_email', 'leads', ['workspace_id', 'email'], { unique: true });
      await kit.createIndex(db, 'leads_ws_phone', 'leads', ['workspace_id', 'phone']);
      await kit.createIndex(db, 'leads_ws_status', 'leads', ['workspace_id', 'status', 'id']);

      await kit.createTable(db, {
        name: 'lead_history',
        columns: {
          id: serial,
          workspace_id: 'text not null references workspaces.id',
          lead_id: 'text not null',
          event_id: 'text not null',
          action: 'text not null',
          changes: 'text not null',
          created_at: 'bigint not null',
        },
      });
      await kit.createIndex(db, 'lead_history_lead', 'lead_history', ['workspace_id', 'lead_id']);

      await kit.createTable(db, {
        name: 'consent_records',
        columns: {
          ...kit.WORKSPACE_ROW,
          lead_id: 'text not null',
          event_id: 'text not null',
          purposes: 'text not null',
          text_version: 'text not null',
          given_at: 'bigint not null',
          method: 'text not null',
          created_at: 'bigint not null',
        },
      });
      await kit.createIndex(db, 'consent_lead', 'consent_records', ['workspace_id', 'lead_id']);

      await kit.createTable(db, {
        name: 'scoring_rules',
        columns: {
          ...kit.PER_WORKSPACE,
          version: 'integer not null',
          rules: 'text not null',
          threshold: 'integer not null',
          updated_at: 'bigint not null',
        },
      });

      await kit.createTable(db, {
        name: 'domain_events',
        columns: {
          seq: serial,
          id: 'text not null unique',
          workspace_id: 'text not null references workspaces.id',
          type: 'text not null',
          subject: 'text not null',
          data: 'text not null',
          created_at: 'bigint not null',
        },
      });
      await kit.createIndex(db, 'domain_events_ws', 'domain_events', ['workspace_id', 'seq']);

      await kit.createTable(db, {
        name: 'audit_heads',
        columns: {
          ...kit.PER_WORKSPACE,
          seq: 'bigint not null',
          hash: 'text not null',
        },
      });

      await kit.createTable(db, {
        name: 'audit_log',
        columns: {
          ...kit.IN_WORKSPACE,
          seq: 'bigint not null',
          id: 'text not null unique',
          at: 'bigint not null',
          actor_type: 'text not null',
          actor_id: 'text not null',
          action: 'text not null',
          subject: 'text not null',
          reason: 'text not null',
          data: 'text not null',
          prev_hash: 'text not null',
          hash: 'text not null',
        },
        primaryKey: ['workspace_id', 'seq'],
      });
      await kit.createIndex(db, 'audit_log_subject', 'audit_log', ['workspace_id', 'subject']);
    },
  };
}
