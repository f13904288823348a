import { LeadloopError } from '../core/index.ts';
import type { EventsTable } from '../store/index.ts';
import { fromJson } from '../store/index.ts';
import type { Lead, NormalisedLead } from './lead.ts';
import { findLeadsByEmailOrPhone, toLead } from './lead-repository.ts';
import { leadInputSchema } from './lead-schema.ts';
import { normaliseLead } from './normalise.ts';
import { contextsByWorkspace, type PipelineStage, type StageContext } from './stage.ts';

/** Sources whose contact details nobody verified (a visitor types them into the widget). */
const UNVERIFIED_SOURCES = new Set(['chat']);

const MERGED_FIELDS = [
  'email',
  'phone',
  'name',
  'company',
  'companyDomain',
  'title',
  'country',
  'source',
] as const;

/** Parses and normalises a stored submission; a payload that is not a lead fails for good. */
export function normaliseEvent(event: EventsTable): NormalisedLead {
  const parsed = leadInputSchema.safeParse(fromJson(event.payload, {}));
  if (!parsed.success)
    throw new LeadloopError('validation_failed', `stored payload is not a lead: ${parsed.error.message}`, {
      retryable: false,
    });
  const normalised = normaliseLead(parsed.data);
  if (!normalised.ok)
    throw new LeadloopError(
      'validation_failed',
      normalised.error.map((i) => `${i.field} ${i.reason}`).join('; '),
      { retryable: false },
    );
  return normalised.value;
}

/** Sets `ctx.input` from the stored payload, unless the runner already had it (ingestion normalised it). */
export const normaliseStage: PipelineStage = {
  name: 'normalise',
  async run(ctx) {
    ctx.input ??= normaliseEvent(ctx.event);
  },
};

/** Merges the event's input into `found` (or a new lead), recording each change; sets `ctx.lead`. */
function mergeInto(ctx: StageContext, found: Lead | null): void {
  const input = ctx.input;
  if (!input) return;
  // Anyone can type someone else's e-mail into a chat widget: an unverified source never merges
  // into (nor changes the score or consents of) an existing lead. It claims it instead.
  const existing = found && UNVERIFIED_SOURCES.has(ctx.event.source) ? null : found;
  if (found && !existing) {
    ctx.claim = { leadId: found.id, matchedOn: input.email ? 'email' : 'phone' };
    input.attributes = {
      ...input.attributes,
      ...(input.email ? { claimed_email: input.email } : { claimed_phone: input.phone }),
    };
    // The e-mail is unique per workspace and belongs to the claimed lead until confirmed.
    if (input.email) input.email = null;
  }
  ctx.existing = existing;
  const base: Lead = existing ?? {
    id: '',
    workspaceId: ctx.tenant.workspaceId,
    email: null,
    phone: null,
    name: null,
    company: null,
    companyDomain: null,
    title: null,
    country: null,
    source: null,
    utm: {},
    attributes: {},
    status: 'new',
    score: 0,
    scoreBreakdown: [],
    createdAt: ctx.now,
    updatedAt: ctx.now,
  };
  const lead: Lead = {
    ...base,
    utm: { ...base.utm },
    attributes: { ...base.attributes },
    updatedAt: ctx.now,
  };
  for (const field of MERGED_FIELDS) {
    const value = input[field];
    if (value !== null && value !== lead[field]) {
      ctx.changes[field] = { from: lead[field], to: value };
      lead[field] = value;
    }
  }
  for (const [key, value] of Object.entries(input.utm)) {
    if (lead.utm[key] !== value) {
      ctx.changes[`utm.${key}`] = { from: lead.utm[key] ?? null, to: value };
      lead.utm[key] = value;
    }
  }
  for (const [key, value] of Object.entries(input.attributes)) {
    if (lead.attributes[key] !== value) {
      ctx.changes[`attributes.${key}`] = { from: lead.attributes[key] ?? null, to: value };
      lead.attributes[key] = value;
    }
  }
  ctx.lead = lead;
}

/** The dedupe key of an input: its email, else its phone (what `findLeadsByEmailOrPhone` matches on). */
const keyOf = (input: NormalisedLead): string | null =>
  input.email ? `e:${input.email}` : input.phone ? `p:${input.phone}` : null;

/**
 * Finds the workspace's lead with the same email (or phone, when no email) and merges into it. On a
 * batch: one lookup per workspace for every email and phone of the batch (the batch's contexts never
 * share a contact key, see `StageContext`).
 */
export const dedupeStage: PipelineStage = {
  name: 'dedupe-merge',
  async run(ctx) {
    await dedupeStage.runBatch?.([ctx]);
  },
  async runBatch(batch) {
    for (const group of contextsByWorkspace(batch.filter((ctx) => ctx.input))) {
      const first = group[0] as StageContext;
      const workspaceId = first.tenant.workspaceId;
      const emails: string[] = [];
      const phones: string[] = [];
      for (const { input } of group) {
        if (input?.email) emails.push(input.email);
        else if (input?.phone) phones.push(input.phone);
      }
      const rows = await findLeadsByEmailOrPhone(first.db, workspaceId, emails, phones);
      // Rows come ordered by id: the first row of a key is the one a single lookup would find.
      const found = new Map<string, Lead>();
      for (const row of rows) {
        for (const key of [row.email ? `e:${row.email}` : null, row.phone ? `p:${row.phone}` : null])
          if (key !== null && !found.has(key)) found.set(key, toLead(row));
      }
      for (const ctx of group) {
        const key = keyOf(ctx.input as NormalisedLead);
        mergeInto(ctx, key === null ? null : (found.get(key) ?? null));
      }
    }
  },
};

/**
 * Sums the lines every scoring stage contributed (rules, chat answers, later a predictive model),
 * records the score with its reasons when it changed, and decides qualification.
 */
export const finalizeScoreStage: PipelineStage = {
  name: 'score',
  async run(ctx) {
    const lead = ctx.lead;
    const scoring = ctx.scoring;
    if (!lead || !scoring) return;
    const score = Math.max(
      0,
      scoring.lines.reduce((sum, line) => sum + line.points, 0),
    );
    ctx.score = {
      score,
      breakdown: scoring.lines,
      threshold: scoring.threshold,
      qualified: score >= scoring.threshold || scoring.qualifiedBy !== null,
    };
    const changed =
      ctx.existing === null ||
      score !== ctx.existing.score ||
      JSON.stringify(scoring.lines) !== JSON.stringify(ctx.existing.scoreBreakdown);
    lead.score = score;
    lead.scoreBreakdown = scoring.lines;
    if (!changed) return;
    ctx.emit({
      type: 'lead.scored',
      subject: lead.id,
      data: {
        score,
        previous: ctx.existing?.score ?? null,
        model: scoring.model,
        ...(scoring.prediction
          ? { modelVersion: scoring.prediction.version, probability: scoring.prediction.probability }
          : {}),
      },
    });
    ctx.audit({
      action: 'lead.scored',
      subject: lead.id,
      reason: `${scoring.model}: ${scoring.lines.map((l) => `${l.ruleId} ${l.points >= 0 ? '+' : ''}${l.points}`).join(', ') || 'no rule matched'} = ${score}`,
      data: {
        eventId: ctx.event.id,
        model: scoring.model,
        score,
        threshold: scoring.threshold,
        breakdown: scoring.lines.map((l) => ({ ruleId: l.ruleId, points: l.points })),
      },
    });
  },
};

export const qualifyStage: PipelineStage = {
  name: 'qualify',
  async run(ctx) {
    const lead = ctx.lead;
    const score = ctx.score;
    if (!lead || !score) return;
    if (lead.status === 'new' && score.qualified) {
      lead.status = 'qualified';
      ctx.changes.status = { from: 'new', to: 'qualified' };
      const reason =
        score.score >= score.threshold
          ? `score ${score.score} reached the qualification threshold ${score.threshold}`
          : (ctx.scoring?.qualifiedBy ?? 'qualified');
      ctx.emit({
        type: 'lead.qualified',
        subject: lead.id,
        // acceptedAt: when the lead was first accepted, so speed-to-lead needs no second read.
        data: {
          score: score.score,
          threshold: score.threshold,
          source: lead.source,
          acceptedAt: lead.createdAt,
        },
      });
      ctx.audit({
        action: 'lead.qualified',
        subject: lead.id,
        reason,
        data: { eventId: ctx.event.id, score: score.score, threshold: score.threshold },
      });
    }
  },
};
