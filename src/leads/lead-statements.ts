import { type Insertable, sql } from 'kysely';
import { type Db, fixedChunks, type LeadsTable, prepared, preparedRows, type Slots } from '../store/index.ts';

/*
 * The statements the pipeline runs for every event, prepared once (see store/prepared.ts): a
 * worker draining a backlog runs each of them thousands of times a second.
 */

export const selectEvent = prepared<{ workspaceId: string; id: string }>()((db, v) =>
  db.selectFrom('events').selectAll().where('workspace_id', '=', v.workspaceId).where('id', '=', v.id),
);

export const markEventProcessed = prepared<{
  workspaceId: string;
  id: string;
  leadId: string;
  processedAt: number;
  attempts: number;
}>()((db, v) =>
  db
    .updateTable('events')
    .set({ status: 'processed', lead_id: v.leadId, processed_at: v.processedAt, attempts: v.attempts })
    .where('workspace_id', '=', v.workspaceId)
    .where('id', '=', v.id),
);

const selectLeadBy = (column: 'email' | 'phone') =>
  prepared<{ workspaceId: string; value: string }>()((db, v) =>
    db
      .selectFrom('leads')
      .selectAll()
      .where('workspace_id', '=', v.workspaceId)
      .where(column, '=', v.value)
      .orderBy('id')
      .limit(1),
  );
export const selectLeadByEmail = selectLeadBy('email');
export const selectLeadByPhone = selectLeadBy('phone');

type LeadRow = Required<Insertable<LeadsTable>>;
type LeadFields = Omit<LeadRow, 'id' | 'workspace_id' | 'created_at'>;

/** The columns an insert and an update of a lead both write. */
const leadFields = (v: Slots<LeadFields>) => ({
  email: v.email,
  phone: v.phone,
  name: v.name,
  company: v.company,
  company_domain: v.company_domain,
  title: v.title,
  country: v.country,
  source: v.source,
  utm: v.utm,
  attributes: v.attributes,
  status: v.status,
  score: v.score,
  score_breakdown: v.score_breakdown,
  updated_at: v.updated_at,
});

export const insertLead = prepared<LeadRow>()((db, v) =>
  db
    .insertInto('leads')
    .values({ id: v.id, workspace_id: v.workspace_id, created_at: v.created_at, ...leadFields(v) }),
);

export const updateLead = prepared<LeadFields & { id: string; workspace_id: string }>()((db, v) =>
  db
    .updateTable('leads')
    .set(leadFields(v))
    .where('workspace_id', '=', v.workspace_id)
    .where('id', '=', v.id),
);

export const insertHistory = prepared<{
  workspaceId: string;
  leadId: string;
  eventId: string;
  action: string;
  changes: string;
  createdAt: number;
}>()((db, v) =>
  db.insertInto('lead_history').values({
    workspace_id: v.workspaceId,
    lead_id: v.leadId,
    event_id: v.eventId,
    action: v.action,
    changes: v.changes,
    created_at: v.createdAt,
  }),
);

/*
 * Set-based forms: what the pipeline runs once per batch of events (store/prepared.ts prepares one
 * statement per chunk size). Row 0 carries the values every row shares (the workspace).
 */

export const selectEvents = preparedRows<{ workspaceId: string; id: string }>(['workspaceId', 'id'])(
  (db, rows) =>
    db
      .selectFrom('events')
      .selectAll()
      .where('workspace_id', '=', (rows[0] as Slots<{ workspaceId: string }>).workspaceId)
      .where(
        'id',
        'in',
        rows.map((r) => r.id),
      ),
);

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
export const selectLeadsByEmail = selectLeadsBy('email');
export const selectLeadsByPhone = selectLeadsBy('phone');

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

export const insertHistoryRows = preparedRows<{
  workspace_id: string;
  lead_id: string;
  event_id: string;
  action: string;
  changes: string;
  created_at: number;
}>(['workspace_id', 'lead_id', 'event_id', 'action', 'changes', 'created_at'])((db, rows) =>
  db.insertInto('lead_history').values(rows),
);

/**
 * Marks events processed, each with its lead and attempt, in one statement per chunk: an update
 * joined to a VALUES list (SQLite 3.33+ and PostgreSQL both have UPDATE … FROM). Returns how many
 * rows changed.
 */
export async function markEventsProcessed(
  db: Db,
  workspaceId: string,
  processedAt: number,
  rows: readonly { id: string; leadId: string; attempts: number }[],
): Promise<number> {
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
