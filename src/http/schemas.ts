import { z } from 'zod';

/** Response shapes, for the OpenAPI document (and a test checks real responses against them). */
export const scoreLineSchema = z
  .object({ ruleId: z.string(), description: z.string(), points: z.number() })
  .meta({ id: 'ScoreLine' });

const leadSchema = z
  .object({
    id: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    name: z.string().nullable(),
    company: z.string().nullable(),
    companyDomain: z.string().nullable(),
    title: z.string().nullable(),
    country: z.string().nullable(),
    source: z.string().nullable(),
    utm: z.record(z.string(), z.string()),
    attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    status: z.enum(['new', 'qualified']),
    score: z.number(),
    scoreBreakdown: z.array(scoreLineSchema),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Lead' });

export const leadDetailSchema = leadSchema
  .extend({
    history: z.array(
      z.object({
        eventId: z.string(),
        action: z.string(),
        changes: z.record(z.string(), z.object({ from: z.unknown(), to: z.unknown() })),
        at: z.iso.datetime(),
      }),
    ),
    consents: z.array(
      z.object({
        id: z.string(),
        eventId: z.string(),
        purposes: z.array(z.string()),
        textVersion: z.string(),
        givenAt: z.iso.datetime(),
        method: z.string(),
      }),
    ),
    conversations: z.array(
      z.object({
        sessionId: z.string(),
        playbook: z.string(),
        outcome: z.enum(['qualified', 'nurture', 'disqualified']).nullable(),
        slots: z.record(z.string(), z.unknown()),
        score: z.unknown(),
        transcript: z.array(z.object({ role: z.string(), text: z.string(), at: z.string() })),
        startedAt: z.string(),
        endedAt: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'LeadDetail' });

export const leadListSchema = z.object({ items: z.array(leadSchema), nextCursor: z.string().nullable() });

export const eventStatusSchema = z.object({
  id: z.string(),
  status: z.enum(['accepted', 'processed', 'failed']),
  source: z.string(),
  leadId: z.string().nullable(),
  error: z.string().nullable(),
  acceptedAt: z.iso.datetime(),
  processedAt: z.iso.datetime().nullable(),
});

const auditEntrySchema = z
  .object({
    id: z.string(),
    seq: z.number().int(),
    at: z.iso.datetime(),
    actor: z.object({ type: z.string(), id: z.string() }),
    action: z.string(),
    subject: z.string(),
    reason: z.string(),
    data: z.record(z.string(), z.unknown()),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEntry' });

export const auditListSchema = z.object({
  items: z.array(auditEntrySchema),
  nextCursor: z.string().nullable(),
});

export const iso = (ms: number) => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** An id of one kind (`lead_` + 26 base32 characters) in a path or body: checked before anything else runs. */
export const idParam = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}_[0-9A-Z]{26}$`), `must be an id starting with ${prefix}_`);
