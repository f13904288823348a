import type { Insertable } from 'kysely';
import { type LeadsTable, prepared, type Slots } from '../store/index.ts';

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
