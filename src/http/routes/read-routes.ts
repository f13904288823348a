import { z } from 'zod';
import { LeadloopError } from '../../core/index.ts';
import type { Lead } from '../../leads/index.ts';
import type { HttpDeps } from '../deps.ts';
import { type DeclareRoute, workspaceOf } from '../route.ts';
import {
  auditListSchema,
  eventStatusSchema,
  idParam,
  iso,
  isoOrNull,
  leadDetailSchema,
  leadListSchema,
} from '../schemas.ts';

function leadJson(lead: Lead) {
  const { workspaceId: _ws, createdAt, updatedAt, ...rest } = lead;
  return { ...rest, createdAt: iso(createdAt), updatedAt: iso(updatedAt) };
}

export function registerReadRoutes(route: DeclareRoute, deps: HttpDeps): void {
  const { leads, audit } = deps;

  route({
    method: 'GET',
    url: '/v1/leads/:id',
    operationId: 'getLead',
    summary: 'A lead with its score breakdown, status, history and consent records',
    tag: 'Leads',
    auth: 'read',
    params: z.object({ id: idParam('lead') }),
    responses: { 200: { description: 'The lead', schema: leadDetailSchema } },
    async handler({ principal, params }) {
      const ctx = workspaceOf(principal);
      const lead = await leads.find(ctx, params.id);
      if (!lead)
        throw new LeadloopError('not_found', `lead ${params.id} not found in this workspace`, {
          issues: [{ field: 'path.id', reason: 'no such lead in this workspace' }],
        });
      const [history, consents, sessions] = await Promise.all([
        leads.history(ctx, lead.id),
        leads.consents(ctx, lead.id),
        deps.chat.conversationsOfLead(ctx, lead.id),
      ]);
      return {
        ...leadJson(lead),
        history: history.map((h) => ({ ...h, at: iso(h.at) })),
        consents: consents.map((c) => ({ ...c, givenAt: iso(c.givenAt) })),
        conversations: sessions.map(({ row, state }) => ({
          sessionId: row.id,
          playbook: state.playbook.id,
          outcome: state.outcome,
          slots: Object.fromEntries(
            Object.entries(state.slots).map(([slot, filled]) => [slot, filled.value]),
          ),
          score: state.score,
          transcript: state.transcript
            .filter((t) => t.role !== 'system')
            .map(({ role, text, at }) => ({ role, text, at })),
          startedAt: state.startedAt,
          endedAt: state.endedAt,
        })),
      };
    },
  });

  route({
    method: 'GET',
    url: '/v1/leads',
    operationId: 'listLeads',
    summary: 'Leads of the workspace, newest first, with cursor pagination',
    tag: 'Leads',
    auth: 'read',
    query: z
      .object({
        email: z.string().max(320).optional(),
        status: z.enum(['new', 'qualified']).optional(),
        source: z.string().max(200).optional(),
        minScore: z.coerce.number().optional(),
        maxScore: z.coerce.number().optional(),
        q: z
          .string()
          .max(200)
          .optional()
          .describe('Search: every word begins a word of the e-mail, name or company'),
        owner: z.string().min(1).max(200).optional().describe('attributes.owner, as workflows assign it'),
        segment: z
          .string()
          .min(1)
          .max(200)
          .optional()
          .describe("A segment value under the scoring settings' segmentBy (`(none)` for no value)"),
        consent: z
          .string()
          .regex(/^[a-z_]{1,40}:(allowed|denied)$/, 'purpose:allowed or purpose:denied')
          .optional()
          .describe("The privacy ledger's current state of a purpose, e.g. email_marketing:allowed"),
        cursor: z.string().max(200).optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      })
      .strict(),
    responses: { 200: { description: 'A page of leads', schema: leadListSchema } },
    async handler({ principal, query }) {
      const ctx = workspaceOf(principal);
      const { segment, consent, ...rest } = query;
      const segmentBy = segment
        ? (await deps.predictive.insights.getSettings(ctx.workspaceId)).segmentBy
        : '';
      const [purpose, state] = consent ? consent.split(':') : [];
      const page = await leads.list(ctx, {
        ...rest,
        segment: segment ? { by: segmentBy, value: segment } : undefined,
        consent: purpose ? { purpose, allowed: state === 'allowed' } : undefined,
      });
      return { items: page.items.map(leadJson), nextCursor: page.nextCursor };
    },
  });

  route({
    method: 'GET',
    url: '/v1/events/:eventId',
    operationId: 'getEvent',
    summary: 'Processing status of an accepted event',
    tag: 'Events',
    auth: 'read',
    params: z.object({ eventId: idParam('evt') }),
    responses: {
      200: {
        description: 'accepted, processed or failed; the lead id once known',
        schema: eventStatusSchema,
      },
    },
    async handler({ principal, params }) {
      const ctx = workspaceOf(principal);
      const event = await leads.eventStatus(ctx, params.eventId);
      if (!event)
        throw new LeadloopError('not_found', `event ${params.eventId} not found in this workspace`, {
          issues: [{ field: 'path.eventId', reason: 'no such event in this workspace' }],
        });
      return { ...event, acceptedAt: iso(event.acceptedAt), processedAt: isoOrNull(event.processedAt) };
    },
  });

  route({
    method: 'GET',
    url: '/v1/audit',
    operationId: 'listAudit',
    summary: "The workspace's hash-chained audit trail, newest first",
    description:
      'Entries hold references (ids, figures), never copies of personal data. `leadloop audit verify` re-checks the chain.',
    tag: 'Audit',
    auth: 'read',
    query: z
      .object({
        subject: z.string().max(100).optional(),
        cursor: z.string().regex(/^\d+$/, 'must be a cursor from a previous page').optional(),
        limit: z.coerce.number().int().min(1).max(500).default(50),
      })
      .strict(),
    responses: { 200: { description: 'A page of audit entries', schema: auditListSchema } },
    async handler({ principal, query }) {
      const ctx = workspaceOf(principal);
      const page = await audit.list(ctx.workspaceId, {
        subject: query.subject,
        cursor: query.cursor ? Number(query.cursor) : undefined,
        limit: query.limit,
      });
      return {
        items: page.items.map(({ workspaceId: _ws, at, ...rest }) => ({ ...rest, at: iso(at) })),
        nextCursor: page.nextCursor === null ? null : String(page.nextCursor),
      };
    },
  });
}
