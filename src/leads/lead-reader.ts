import type { WorkspaceContext } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import type { Lead } from './lead.ts';
import {
  type ConsentRecord,
  findEventStatus,
  findLead,
  type LeadHistoryEntry,
  type LeadListQuery,
  leadConsents,
  leadHistory,
  listLeads,
  type SubmissionStatus,
} from './lead-repository.ts';

/** Lead and event counts of one workspace or several (no personal data). */
export interface LeadFigures {
  leads: number;
  qualified: number;
  qualificationRate: number | null;
  averageScore: number | null;
  events: { accepted: number; processed: number; failed: number };
}

/** Reads of leads and their submissions for the API and CLI: the service routes call instead of SQL. */
export interface LeadReader {
  find(ctx: WorkspaceContext, id: string): Promise<Lead | null>;
  list(ctx: WorkspaceContext, query: LeadListQuery): Promise<{ items: Lead[]; nextCursor: string | null }>;
  history(ctx: WorkspaceContext, leadId: string): Promise<LeadHistoryEntry[]>;
  consents(ctx: WorkspaceContext, leadId: string): Promise<ConsentRecord[]>;
  eventStatus(ctx: WorkspaceContext, eventId: string): Promise<SubmissionStatus | null>;
  /**
   * Figures per workspace and in total, for an organisation's overview. The caller passes the
   * workspaces it is allowed to see (those of the organisation key's organisation).
   */
  figures(
    workspaceIds: readonly string[],
  ): Promise<{ byWorkspace: Map<string, LeadFigures>; total: LeadFigures }>;
}

export function createLeadReader(options: { store: Store }): LeadReader {
  const { store } = options;
  return {
    find: (ctx, id) => findLead(store.db, ctx, id),
    list: (ctx, query) => listLeads(store.db, ctx, query),
    history: (ctx, leadId) => leadHistory(store.db, ctx, leadId),
    consents: (ctx, leadId) => leadConsents(store.db, ctx, leadId),
    eventStatus: (ctx, eventId) => findEventStatus(store.db, ctx, eventId),
    async figures(workspaceIds) {
      const ids = [...workspaceIds];
      const leadRows = ids.length
        ? await store.db
            .selectFrom('leads')
            .select([
              'workspace_id',
              'status',
              (eb) => eb.fn.countAll<number>().as('n'),
              (eb) => eb.fn.sum<number>('score').as('scores'),
            ])
            .where('workspace_id', 'in', ids)
            .groupBy(['workspace_id', 'status'])
            .execute()
        : [];
      const eventRows = ids.length
        ? await store.db
            .selectFrom('events')
            .select(['workspace_id', 'status', (eb) => eb.fn.countAll<number>().as('n')])
            .where('workspace_id', 'in', ids)
            .groupBy(['workspace_id', 'status'])
            .execute()
        : [];
      const figuresOf = (filter: (workspaceId: string) => boolean): LeadFigures => {
        const leads = leadRows.filter((r) => filter(r.workspace_id));
        const total = leads.reduce((s, r) => s + Number(r.n), 0);
        const qualified = leads.filter((r) => r.status === 'qualified').reduce((s, r) => s + Number(r.n), 0);
        const scores = leads.reduce((s, r) => s + Number(r.scores ?? 0), 0);
        const events = eventRows.filter((r) => filter(r.workspace_id));
        const count = (status: string) =>
          events.filter((r) => r.status === status).reduce((s, r) => s + Number(r.n), 0);
        const processed = count('processed');
        const failed = count('failed');
        return {
          leads: total,
          qualified,
          qualificationRate: total ? qualified / total : null,
          averageScore: total ? scores / total : null,
          events: { accepted: processed + failed + count('accepted'), processed, failed },
        };
      };
      return {
        byWorkspace: new Map(ids.map((id) => [id, figuresOf((w) => w === id)])),
        total: figuresOf(() => true),
      };
    },
  };
}
