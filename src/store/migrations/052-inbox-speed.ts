import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { createIndex, dropIndexes } from './kit.ts';

/**
 * The console's inbox at 100,000 leads (bench:console). It pages newest first by keyset on
 * (created_at, id) within a workspace, so every filter the inbox offers gets an index that ends in
 * (created_at, id): the walk stops after a page instead of sorting the workspace. Owner is an
 * attribute (workflows' assign_owner writes `attributes.owner`), indexed as an expression.
 *
 * Search is by words (each query word begins a word of the e-mail, name or company), the same on
 * both databases without an extension: SQLite has an FTS5 external-content table kept in step by
 * triggers (with secure-delete, so an erased lead leaves no tokens behind), PostgreSQL a GIN index
 * over a tsvector expression. Both split at every non-alphanumeric character, so an e-mail's parts
 * are words.
 *
 * Consent filters read the privacy ledger's latest entry per (lead, purpose); the index lets that
 * subquery read one purpose of a workspace in order.
 */
const LEAD_SEARCH_DOCUMENT_PG = sql`to_tsvector('simple', regexp_replace(coalesce(email, '') || ' ' || coalesce(name, '') || ' ' || coalesce(company, ''), '[^[:alnum:]]+', ' ', 'g'))`;

export function inboxSpeedMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await dropIndexes(db, ['leads_ws_status', 'leads_ws_source']);
      await createIndex(db, 'leads_ws_created', 'leads', ['workspace_id', 'created_at', 'id']);
      await createIndex(db, 'leads_ws_status_created', 'leads', [
        'workspace_id',
        'status',
        'created_at',
        'id',
      ]);
      await createIndex(db, 'leads_ws_source_created', 'leads', [
        'workspace_id',
        'source',
        'created_at',
        'id',
      ]);
      await createIndex(db, 'consent_events_ws_purpose_lead', 'consent_events', [
        'workspace_id',
        'purpose',
        'lead_id',
        'occurred_at',
      ]);
      if (dialect === 'postgres') {
        await sql`create index leads_ws_owner on leads (workspace_id, (attributes::jsonb ->> 'owner'), created_at, id)`.execute(
          db,
        );
        // Stored, so a walk that filters by it does not re-parse every row's text, and ANALYZE sees
        // the words (the expression alone made the planner walk 100,000 rows for a rare word).
        await sql`alter table leads add column search_document tsvector generated always as (${LEAD_SEARCH_DOCUMENT_PG}) stored`.execute(
          db,
        );
        await sql`create index leads_search on leads using gin (search_document)`.execute(db);
        return;
      }
      await sql`create index leads_ws_owner on leads (workspace_id, json_extract(attributes, '$.owner'), created_at, id)`.execute(
        db,
      );
      await sql`create virtual table leads_fts using fts5(email, name, company, content='leads', content_rowid='rowid', tokenize="unicode61 remove_diacritics 0")`.execute(
        db,
      );
      await sql`insert into leads_fts (leads_fts, rank) values ('secure-delete', 1)`.execute(db);
      await sql`insert into leads_fts (leads_fts) values ('rebuild')`.execute(db);
      await sql`create trigger leads_fts_insert after insert on leads begin
        insert into leads_fts (rowid, email, name, company) values (new.rowid, new.email, new.name, new.company);
      end`.execute(db);
      await sql`create trigger leads_fts_delete after delete on leads begin
        insert into leads_fts (leads_fts, rowid, email, name, company) values ('delete', old.rowid, old.email, old.name, old.company);
      end`.execute(db);
      await sql`create trigger leads_fts_update after update of email, name, company on leads begin
        insert into leads_fts (leads_fts, rowid, email, name, company) values ('delete', old.rowid, old.email, old.name, old.company);
        insert into leads_fts (rowid, email, name, company) values (new.rowid, new.email, new.name, new.company);
      end`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'sqlite') {
        for (const trigger of ['leads_fts_insert', 'leads_fts_delete', 'leads_fts_update'])
          await sql`drop trigger if exists ${sql.raw(trigger)}`.execute(db);
        await sql`drop table if exists leads_fts`.execute(db);
      } else {
        await db.schema.dropIndex('leads_search').execute();
        await sql`alter table leads drop column search_document`.execute(db);
      }
      await dropIndexes(db, [
        'leads_ws_owner',
        'consent_events_ws_purpose_lead',
        'leads_ws_source_created',
        'leads_ws_status_created',
        'leads_ws_created',
      ]);
      await createIndex(db, 'leads_ws_status', 'leads', ['workspace_id', 'status', 'id']);
      await createIndex(db, 'leads_ws_source', 'leads', ['workspace_id', 'source', 'id']);
    },
  };
}
