import type { AuditLog, AuditRecord } from '../compliance/index.ts';
import type { Actor, Clock, IdGenerator } from '../core/index.ts';
import { LeadloopError } from '../core/index.ts';
import type { DomainEventLog, NewDomainEvent } from '../events/index.ts';
import type { JobContext } from '../queue/index.ts';
import type { Db, EventsTable } from '../store/index.ts';
import { dbOf, toJson, withSavepoint } from '../store/index.ts';
import { recordConsent } from './consent-writes.ts';
import { insertClaim } from './identity-claims.ts';
import type { Lead, NormalisedLead } from './lead.ts';
import {
  indexNewLeads,
  insertHistoryRows,
  markEventsProcessed,
  selectEvents,
  upsertLeads,
} from './lead-statements.ts';
import type { NormalisedLeads } from './normalised-leads.ts';
import { type PipelineStage, runStageOverBatch, type StageContext } from './stage.ts';
import { dedupeStage, finalizeScoreStage, normaliseEvent, normaliseStage, qualifyStage } from './stages.ts';

const WORKER: Actor = { type: 'worker', id: 'lead.process' };

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
  /**
   * A workspace's organisation, through the process's one workspace-directory cache (wired in
   * `src/main/`), read with the pipeline's own connection or transaction.
   */
  organisationOf: (db: Db, workspaceId: string) => Promise<string>;
  /** Leads ingestion already normalised in this process (taken instead of normalising the payload again). */
  normalisedLeads?: NormalisedLeads;
  /**
   * The lead's segments in closed vocabularies (industry, region), put on `lead.created` and
   * `lead.qualified` so metrics count arrivals and qualification per segment without reading the
   * lead; a value outside the vocabulary is left out (no free text on the event). Wired in `src/main/`.
   */
  segmentsOf?: (lead: Pick<Lead, 'country' | 'attributes'>) => { industry?: string; region?: string };
}

export interface LeadPipeline {
  /** The `lead.process` job handler: idempotent, since effects and the processed mark commit together. */
  process(job: JobContext<'lead.process'>): Promise<void>;
  /**
   * The set-based handler: jobs of one transaction processed together in a constant number of
   * statements per stage. All or nothing: when it throws, the caller undoes it (a savepoint) and
   * runs each job alone with `process`, so a lead that fails alone is retried alone.
   */
  processBatch(jobs: readonly JobContext<'lead.process'>[]): Promise<void>;
  readonly stages: readonly PipelineStage[];
}

/** One event's part in a set: its job, its stored submission and what the stages made of it. */
interface Item {
  job: JobContext<'lead.process'>;
  ctx: StageContext;
  emitted: NewDomainEvent[];
  audits: Omit<AuditRecord, 'actor'>[];
}

/** Contact keys an input is deduplicated on (both, so no two events of a wave can meet on either). */
const contactKeys = (input: NormalisedLead): string[] => [
  ...(input.email ? [`e:${input.email}`] : []),
  ...(input.phone ? [`p:${input.phone}`] : []),
];

/**
 * Splits items into waves whose events share no contact key, keeping each key's events in order:
 * processing the waves one after another gives what processing every event alone, in order, would
 * (an event sees the lead an earlier event of the batch created or changed).
 */
function wavesOf(items: readonly Item[]): Item[][] {
  const waves: Item[][] = [];
  const lastWave = new Map<string, number>();
  for (const item of items) {
    const keys = contactKeys(item.ctx.input as NormalisedLead);
    const wave = Math.max(-1, ...keys.map((k) => lastWave.get(k) ?? -1)) + 1;
    for (const k of keys) lastWave.set(k, wave);
    const members = waves[wave];
    if (members) members.push(item);
    else waves[wave] = [item];
  }
  return waves;
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

  const { organisationOf } = options;

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

  /** The event's normalised lead: the one ingestion handed over, else from the stored payload. */
  function inputOf(event: EventsTable): NormalisedLead {
    return options.normalisedLeads?.take(event.id) ?? normaliseEvent(event);
  }

  /**
   * Processes the events of `jobs` (one workspace, one transaction): loads them in one statement,
   * runs each stage over each wave, then writes the leads, their history, audit entries, domain
   * events and processed marks in one statement each. An event that is not found or not a lead is
   * marked failed on its own. Returns how many events it processed.
   */
  async function runSet(
    db: Db,
    workspaceId: string,
    jobs: readonly JobContext<'lead.process'>[],
  ): Promise<number> {
    // First, before any read: sets of one workspace in other worker processes wait here rather than
    // deduplicating against leads they cannot see yet or deadlocking with this set on lead rows and
    // the audit head (measured with two workers: sets undone and re-run job by job, 5-10 round trips
    // per lead).
    await events.takeTurn(db, workspaceId);
    const loaded = await selectEvents(
      db,
      jobs.map((job) => job.payload.eventId),
    );
    const byId = new Map(
      loaded.filter((event) => event.workspace_id === workspaceId).map((event) => [event.id, event]),
    );
    const organisationId = await organisationOf(db, workspaceId);
    const now = clock.now();
    const items: Item[] = [];
    const seen = new Set<string>();
    // In acceptance order (event ids sort by creation), whatever order the jobs were claimed in.
    const ordered = [...jobs].sort((a, b) => (a.payload.eventId < b.payload.eventId ? -1 : 1));
    for (const job of ordered) {
      const eventId = job.payload.eventId;
      const event = byId.get(eventId);
      if (!event) {
        await markFailed(db, workspaceId, eventId, `event ${eventId} not found in workspace ${workspaceId}`);
        continue;
      }
      // Already handled by an earlier run whose acknowledgement was lost (or twice in one batch):
      // nothing to do, nothing doubled.
      if (event.status !== 'accepted' || seen.has(eventId)) continue;
      seen.add(eventId);
      let input: NormalisedLead;
      try {
        input = inputOf(event);
      } catch (error) {
        if (!(error instanceof LeadloopError) || error.retryable) throw error;
        await markFailed(db, workspaceId, eventId, error.message);
        continue;
      }
      const item: Item = { job, ctx: undefined as unknown as StageContext, emitted: [], audits: [] };
      item.ctx = {
        db,
        tenant: { workspaceId, organisationId },
        event,
        now,
        input,
        existing: null,
        claim: null,
        lead: null,
        changes: {},
        scoring: null,
        score: null,
        emit: (e) => item.emitted.push(e),
        audit: (r) => item.audits.push(r),
      };
      items.push(item);
    }
    const records: AuditRecord[] = [];
    const emitted: NewDomainEvent[] = [];
    const waves = wavesOf(items);
    for (const wave of waves) await runWave(db, workspaceId, now, wave, records, emitted);
    // One append per workspace and set, not per wave: the chain head is read and moved once for
    // all entries. The reactions (workflow starts, which append too) follow, as the trail reads.
    await audit.appendMany(db, workspaceId, records);
    await events.append(db, workspaceId, emitted);
    for (const wave of waves) {
      const contexts = wave.map((item) => item.ctx);
      for (const stage of stages) await stage.afterWrite?.(contexts);
    }
    return items.length;
  }

  /** Runs the stages over one wave and writes its leads; its audit records and events are collected. */
  async function runWave(
    db: Db,
    workspaceId: string,
    now: number,
    wave: Item[],
    records: AuditRecord[],
    emitted: NewDomainEvent[],
  ): Promise<void> {
    const contexts = wave.map((item) => item.ctx);
    // Lead ids are known before the stages run, so events and audit entries can name them.
    const draftIds = wave.map(() => ids.next('lead'));
    for (const stage of stages) {
      await runStageOverBatch(stage, contexts);
      contexts.forEach((ctx, i) => {
        if (ctx.lead && ctx.lead.id === '') ctx.lead.id = draftIds[i] as string;
      });
    }
    const segments = (lead: Lead) => options.segmentsOf?.(lead) ?? {};
    for (const { ctx, emitted: own, audits } of wave) {
      const lead = ctx.lead;
      if (!lead) throw new LeadloopError('internal', 'pipeline produced no lead', { retryable: false });
      const { event } = ctx;
      const created = ctx.existing === null;
      const changedFields = Object.keys(ctx.changes);
      if (created || changedFields.length > 0)
        emitted.push({
          type: created ? 'lead.created' : 'lead.updated',
          subject: lead.id,
          // The source lets metrics segment arrivals without reading the lead (no personal data).
          data: { eventId: event.id, fields: changedFields, source: lead.source, ...segments(lead) },
        });
      for (const e of own)
        emitted.push({
          ...e,
          subject: e.subject || lead.id,
          ...(e.type === 'lead.qualified' ? { data: { ...e.data, ...segments(lead) } } : {}),
        });
      records.push({
        actor: WORKER,
        action: created ? 'lead.created' : 'lead.merged',
        subject: lead.id,
        reason: created
          ? `new lead from ${event.source} event`
          : `merged ${event.source} event into the existing lead with the same ${ctx.input?.email ? 'email' : 'phone'}`,
        data: { eventId: event.id, fields: changedFields },
      });
      if (ctx.claim)
        records.push({
          actor: WORKER,
          action: 'lead.identity_claimed',
          subject: lead.id,
          reason: `an unverified ${event.source} gave the ${ctx.claim.matchedOn} of lead ${ctx.claim.leadId}; kept as a separate lead until an operator confirms`,
          data: { eventId: event.id, claimedLeadId: ctx.claim.leadId, matchedOn: ctx.claim.matchedOn },
        });
      for (const record of audits) records.push({ ...record, actor: WORKER });
    }
    await persistLeads(db, workspaceId, now, contexts);
    const marked = await markEventsProcessed(
      db,
      workspaceId,
      now,
      wave.map(({ job, ctx }) => ({
        id: ctx.event.id,
        leadId: ctx.lead?.id as string,
        attempts: job.attempt,
      })),
    );
    // Every event of the wave was read in this transaction, accepted and in the workspace: one
    // that did not change was changed by someone else meanwhile, and the set runs again.
    if (marked !== wave.length)
      throw new LeadloopError('conflict', `marked ${marked} of ${wave.length} events processed`, {
        retryable: true,
      });
  }

  return {
    stages,
    async process(job) {
      const { workspaceId } = job;
      const db = dbOf(job.db);
      try {
        const touched = await withSavepoint(db, () => runSet(db, workspaceId, [job]));
        if (touched > 0) job.afterCommit(() => events.notify(workspaceId));
      } catch (error) {
        // A permanent failure (a stage refused the lead) marks the event failed instead of retrying
        // forever; the savepoint has already undone any partial effects.
        if (error instanceof LeadloopError && !error.retryable) {
          await markFailed(db, workspaceId, job.payload.eventId, error.message);
          return;
        }
        throw error;
      }
    },
    async processBatch(jobs) {
      const byWorkspace = new Map<string, JobContext<'lead.process'>[]>();
      for (const job of jobs) {
        const group = byWorkspace.get(job.workspaceId);
        if (group) group.push(job);
        else byWorkspace.set(job.workspaceId, [job]);
      }
      for (const [workspaceId, group] of byWorkspace) {
        const first = group[0] as JobContext<'lead.process'>;
        const touched = await runSet(dbOf(first.db), workspaceId, group);
        if (touched > 0) first.afterCommit(() => events.notify(workspaceId));
      }
    },
  };
}

/** Writes a wave's leads (new and merged in one upsert), history rows, consents and claims. */
async function persistLeads(
  db: Db,
  workspaceId: string,
  now: number,
  contexts: readonly StageContext[],
): Promise<void> {
  await upsertLeads.execute(
    db,
    contexts.map(({ lead, existing }) => {
      const l = lead as NonNullable<StageContext['lead']>;
      return {
        id: l.id,
        workspace_id: workspaceId,
        created_at: existing ? existing.createdAt : now,
        email: l.email,
        phone: l.phone,
        name: l.name,
        company: l.company,
        company_domain: l.companyDomain,
        title: l.title,
        country: l.country,
        source: l.source,
        utm: toJson(l.utm),
        attributes: toJson(l.attributes),
        status: l.status,
        score: l.score,
        score_breakdown: toJson(l.scoreBreakdown),
        updated_at: now,
      };
    }),
  );
  await indexNewLeads(
    db,
    workspaceId,
    contexts
      .filter((ctx) => ctx.existing === null)
      .map((ctx) => (ctx.lead as NonNullable<StageContext['lead']>).id),
  );
  await insertHistoryRows.execute(
    db,
    contexts.map((ctx) => ({
      workspace_id: workspaceId,
      lead_id: (ctx.lead as NonNullable<StageContext['lead']>).id,
      event_id: ctx.event.id,
      action: ctx.existing === null ? 'created' : 'merged',
      changes: toJson(ctx.changes),
      created_at: now,
    })),
  );
  for (const ctx of contexts) {
    const leadId = (ctx.lead as NonNullable<StageContext['lead']>).id;
    await recordConsent(db, { workspaceId, leadId, eventId: ctx.event.id, now }, ctx.input?.consent);
    if (ctx.claim)
      await insertClaim(db, {
        id: `idc_${ctx.event.id.slice(4)}`,
        workspaceId,
        leadId,
        claimedLeadId: ctx.claim.leadId,
        eventId: ctx.event.id,
        matchedOn: ctx.claim.matchedOn,
        now,
      });
  }
}
