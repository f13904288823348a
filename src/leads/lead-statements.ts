import { type Insertable, sql } from 'kysely';
import {
  type Db,
  dialectOf,
  type EventsTable,
  fixedChunks,
  type LeadHistoryTable,
  type LeadsTable,
  preparedRows,
  type Slots,
} from '../store/index.ts';

/*
 * The statements the pipeline runs for every event, prepared once (see store/prepared.ts): a
 * worker draining a backlog runs each of them thousands of times a second.
 */

type LeadRow = Required<Insertable<LeadsTable>>;

/*
 * Set-based forms: what the pipeline runs once per batch of events (store/prepared.ts prepares one
 * statement per chunk size). Row 0 carries the values every row shares (the workspace).
 */

/**
 * Events by id, through the primary key only: with `workspace_id = ?` beside `id in (…)`, SQLite
 * (no statistics) chose an index that starts with the workspace and read every event of it, so the
 * statement cost grew with the table (8 CPU ms for 64 ids among 30,000 events) and was the largest
 * part of a small set's cost (docs/decisions/2026-12-06-worker-set-size.md). The caller drops
 * rows of another workspace; row security fences them too on PostgreSQL.
 */
const selectEventsById = preparedRows<{ id: string }>(['id'])((db, rows) =>
  db
    .selectFrom('events')
    .selectAll()
    .where(
      'id',
      'in',
      rows.map((r) => r.id),
    ),
);

/**
 * The events with these ids. On PostgreSQL the row-security condition on the workspace can use
 * the workspace's indexes too, and the planner, not knowing how many events the workspace holds,
 * combined one with the primary key and read every event of the workspace (18 ms for 256 ids among
 * 16,000 events): each id is looked up on its own instead (see {@link eachKey}).
 */
export async function selectEvents(db: Db, ids: readonly string[]): Promise<EventsTable[]> {
  if (ids.length === 0) return [];
  if (dialectOf(db) === 'postgres')
    return (
      await sql<EventsTable>`select e.* from ${eachKey(ids)}
      cross join lateral (select * from events where id = k.value offset 0) as e`.execute(db)
    ).rows;
  return selectEventsById.execute(
    db,
    ids.map((id) => ({ id })),
  );
}

/**
 * On PostgreSQL, the keys of a set-based lookup as a relation `k(value)`, for a lateral subquery
 * per key (`cross join lateral (… where column = k.value offset 0)`; `offset 0` keeps it a
 * subquery). Every table the pipeline reads has a row-security condition on the workspace that
 * the workspace's indexes can serve, and the planner cannot know how many rows it matches (it
 * reads the scope when the statement runs). Given a whole list of keys, it weighed one probe of
 * the key's index per key against reading the workspace's rows, and while it believed the
 * workspace small it read them: a cost that grows with the workspace (bench:drain --postgres,
 * docs/decisions/2026-12-08-postgres-lookups-per-key.md). For one key the key's index is the
 * cheapest plan whatever it believes. A workspace fence beside the key is written `coalesce(…)`
 * so that it is a filter, not a second estimate of the workspace's size.
 */
function eachKey(keys: readonly string[]) {
  return sql`unnest(${[...new Set(keys)]}::text[]) as k(value)`;
}

const selectLeadsBy = (column: 'email' | 'phone') =>
  preparedRows<{ workspaceId: string; value: string }>(['workspaceId', 'value'])((db, rows) =>
    db
      .selectFrom('leads')
      .selectAll()
      .where('workspace_id', '=', (rows[0] as Slots<{ workspaceId: string }>).workspaceId)
      .where(
        column,
        'in',
        rows.map((r) => r.value),
      )
      .orderBy('id'),
  );
const selectLeadsByEmail = selectLeadsBy('email');
const selectLeadsByPhone = selectLeadsBy('phone');

/**
 * The workspace's leads whose `column` holds one of `values` (the pipeline's dedupe, once per set):
 * on PostgreSQL one statement, a lookup per value (see {@link eachKey}); given the list, the planner
 * read the workspace's leads (34 ms for 64 emails among 14,400 leads, against 3.8).
 */
export async function selectLeadsByKeys(
  db: Db,
  column: 'email' | 'phone',
  workspaceId: string,
  values: readonly string[],
): Promise<LeadsTable[]> {
  if (values.length === 0) return [];
  if (dialectOf(db) === 'postgres') {
    const found = await sql<LeadsTable>`select l.* from ${eachKey(values)}
      cross join lateral (select * from leads where ${sql.ref(column)} = k.value
        and coalesce(workspace_id, '') = ${workspaceId} offset 0) as l
      order by l.id`.execute(db);
    return found.rows;
  }
  const select = column === 'email' ? selectLeadsByEmail : selectLeadsByPhone;
  return select.execute(
    db,
    values.map((value) => ({ workspaceId, value })),
  );
}

/**
 * New and merged leads in one statement: an insert that updates the row when the id exists (a lead
 * the batch merged into). The update is fenced on the workspace, as the single-row update was.
 */
export const upsertLeads = preparedRows<LeadRow>([
  'id',
  'workspace_id',
  'created_at',
  'email',
  'phone',
  'name',
  'company',
  'company_domain',
  'title',
  'country',
  'source',
  'utm',
  'attributes',
  'status',
  'score',
  'score_breakdown',
  'updated_at',
])((db, rows) =>
  db
    .insertInto('leads')
    .values(rows)
    .onConflict((oc) =>
      oc
        .column('id')
        .doUpdateSet((eb) => ({
          email: eb.ref('excluded.email'),
          phone: eb.ref('excluded.phone'),
          name: eb.ref('excluded.name'),
          company: eb.ref('excluded.company'),
          company_domain: eb.ref('excluded.company_domain'),
          title: eb.ref('excluded.title'),
          country: eb.ref('excluded.country'),
          source: eb.ref('excluded.source'),
          utm: eb.ref('excluded.utm'),
          attributes: eb.ref('excluded.attributes'),
          status: eb.ref('excluded.status'),
          score: eb.ref('excluded.score'),
          score_breakdown: eb.ref('excluded.score_breakdown'),
          updated_at: eb.ref('excluded.updated_at'),
        }))
        .where((eb) => eb('leads.workspace_id', '=', eb.ref('excluded.workspace_id'))),
    ),
);

/**
 * Adds new leads to SQLite's lead search (FTS5 over the leads table), a chunk of leads per
 * statement, in the transaction that inserts them. An insert trigger did it a row at a time: in
 * SQLite alone 18-19 µs a row against 7-8 this way, about 5% of the drain's CPU on a quiet machine
 * (docs/decisions/2026-12-07-lead-search-per-set.md). A lead the index already holds is skipped:
 * an external-content FTS5 table corrupts when a row is indexed twice. PostgreSQL's search
 * document is a generated column and needs nothing. The unary plus keeps the planner on the
 * primary key: with the workspace's own indexes it walked every lead of the workspace.
 */
export async function indexNewLeads(db: Db, workspaceId: string, leadIds: readonly string[]): Promise<void> {
  if (dialectOf(db) !== 'sqlite') return;
  for (const chunk of fixedChunks(leadIds))
    await sql`insert into leads_fts (rowid, email, name, company)
      select rowid, email, name, company from leads
      where id in (${sql.join(chunk)}) and +workspace_id = ${workspaceId}
        and not exists (select 1 from leads_fts_docsize where leads_fts_docsize.id = leads.rowid)`.execute(
      db,
    );
}

export const insertHistoryRows = preparedRows<Omit<LeadHistoryTable, 'id'>>([
  'workspace_id',
  'lead_id',
  'event_id',
  'action',
  'changes',
  'created_at',
])((db, rows) => db.insertInto('lead_history').values(rows));

/**
 * Marks events processed, each with its lead and attempt, in one statement per chunk: an update
 * joined to the list of ids (SQLite 3.33+ and PostgreSQL both have UPDATE … FROM). Returns how many
 * rows changed.
 *
 * On PostgreSQL each event is found by its id alone (see {@link eachKey}) and updated through its
 * row address: joined to the list by id, the planner read every event of the workspace through
 * an index on the workspace (132 µs per lead in `bench:drain --postgres`, growing with the
 * workspace). A row address is only good while no other transaction changes the row; the
 * caller holds the workspace's event turn, under which only its own set changes accepted events,
 * and checks the count. The ids come as arrays, so the text is the same for every set size.
 */
export async function markEventsProcessed(
  db: Db,
  workspaceId: string,
  processedAt: number,
  rows: readonly { id: string; leadId: string; attempts: number }[],
): Promise<number> {
  if (rows.length === 0) return 0;
  if (dialectOf(db) === 'postgres') {
    const result = await sql`update events set status = 'processed', lead_id = v.lead_id,
        processed_at = ${processedAt}, attempts = v.attempts
      from (select e.ctid as address, k.lead_id, k.attempts
        from unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.leadId)}::text[],
          ${rows.map((r) => r.attempts)}::integer[]) as k(id, lead_id, attempts)
        cross join lateral (select ctid from events where id = k.id
          and coalesce(workspace_id, '') = ${workspaceId} offset 0) as e) as v
      where events.ctid = v.address`.execute(db);
    return Number(result.numAffectedRows ?? 0n);
  }
  let changed = 0;
  for (const chunk of fixedChunks(rows)) {
    const values = sql.join(chunk.map((r) => sql`(${r.id}, ${r.leadId}, cast(${r.attempts} as integer))`));
    const result = await sql`update events set status = 'processed', lead_id = v.lead_id,
        processed_at = ${processedAt}, attempts = v.attempts
      from (select column1 as id, column2 as lead_id, column3 as attempts from (values ${values}) as t) as v
      where events.workspace_id = ${workspaceId} and events.id = v.id`.execute(db);
    changed += Number(result.numAffectedRows ?? 0n);
  }
  return changed;
}
