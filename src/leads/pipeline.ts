import type { AuditLog, AuditRecord } from '../compliance/index.ts';
import type { Actor, Clock, IdGenerator } from '../core/index.ts';
import { LeadloopError } from '../core/index.ts';
import type { DomainEventLog, NewDomainEvent } from '../events/index.ts';
import type { JobContext } from '../queue/index.ts';
import type { Db } from '../store/index.ts';
import { dbOf, fromJson, toJson, withSavepoint } from '../store/index.ts';
import { recordConsent } from './consent-writes.ts';
import { insertClaim } from './identity-claims.ts';
import type { Lead } from './lead.ts';
import { findLeadByEmailOrPhone } from './lead-repository.ts';
import { leadInputSchema } from './lead-schema.ts';
import { insertHistory, insertLead, markEventProcessed, selectEvent, updateLead } from './lead-statements.ts';
import { normaliseLead } from './normalise.ts';
import type { PipelineStage, StageContext } from './stage.ts';

const WORKER: Actor = { type: 'worker', id: 'lead.process' };

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

export const normaliseStage: PipelineStage = {
  name: 'normalise',
  async run(ctx) {
    const parsed = leadInputSchema.safeParse(fromJson(ctx.event.payload, {}));
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
    ctx.input = normalised.value;
  },
};

/** Finds the workspace's lead with the same email (or phone, when no email) and merges into it. */
export const dedupeStage: PipelineStage = {
  name: 'dedupe-merge',
  async run(ctx) {
    const input = ctx.input;
    if (!input) return;
    const found = await findLeadByEmailOrPhone(ctx.db, ctx.tenant, input);
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
      data: { score, previous: ctx.existing?.score ?? null, model: scoring.model },
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
        data: { score: score.score, threshold: score.threshold, source: lead.source },
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

export interface LeadPipelineOptions {
  clock: Clock;
  ids: IdGenerator;
  audit: AuditLog;
  events: DomainEventLog;
  /**
   * Stages that contribute score lines, in order (point rules first: the first one starts
   * `ctx.scoring`; then chat answers, predictive models). Wired in `src/main/`.
   */
  scoringStages?: PipelineStage[];
  /** Replaces the whole default: normalise → dedupe-merge → scoringStages → score → qualify → reactions. */
  stages?: PipelineStage[];
  /** Run after qualify in the default list, in the same transaction: react to what changed (queue follow-ups). */
  reactions?: PipelineStage[];
}

export interface LeadPipeline {
  /** The `lead.process` job handler: idempotent, since effects and the processed mark commit together. */
  process(job: JobContext<'lead.process'>): Promise<void>;
  readonly stages: readonly PipelineStage[];
}

export function createLeadPipeline(options: LeadPipelineOptions): LeadPipeline {
  const { clock, ids, audit, events } = options;
  const stages = options.stages ?? [
    normaliseStage,
    dedupeStage,
    ...(options.scoringStages ?? []),
    finalizeScoreStage,
    qualifyStage,
    ...(options.reactions ?? []),
  ];

  // A workspace never changes organisation, so the lookup is cached for the life of the process.
  const organisations = new Map<string, string>();
  async function organisationOf(db: Db, workspaceId: string): Promise<string> {
    const cached = organisations.get(workspaceId);
    if (cached) return cached;
    const row = await db
      .selectFrom('workspaces')
      .select('organisation_id')
      .where('id', '=', workspaceId)
      .executeTakeFirstOrThrow();
    if (organisations.size > 10_000) organisations.clear();
    organisations.set(workspaceId, row.organisation_id);
    return row.organisation_id;
  }

  async function markFailed(db: Db, workspaceId: string, eventId: string, message: string): Promise<void> {
    await db
      .updateTable('events')
      .set({ status: 'failed', error: message.slice(0, 2000), processed_at: clock.now() })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', eventId)
      .where('status', '=', 'accepted')
      .execute();
    await audit.append(db, workspaceId, {
      actor: WORKER,
      action: 'event.failed',
      subject: eventId,
      reason: message.slice(0, 500),
    });
  }

  /** Runs the stages for one event in `db`; false when the event was already handled. */
  async function run(db: Db, workspaceId: string, eventId: string, attempt: number): Promise<boolean> {
    const [event] = (await selectEvent.execute(db, { workspaceId, id: eventId })).rows;
    if (!event)
      throw new LeadloopError('not_found', `event ${eventId} not found in workspace ${workspaceId}`, {
        retryable: false,
      });
    // Already handled by an earlier run whose acknowledgement was lost: nothing to do, nothing doubled.
    if (event.status !== 'accepted') return false;
    const organisationId = await organisationOf(db, workspaceId);
    const emitted: NewDomainEvent[] = [];
    const audits: Omit<AuditRecord, 'actor'>[] = [];
    const ctx: StageContext = {
      db,
      tenant: { workspaceId, organisationId },
      event,
      now: clock.now(),
      input: null,
      existing: null,
      claim: null,
      lead: null,
      changes: {},
      scoring: null,
      score: null,
      emit: (e) => emitted.push(e),
      audit: (r) => audits.push(r),
    };
    // The lead id is known before the stages run, so events and audit entries can name it.
    const draftId = ids.next('lead');
    for (const stage of stages) {
      await stage.run(ctx);
      if (ctx.lead && ctx.lead.id === '') ctx.lead.id = draftId;
    }
    const lead = ctx.lead;
    if (!lead) throw new LeadloopError('internal', 'pipeline produced no lead', { retryable: false });
    await persistLead(db, ctx, lead);
    const created = ctx.existing === null;
    const changedFields = Object.keys(ctx.changes);
    if (created || changedFields.length > 0) {
      emitted.unshift({
        type: created ? 'lead.created' : 'lead.updated',
        subject: lead.id,
        // The source lets metrics segment arrivals without reading the lead (no personal data).
        data: { eventId, fields: changedFields, source: lead.source },
      });
    }
    // One append for the lead's entries: a single read and update of the chain head instead of one each.
    await audit.appendMany(db, workspaceId, [
      {
        actor: WORKER,
        action: created ? 'lead.created' : 'lead.merged',
        subject: lead.id,
        reason: created
          ? `new lead from ${event.source} event`
          : `merged ${event.source} event into the existing lead with the same ${ctx.input?.email ? 'email' : 'phone'}`,
        data: { eventId, fields: changedFields },
      },
      ...(ctx.claim
        ? [
            {
              actor: WORKER,
              action: 'lead.identity_claimed',
              subject: lead.id,
              reason: `an unverified ${event.source} gave the ${ctx.claim.matchedOn} of lead ${ctx.claim.leadId}; kept as a separate lead until an operator confirms`,
              data: { eventId, claimedLeadId: ctx.claim.leadId, matchedOn: ctx.claim.matchedOn },
            },
          ]
        : []),
      ...audits.map((record) => ({ ...record, actor: WORKER })),
    ]);
    await events.append(
      db,
      workspaceId,
      emitted.map((e) => ({ ...e, subject: e.subject || lead.id })),
    );
    await markEventProcessed.execute(db, {
      workspaceId,
      id: eventId,
      leadId: lead.id,
      processedAt: ctx.now,
      attempts: attempt,
    });
    return true;
  }

  return {
    stages,
    async process(job) {
      const { workspaceId } = job;
      const { eventId } = job.payload;
      const db = dbOf(job.db);
      try {
        const touched = await withSavepoint(db, () => run(db, workspaceId, eventId, job.attempt));
        if (touched) job.afterCommit(() => events.notify(workspaceId));
      } catch (error) {
        // A permanent failure (bad stored payload) marks the event failed instead of retrying forever;
        // the savepoint has already undone any partial effects.
        if (error instanceof LeadloopError && !error.retryable) {
          await markFailed(db, workspaceId, eventId, error.message);
          return;
        }
        throw error;
      }
    },
  };
}

async function persistLead(db: Db, ctx: StageContext, lead: Lead): Promise<void> {
  const row = {
    email: lead.email,
    phone: lead.phone,
    name: lead.name,
    company: lead.company,
    company_domain: lead.companyDomain,
    title: lead.title,
    country: lead.country,
    source: lead.source,
    utm: toJson(lead.utm),
    attributes: toJson(lead.attributes),
    status: lead.status,
    score: lead.score,
    score_breakdown: toJson(lead.scoreBreakdown),
    updated_at: ctx.now,
  };
  const workspaceId = ctx.tenant.workspaceId;
  if (ctx.existing === null) {
    await insertLead.execute(db, { ...row, id: lead.id, workspace_id: workspaceId, created_at: ctx.now });
  } else {
    await updateLead.execute(db, { ...row, id: lead.id, workspace_id: workspaceId });
  }
  await insertHistory.execute(db, {
    workspaceId,
    leadId: lead.id,
    eventId: ctx.event.id,
    action: ctx.existing === null ? 'created' : 'merged',
    changes: toJson(ctx.changes),
    createdAt: ctx.now,
  });
  await recordConsent(
    db,
    { workspaceId, leadId: lead.id, eventId: ctx.event.id, now: ctx.now },
    ctx.input?.consent,
  );
  if (ctx.claim)
    await insertClaim(db, {
      id: `idc_${ctx.event.id.slice(4)}`,
      workspaceId,
      leadId: lead.id,
      claimedLeadId: ctx.claim.leadId,
      eventId: ctx.event.id,
      matchedOn: ctx.claim.matchedOn,
      now: ctx.now,
    });
}
