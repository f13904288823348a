import type { Actor, WorkspaceContext } from '../../core/index.ts';
import { inWorkspace, LeadloopError } from '../../core/index.ts';
import type { JobContext, PeriodicJob } from '../../queue/index.ts';
import {
  type Adjustment,
  type AdjustmentDeps,
  type AdjustmentStatus,
  findAdjustment,
  listAdjustments,
} from './adjustments.ts';
import {
  type Alert,
  type AlertDeps,
  type AlertStatus,
  acknowledgeAlert,
  findAlert,
  listAlerts,
} from './alerts.ts';
import { approveProposal, rejectProposal } from './approvals.ts';
import { buildGuarantee, type GuaranteeReport, type PeriodFigures } from './guarantee.ts';
import type { LiveOptimiserOptions } from './live-options.ts';
import { createMonitor, type MonitorReport } from './monitor.ts';
import { createMonitorReads } from './monitor-reads.ts';
import { type OptimiserPolicy, type OptimiserPolicyInput, readPolicy, writePolicy } from './policy.ts';
import { createQuestionOrders } from './question-order.ts';
import { createReviewJob } from './review-job.ts';
import { rollBackByHand } from './settlement.ts';
import { proposeChange } from './threshold-changes.ts';

export type { LiveOptimiserOptions } from './live-options.ts';
export type { MonitorReport } from './monitor.ts';

export interface LiveOptimiser {
  /** The schedules this capability needs (every workspace): the monitor minute and the daily sweep. */
  readonly periodicJobs: readonly PeriodicJob[];
  monitor(workspaceId: string): Promise<MonitorReport>;
  monitorJob(job: JobContext<'optimiser.monitor'>): Promise<void>;
  reviewJob(job: JobContext<'optimiser.review'>): Promise<void>;
  housekeepingJob(job: JobContext<'optimiser.housekeeping'>): Promise<void>;
  alerts(ctx: WorkspaceContext, query: { status?: AlertStatus | undefined; limit: number }): Promise<Alert[]>;
  alert(ctx: WorkspaceContext, id: string): Promise<Alert>;
  acknowledge(ctx: WorkspaceContext, id: string, actor: Actor, note?: string): Promise<Alert>;
  adjustments(
    ctx: WorkspaceContext,
    query: { status?: AdjustmentStatus | undefined; limit: number },
  ): Promise<Adjustment[]>;
  rollback(ctx: WorkspaceContext, id: string, actor: Actor, reason: string): Promise<Adjustment>;
  /** A person applies a proposed change now (same bounds and guard as an automatic one); audited. */
  approve(ctx: WorkspaceContext, id: string, actor: Actor, note?: string): Promise<Adjustment>;
  /** A person declines a proposed change; audited. */
  reject(ctx: WorkspaceContext, id: string, actor: Actor, note?: string): Promise<Adjustment>;
  /**
   * A person asks for a threshold nudge: applied under the same policy, bounds and guard as the
   * optimiser's own changes (or recorded as proposed, with the reason it was not applied).
   */
  nudge(ctx: WorkspaceContext, request: { delta: number; reason: string }, actor: Actor): Promise<Adjustment>;
  policy(ctx: WorkspaceContext): Promise<OptimiserPolicy & { version: number }>;
  putPolicy(
    ctx: WorkspaceContext,
    input: OptimiserPolicyInput,
    actor: Actor,
  ): Promise<OptimiserPolicy & { version: number }>;
  guarantee(
    ctx: WorkspaceContext,
    query: { periodDays: number; periods: number; quantile: number },
  ): Promise<GuaranteeReport>;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Per-minute rollups older than this are summed into nothing (the daily sweep removes them). */
const ROLLUP_RETENTION_DAYS = 90;
/** Resolved alerts and settled changes are kept this long (the audit trail keeps them for good). */
const HISTORY_RETENTION_DAYS = 365;

export function createLiveOptimiser(options: LiveOptimiserOptions): LiveOptimiser {
  const { store, audit, events, clock, ids, metrics, thresholds, sources, reviewer } = options;
  const alertDeps: AlertDeps = { audit, events, clock, ids };
  const adjustmentDeps: AdjustmentDeps = { audit, events, clock, ids, thresholds, sources };
  const { baselineBefore } = createMonitorReads({ clock, metrics });
  const questionOrders = createQuestionOrders({
    store,
    clock,
    ids,
    metrics,
    adjustmentDeps,
    playbooks: options.playbooks,
  });
  const monitor = createMonitor(options, { alertDeps, adjustmentDeps, questionOrders });

  return {
    periodicJobs: [
      { name: 'optimiser.monitor', job: 'optimiser.monitor', everyMs: MINUTE, payload: (slot) => ({ slot }) },
      {
        name: 'optimiser.housekeeping',
        job: 'optimiser.housekeeping',
        everyMs: DAY,
        payload: (slot) => ({ slot }),
      },
    ],
    monitor: (workspaceId) => inWorkspace(workspaceId, () => monitor(workspaceId)),

    async monitorJob(job) {
      // A slot long past (the queue was backed up) is still worth one run: the state says what
      // was evaluated, so a repeated or late job never evaluates a minute twice.
      await inWorkspace(job.workspaceId, () => monitor(job.workspaceId));
    },

    reviewJob: createReviewJob({ store, audit, events, ids, reviewer, adjustmentDeps, baselineBefore }),

    async housekeepingJob(job) {
      await inWorkspace(job.workspaceId, async () => {
        const now = clock.now();
        await store.transaction(async (trx) => {
          await trx
            .deleteFrom('metric_rollups')
            .where('workspace_id', '=', job.workspaceId)
            .where('minute', '<', Math.floor((now - ROLLUP_RETENTION_DAYS * DAY) / MINUTE))
            .execute();
          await trx
            .deleteFrom('optimiser_alerts')
            .where('workspace_id', '=', job.workspaceId)
            .where('status', '=', 'resolved')
            .where('resolved_at', '<', now - HISTORY_RETENTION_DAYS * DAY)
            .execute();
          await trx
            .deleteFrom('optimiser_adjustments')
            .where('workspace_id', '=', job.workspaceId)
            .where('settled_at', '<', now - HISTORY_RETENTION_DAYS * DAY)
            .execute();
        });
      });
    },

    alerts: (ctx, query) => listAlerts(store.db, ctx, query),
    alert: (ctx, id) => findAlert(store.db, ctx, id),
    async acknowledge(ctx, id, actor, note) {
      const alert = await store.transaction((trx) => acknowledgeAlert(trx, alertDeps, ctx, id, actor, note));
      events.notify(ctx.workspaceId);
      return alert;
    },
    adjustments: (ctx, query) => listAdjustments(store.db, ctx, query),
    async rollback(ctx, id, actor, reason) {
      const found = await findAdjustment(store.db, ctx, id);
      const before = found.before;
      let resumed: boolean | undefined;
      // The workflows service activates in its own transaction: before this one, and only for a
      // pause in force (rollBackByHand refuses the others).
      if ('active' in before && (found.status === 'applied' || found.status === 'kept'))
        resumed =
          before.version !== null && options.workflows
            ? await options.workflows.resume(ctx.workspaceId, before.workflowId, before.version, actor)
            : false;
      const adjustment = await store.transaction((trx) =>
        rollBackByHand(trx, adjustmentDeps, ctx, id, actor, reason, resumed),
      );
      events.notify(ctx.workspaceId);
      return adjustment;
    },
    async approve(ctx, id, actor, note) {
      const found = await findAdjustment(store.db, ctx, id);
      const policy = await readPolicy(store.db, ctx.workspaceId);
      const guard =
        found.kind === 'workflow_pause'
          ? policy.workflowPause.guard
          : found.kind === 'source_pause'
            ? policy.sourcePause.guard
            : policy.thresholdNudge.guard;
      const after = found.after;
      const baseline =
        'order' in after
          ? await questionOrders.completionBefore(
              ctx,
              after.playbookId,
              policy.questionOrder.guard.windowMinutes,
            )
          : await baselineBefore(ctx, guard.windowMinutes);
      let workflowVersion: number | undefined;
      if ('active' in after && found.status === 'proposed') {
        if (!options.workflows)
          throw new LeadloopError('unavailable', 'workflows cannot be paused in this deployment');
        const made = await options.workflows.pause(ctx.workspaceId, after.workflowId, actor);
        if (!made.ok)
          throw new LeadloopError('conflict', `adjustment ${id} cannot be applied: ${made.reason}`, {
            issues: [{ field: 'path.id', reason: made.reason }],
          });
        workflowVersion = made.version;
      }
      try {
        const adjustment = await store.transaction((trx) =>
          approveProposal(trx, adjustmentDeps, ctx, {
            id,
            actor,
            note,
            policy,
            baseline,
            ...(workflowVersion === undefined ? {} : { workflowVersion }),
          }),
        );
        events.notify(ctx.workspaceId);
        return adjustment;
      } catch (error) {
        // Not recorded (decided concurrently): the workflow goes back to how it was.
        if (workflowVersion !== undefined && 'active' in after)
          await options.workflows?.resume(ctx.workspaceId, after.workflowId, workflowVersion, actor);
        throw error;
      }
    },
    async reject(ctx, id, actor, note) {
      const adjustment = await store.transaction((trx) =>
        rejectProposal(trx, adjustmentDeps, ctx, { id, actor, note }),
      );
      events.notify(ctx.workspaceId);
      return adjustment;
    },
    async nudge(ctx, request, actor) {
      const policy = await readPolicy(store.db, ctx.workspaceId);
      const guard = request.delta > 0 ? policy.thresholdNudge.raiseGuard : policy.thresholdNudge.guard;
      const baseline = await baselineBefore(ctx, guard.windowMinutes);
      const adjustment = await store.transaction((trx) =>
        proposeChange(
          trx,
          adjustmentDeps,
          ctx,
          policy,
          {
            kind: 'threshold_nudge',
            origin: 'person',
            alertId: null,
            delta: request.delta,
            reason: `asked by ${actor.type} ${actor.id}: ${request.reason}`,
            apply: true,
          },
          baseline,
        ),
      );
      events.notify(ctx.workspaceId);
      return adjustment;
    },
    policy: (ctx) => readPolicy(store.db, ctx.workspaceId),
    putPolicy: (ctx, input, actor) =>
      store.transaction((trx) => writePolicy(trx, { audit, clock }, ctx, input, actor)),

    async guarantee(ctx, query) {
      if (query.periods * query.periodDays > 3650)
        throw new LeadloopError('validation_failed', 'the report covers at most 3,650 days', {
          issues: [{ field: 'query.periods', reason: 'periods × period days exceeds 3,650' }],
        });
      const now = clock.now();
      // Periods end at the last midnight (UTC), newest first.
      const end = Math.floor(now / DAY) * DAY;
      const level = 1 - 2 * query.quantile;
      const periods: { from: number; to: number; figures: PeriodFigures[] }[] = [];
      for (let i = 0; i < query.periods; i++) {
        const to = end - i * query.periodDays * DAY;
        const from = to - query.periodDays * DAY;
        periods.push({ from, to, figures: await options.periods(ctx.workspaceId, { from, to, level }) });
      }
      return buildGuarantee({ periodDays: query.periodDays, quantile: query.quantile, now }, periods);
    },
  };
}
