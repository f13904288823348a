import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../dialect-name.ts';

const DROP_INDEXED_OLD = sql`insert into leads_fts (leads_fts, rowid, email, name, company)
          select 'delete', old.rowid, old.email, old.name, old.company
          where exists (select 1 from leads_fts_docsize where id = old.rowid);`;
const DROP_OLD = sql`insert into leads_fts (leads_fts, rowid, email, name, company) values ('delete', old.rowid, old.email, old.name, old.company);`;
const ADD_NEW = sql`insert into leads_fts (rowid, email, name, company) values (new.rowid, new.email, new.name, new.company);`;

async function replaceTriggers(
  db: Kysely<unknown>,
  dropOld: typeof DROP_OLD,
  onlyWhenChanged: typeof DROP_OLD,
): Promise<void> {
  await sql`drop trigger leads_fts_delete`.execute(db);
  await sql`drop trigger leads_fts_update`.execute(db);
  await sql`create trigger leads_fts_delete after delete on leads begin
        ${dropOld}
      end`.execute(db);
  await sql`create trigger leads_fts_update after update of email, name, company on leads ${onlyWhenChanged} begin
        ${dropOld}
        ${ADD_NEW}
      end`.execute(db);
}

/** A merge writes every column of the lead again; the index only needs the words that changed. */
const WHEN_WORDS_CHANGED = sql`when old.email is not new.email or old.name is not new.name or old.company is not new.company`;

/**
 * SQLite's lead search stops indexing new leads row by row: the pipeline indexes each set's new
 * leads in one statement (`indexNewLeads` in src/leads/lead-statements.ts), in the transaction that
 * inserts them, for less than half of the insert trigger's cost. A lead inserted any other way (a
 * test's or a benchmark's seed) is not in the index until it changes; the update and delete
 * triggers therefore remove a row only when the index holds it (an external-content FTS5 table
 * corrupts when asked to remove a row it never held), and an update indexes the row anew. The
 * update trigger fires only when a searched word changed: every merge rewrites the whole lead, and
 * re-indexing unchanged words (with secure-delete on) is the dearest thing FTS5 does.
 * PostgreSQL's search document is a generated column; nothing changes there.
 */
export function leadSearchPerSetMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'sqlite') return;
      await sql`drop trigger leads_fts_insert`.execute(db);
      await replaceTriggers(db, DROP_INDEXED_OLD, WHEN_WORDS_CHANGED);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'sqlite') return;
      await replaceTriggers(db, DROP_OLD, sql``);
      await sql`create trigger leads_fts_insert after insert on leads begin
        ${ADD_NEW}
      end`.execute(db);
    },
  };
}
