import type { PipelineStage, StageContext } from '../../leads/index.ts';
import type { Db } from '../../store/index.ts';
import { dbOf } from '../../store/index.ts';
import type { Trigger } from '../dsl/index.ts';
import type { LeadPort, WorkflowLead } from '../ports.ts';
import type { DefinitionCache } from './definitions.ts';
import type { StartRun } from './engine-types.ts';
import { evaluate, leadView, type RunScope } from './evaluate.ts';

/** Something that happened to a lead outside the lead pipeline, which may start runs. */
export interface LeadEvent {
  type: 'chat.ended' | 'outcome.recorded' | 'council.decided';
  leadId: string;
  /** Names this occurrence: a repeated delivery with the same value starts nothing new. */
  occurrence: string;
  /** `outcome.recorded`: the outcome (`won` or `lost`); `council.decided`: the decision class. */
  value: string;
  /** Ids and figures (no personal data): the run's `trigger` scope. */
  data: Record<string, unknown>;
}

/** One trigger occurrence of a lead: its type and the data its runs see as `trigger`. */
interface Fired {
  type: Trigger['type'];
  data: Record<string, unknown>;
  dedupeKey: string;
  /** For triggers with a value list (`outcomes`, `decisions`). */
  value?: string;
}

type DeliverEvent = (
  db: Db,
  workspaceId: string,
  leadId: string,
  event: string,
  data: Record<string, unknown>,
) => Promise<number>;

function matchesValue(trigger: Trigger, value: string | undefined): boolean {
  if (trigger.type === 'outcome.recorded') return !trigger.outcomes || trigger.outcomes.includes(value ?? '');
  if (trigger.type === 'council.decided')
    return !trigger.decisions || trigger.decisions.includes(value ?? '');
  return true;
}

/**
 * How lead events start runs: the pipeline reaction (`lead.created`, `lead.qualified`,
 * `score.crossed`, `chat.ended` for the lead an ended conversation submitted) and `fire` for events
 * recorded elsewhere (`outcome.recorded`, `council.decided`). Both run in the transaction that
 * records the event, so a run starts if and only if the event committed, and the dedupe key (the
 * event's occurrence) makes a repeated delivery start nothing.
 */
export function createLeadTriggers(options: {
  definitions: DefinitionCache;
  leads: LeadPort;
  startRun: StartRun;
  deliverEvent: DeliverEvent;
}) {
  const { definitions, startRun, deliverEvent } = options;

  async function startFor(
    db: Db,
    workspaceId: string,
    lead: WorkflowLead,
    fired: Fired[],
    scoreFrom?: number,
  ) {
    const active = await definitions.active(db, workspaceId);
    if (active.length === 0) return;
    const view = leadView(lead);
    for (const wf of active) {
      for (const trigger of wf.workflow.triggers) {
        let occurrence: Fired | null = fired.find((f) => f.type === trigger.type) ?? null;
        if (trigger.type === 'score.crossed') {
          const scored = fired.find((f) => f.type === 'score.crossed');
          const before = scoreFrom ?? 0;
          const after = lead.score;
          const up = (trigger.direction ?? 'up') === 'up';
          const crossed = up
            ? before < trigger.threshold && after >= trigger.threshold
            : before >= trigger.threshold && after < trigger.threshold;
          occurrence =
            crossed && scored
              ? { ...scored, data: { ...scored.data, from: before, to: after, threshold: trigger.threshold } }
              : null;
        }
        if (!occurrence || !matchesValue(trigger, occurrence.value)) continue;
        const scope: RunScope = {
          lead: view,
          trigger: occurrence.data,
          vars: {},
          steps: {},
          loop: {},
          consent: null,
        };
        if (trigger.filter && !evaluate(trigger.filter, scope)) continue;
        await startRun(db, workspaceId, {
          workflowId: wf.id,
          version: wf.version,
          trigger: trigger.type,
          leadId: lead.id,
          dedupeKey: occurrence.dedupeKey,
          input: occurrence.data,
        });
      }
    }
  }

  const triggerStage: PipelineStage = {
    name: 'workflow-triggers',
    // The runs start once the lead is stored (same transaction), so their first database-only
    // steps can run at once, reading and updating the stored lead.
    async run() {},
    async afterWrite(batch) {
      for (const ctx of batch) await startForContext(ctx);
    },
  };

  async function startForContext(ctx: StageContext): Promise<void> {
    const lead = ctx.lead;
    if (!lead) return;
    const eventId = ctx.event.id;
    const after = ctx.score?.score ?? lead.score;
    const fired: Fired[] = [];
    if (ctx.existing === null)
      fired.push({ type: 'lead.created', data: { eventId }, dedupeKey: `lead.created:${eventId}` });
    if (ctx.changes.status?.to === 'qualified')
      fired.push({
        type: 'lead.qualified',
        data: { eventId, score: after },
        dedupeKey: `lead.qualified:${eventId}`,
      });
    // An ended conversation enters the pipeline once, as a submission from the `chat` source.
    if (ctx.event.source === 'chat')
      fired.push({ type: 'chat.ended', data: { eventId }, dedupeKey: `chat.ended:${eventId}` });
    fired.push({ type: 'score.crossed', data: { eventId }, dedupeKey: `score.crossed:${eventId}` });
    const workspaceId = ctx.tenant.workspaceId;
    const db = dbOf(ctx.db);
    if (ctx.existing && ctx.changes.status?.to === 'qualified')
      await deliverEvent(db, workspaceId, lead.id, 'lead.qualified', { score: after });
    await startFor(db, workspaceId, { ...lead, score: after }, fired, ctx.existing?.score ?? 0);
  }

  /** Starts the runs `event` triggers and wakes runs waiting for it, in `db` (the event's transaction). */
  async function fire(db: Db, workspaceId: string, event: LeadEvent): Promise<void> {
    const lead = await options.leads.find(db, { workspaceId }, event.leadId);
    if (!lead) return;
    await deliverEvent(db, workspaceId, lead.id, event.type, event.data);
    await startFor(db, workspaceId, lead, [
      {
        type: event.type,
        data: event.data,
        dedupeKey: `${event.type}:${event.occurrence}`,
        value: event.value,
      },
    ]);
  }

  return { triggerStage, fire };
}
