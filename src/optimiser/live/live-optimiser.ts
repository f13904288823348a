import type { AuditLog } from '../../compliance/index.ts';
import type { Actor, Clock, IdGenerator, WorkspaceContext } from '../../core/index.ts';
import { inWorkspace, LeadloopError } from '../../core/index.ts';
import type { DomainEventLog } from '../../events/index.ts';
import type { JobContext, PeriodicJob, Queue } from '../../queue/index.ts';
import type { Db, Store } from '../../store/index.ts';
import { fromJson, toJson } from '../../store/index.ts';
import {
  type Adjustment,
  type AdjustmentDeps,
  type AdjustmentStatus,
  appliedAdjustments,
  listAdjustments,
} from './adjustments.ts';
import {
  type Alert,
  type AlertDeps,
  type AlertStatus,
  acknowledgeAlert,
  findAlert,
  listAlerts,
  liveAlertOf,
  liveAlerts,
  openAlert,
  resolveAlert,
} from './alerts.ts';
import { approveProposal, findAdjustment, rejectProposal } from './approvals.ts';
import { buildGuarantee, type GuaranteeReport, type PeriodFigures } from './guarantee.ts';
import { conversionsRecovered, stepOutcomes } from './outcome-streams.ts';
import { type OptimiserPolicy, type OptimiserPolicyInput, readPolicy, writePolicy } from './policy.ts';
import type {
  CountedMetric,
  MetricCounts,
  PerformanceReviewer,
  PlaybookQuestions,
  SourceHolds,
  ThresholdControl,
  WorkflowActivity,
  WorkflowActivityRow,
  WorkflowControl,
} from './ports.ts';
import { PSI_SETTINGS, scoreDrift, stepPsi } from './psi-stream.ts';
import { chatCompletionMinutes, createQuestionOrders } from './question-order.ts';
import { createReviewJob } from './review-job.ts';
import { rollBackByHand, watchGuard } from './settlement.ts';
import { proposeSourcePause, releaseRecovered } from './source-pause.ts';
import {
  EMPTY_MONITOR_STATE,
  type Firing,
  LIVE_DETECTOR_SETTINGS,
  type MonitorState,
  recovered,
  type SegmentCounts,
  setReferences,
  stepMinute,
} from './streams.ts';
import { proposeChange } from './threshold-changes.ts';
import { createWorkflowPauses } from './workflow-pause.ts';
import { setWorkflowReferences, stepWorkflows, workflowRecovered } from './workflow-streams.ts';

export interface LiveOptimiserOptions {
  store: Store;
  queue: Queue;
  audit: AuditLog;
  events: DomainEventLog;
  clock: Clock;
  ids: IdGenerator;
  metrics: MetricCounts;
  thresholds: ThresholdControl;
  /** Holds a lead source's leads from automated actions (a `source_pause`). */
  sources: SourceHolds;
  reviewer: PerformanceReviewer;
  /** Deactivates and reactivates workflows (a `workflow_pause`); without it, workflows are not watched. */
  workflows?: WorkflowControl;
  /** The workflow engine's e-mail activity, for the bounce and unsubscribe streams. */
  activity?: WorkflowActivity;
  /** Chat's playbooks (their question slots); without it, question order is not changed. */
  playbooks?: PlaybookQuestions;
  /** Expected and realised conversions of a past period, per segment (scoring's period forecast). */
  periods(workspaceId: string, query: { from: number; to: number; level: number }): Promise<PeriodFigures[]>;
}

/** What one monitor run did (for tests and the `metrics.evaluated` event). */
export interface MonitorReport {
  evaluated: { from: number; to: number } | null;
  streams: number;
  opened: string[];
  resolved: string[];
  thresholdsRefreshed: boolean;
  adjustments: { id: string; status: AdjustmentStatus }[];
}

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
/** After a long stop, at most this much history is replayed through the detectors. */
const MAX_CATCH_UP_MINUTES = 180;
/** Per-minute rollups older than this are summed into nothing (the daily sweep removes them). */
const ROLLUP_RETENTION_DAYS = 90;
/** Resolved alerts and settled changes are kept this long (the audit trail keeps them for good). */
const HISTORY_RETENTION_DAYS = 365;
const MONITOR: Actor = { type: 'worker', id: 'optimiser.monitor' };

export function createLiveOptimiser(options: LiveOptimiserOptions): LiveOptimiser {
  const { store, queue, audit, events, clock, ids, metrics, thresholds, sources, reviewer } = options;
  const alertDeps: AlertDeps = { audit, events, clock, ids };
  const adjustmentDeps: AdjustmentDeps = { audit, events, clock, ids, thresholds, sources };

  const ctxOf = (workspaceId: string): WorkspaceContext => ({ workspaceId, organisationId: '' });

  async function countsBySegment(
    ctx: WorkspaceContext,
    metric: CountedMetric,
    from: number,
    to: number,
  ): Promise<{ total: SegmentCounts; perMinute: Map<number, SegmentCounts> }> {
    const total: SegmentCounts = new Map();
    const perMinute = new Map<number, SegmentCounts>();
    if (to <= from) return { total, perMinute };
    for (const row of await metrics.perMinute(ctx, metric, from, to)) {
      total.set(row.segment, (total.get(row.segment) ?? 0) + row.count);
      const minute = perMinute.get(row.minute) ?? new Map<string, number>();
      minute.set(row.segment, (minute.get(row.segment) ?? 0) + row.count);
      perMinute.set(row.minute, minute);
    }
    return { total, perMinute };
  }

  /** Qualification of `all` over the minutes before now: a guard's baseline. */
  async function baselineBefore(ctx: WorkspaceContext, minutes: number) {
    const to = Math.floor(clock.now() / MINUTE);
    const from = to - minutes;
    const arrivals = (await countsBySegment(ctx, 'arrivals', from, to)).total.get('all') ?? 0;
    const qualified = (await countsBySegment(ctx, 'qualified', from, to)).total.get('all') ?? 0;
    return { rate: arrivals > 0 ? qualified / arrivals : 0, arrivals, from: from * MINUTE, to: to * MINUTE };
  }

  async function readMonitorState(db: Db, workspaceId: string) {
    const row = await db
      .selectFrom('optimiser_state')
      .select(['state', 'updated_at'])
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst();
    return {
      state: row
        ? fromJson<MonitorState>(row.state, EMPTY_MONITOR_STATE)
        : structuredClone(EMPTY_MONITOR_STATE),
      version: row ? Number(row.updated_at) : null,
    };
  }

  /** Compare-and-set on the state's version: of two runs of one workspace, only one commits. */
  async function writeMonitorState(db: Db, workspaceId: string, state: MonitorState, version: number | null) {
    const now = Math.max(clock.now(), (version ?? 0) + 1);
    if (version === null) {
      const inserted = await db
        .insertInto('optimiser_state')
        .values({ workspace_id: workspaceId, state: toJson(state), updated_at: now })
        .onConflict((oc) => oc.column('workspace_id').doNothing())
        .executeTakeFirst();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
    }
    const moved = await db
      .updateTable('optimiser_state')
      .set({ state: toJson(state), updated_at: now })
      .where('workspace_id', '=', workspaceId)
      .where('updated_at', '=', version)
      .executeTakeFirst();
    return Number(moved.numUpdatedRows) === 1;
  }

  async function monitor(workspaceId: string): Promise<MonitorReport> {
    const ctx = ctxOf(workspaceId);
    await metrics.catchUp(workspaceId);
    const { state, version } = await readMonitorState(store.db, workspaceId);
    const report: MonitorReport = {
      evaluated: null,
      streams: 0,
      opened: [],
      resolved: [],
      thresholdsRefreshed: false,
      adjustments: [],
    };
    // The minute just ended may still have commits in flight: evaluate up to the one before it.
    const evalTo = Math.floor(clock.now() / MINUTE) - 1;
    let next = state.nextMinute ?? evalTo;
    if (evalTo - next > MAX_CATCH_UP_MINUTES) next = evalTo - MAX_CATCH_UP_MINUTES;
    let current = state;
    const s = LIVE_DETECTOR_SETTINGS;
    if (current.referenceMinute === null || evalTo - current.referenceMinute >= s.referenceLagMinutes) {
      const to = evalTo - s.referenceLagMinutes;
      const from = to - s.referenceMinutes;
      current = setReferences(current, {
        arrivals: (await countsBySegment(ctx, 'arrivals', from, to)).total,
        qualified: (await countsBySegment(ctx, 'qualified', from, to)).total,
        chats: {
          reached: (await countsBySegment(ctx, 'chat_reached', from, to)).total,
          dropped: (await countsBySegment(ctx, 'chat_dropped', from, to)).total,
        },
        from,
        to: evalTo,
      });
      current.referenceMinute = evalTo;
      if (options.activity) setWorkflowReferences(current, await options.activity.perMinute(ctx, from, to));
      if (metrics.scoreHistogram)
        current.psi = {
          reference: await metrics.scoreHistogram(ctx, 'all', from, to),
          above: current.psi?.above ?? 0,
          since: current.psi?.since ?? null,
        };
    }
    const firings: Firing[] = [];
    const arrivals = await countsBySegment(ctx, 'arrivals', next, evalTo);
    const qualified = await countsBySegment(ctx, 'qualified', next, evalTo);
    const reached = await countsBySegment(ctx, 'chat_reached', next, evalTo);
    const dropped = await countsBySegment(ctx, 'chat_dropped', next, evalTo);
    const outcomes = await countsBySegment(ctx, 'outcomes', next, evalTo);
    const conversions = await countsBySegment(ctx, 'conversions', next, evalTo);
    current.outcomes ??= {};
    const activity = options.activity
      ? await options.activity.perMinute(ctx, Math.min(next, evalTo - s.recoveryMinutes), evalTo)
      : [];
    const activityAt = new Map<number, WorkflowActivityRow[]>();
    for (const row of activity) activityAt.set(row.minute, [...(activityAt.get(row.minute) ?? []), row]);
    for (let minute = next; minute < evalTo; minute++) {
      firings.push(...stepWorkflows(current, minute, activityAt.get(minute) ?? []));
      firings.push(
        ...stepMinute(current, minute, {
          arrivals: arrivals.perMinute.get(minute) ?? new Map(),
          qualified: qualified.perMinute.get(minute) ?? new Map(),
          reached: reached.perMinute.get(minute) ?? new Map(),
          dropped: dropped.perMinute.get(minute) ?? new Map(),
        }),
      );
      firings.push(
        ...stepOutcomes(current.outcomes, minute, {
          outcomes: outcomes.perMinute.get(minute) ?? new Map(),
          conversions: conversions.perMinute.get(minute) ?? new Map(),
        }),
      );
    }
    const scores =
      metrics.scoreHistogram && current.psi
        ? await metrics.scoreHistogram(ctx, 'all', evalTo - PSI_SETTINGS.windowMinutes, evalTo)
        : null;
    if (scores && current.psi && evalTo > next) {
      const reference = { from: current.referenceFrom ?? 0, to: evalTo - s.referenceLagMinutes };
      const drift = stepPsi(current.psi, evalTo, scores, reference);
      if (drift) firings.push(drift);
    }
    if (evalTo > next) report.evaluated = { from: next * MINUTE, to: evalTo * MINUTE };
    current.nextMinute = evalTo;
    report.streams = Object.keys(current.streams).length;

    // Thresholds are never stale: a new champion scores on another scale, so they follow at once.
    const champion = await thresholds.championVersion(workspaceId);
    if (champion !== current.champion) {
      if (champion !== null) {
        await thresholds.recompute(workspaceId, MONITOR);
        report.thresholdsRefreshed = true;
      }
      current.champion = champion;
    }

    const policy = await readPolicy(store.db, workspaceId);
    const recent = await Promise.all([
      countsBySegment(ctx, 'arrivals', evalTo - s.recoveryMinutes, evalTo),
      countsBySegment(ctx, 'qualified', evalTo - s.recoveryMinutes, evalTo),
      countsBySegment(ctx, 'chat_reached', evalTo - s.recoveryMinutes, evalTo),
      countsBySegment(ctx, 'chat_dropped', evalTo - s.recoveryMinutes, evalTo),
      countsBySegment(ctx, 'outcomes', evalTo - s.recoveryMinutes, evalTo),
      countsBySegment(ctx, 'conversions', evalTo - s.recoveryMinutes, evalTo),
    ]);
    const guardMinutes = new Map<number, { arrivals: number; qualified: number }>();
    const applied = await appliedAdjustments(store.db, workspaceId);
    if (applied.length > 0) {
      const from = Math.min(...applied.map((a) => a.guard?.nextMinute ?? evalTo));
      const [a, q] = await Promise.all([
        countsBySegment(ctx, 'arrivals', from, evalTo),
        countsBySegment(ctx, 'qualified', from, evalTo),
      ]);
      for (let minute = from; minute < evalTo; minute++)
        guardMinutes.set(minute, {
          arrivals: a.perMinute.get(minute)?.get('all') ?? 0,
          qualified: q.perMinute.get(minute)?.get('all') ?? 0,
        });
    }
    // A question-order change is judged on its playbook's chat completion, not on qualification.
    const chatGuardMinutes = new Map<string, { minute: number; arrivals: number; qualified: number }[]>();
    for (const a of applied)
      if (a.guard?.metric === 'chat_completion' && a.guard.segment.startsWith('playbook:'))
        chatGuardMinutes.set(
          a.id,
          await chatCompletionMinutes(
            metrics,
            ctx,
            a.guard.segment.slice('playbook:'.length),
            a.guard.nextMinute,
            evalTo,
          ),
        );
    const recalibrate = firings.some((f) => f.kind === 'qualification_drop');
    /** Questions chats started stopping at: candidates to be asked one place later. */
    const dropoffs: { alertId: string; segment: string; summary: string }[] = [];
    // One source's qualification collapsing (not the workspace's): a candidate for a pause.
    const collapsed: { alertId: string; source: string; summary: string }[] = [];
    const brokenWorkflows: { alertId: string; workflowId: string; summary: string }[] = [];
    /** Workflow pauses the guard rolled back in this run: activated again once the run commits. */
    const toResume: Adjustment[] = [];

    const committed = await inWorkspace(workspaceId, () =>
      store.transaction(async (trx) => {
        if (!(await writeMonitorState(trx, workspaceId, current, version))) return false;
        for (const firing of firings) {
          if (await liveAlertOf(trx, workspaceId, firing.stream)) continue;
          const alert = await openAlert(trx, alertDeps, workspaceId, firing);
          report.opened.push(alert.id);
          if (firing.kind === 'qualification_drop' && alert.segment.startsWith('source:'))
            collapsed.push({
              alertId: alert.id,
              source: alert.segment.slice('source:'.length),
              summary: alert.summary,
            });
          if (firing.kind === 'chat_dropoff_rise')
            dropoffs.push({ alertId: alert.id, segment: alert.segment, summary: alert.summary });
          if (alert.kind.startsWith('workflow_'))
            brokenWorkflows.push({
              alertId: alert.id,
              workflowId: alert.segment.slice('workflow:'.length),
              summary: alert.summary,
            });
          if (policy.council !== 'off')
            await queue.enqueue(trx, [
              { name: 'optimiser.review', workspaceId, payload: { alertId: alert.id } },
            ]);
        }
        for (const alert of await liveAlerts(trx, workspaceId)) {
          if (report.opened.includes(alert.id)) continue;
          const old = clock.now() - alert.openedAt >= s.recoveryMinutes * MINUTE;
          const chats = alert.kind === 'chat_dropoff_rise';
          const trials = (chats ? recent[2] : recent[0]).total.get(alert.segment) ?? 0;
          const drift = scores && current.psi ? scoreDrift(current.psi.reference, scores) : null;
          const back =
            alert.kind === 'score_psi_shift'
              ? drift !== null && drift.value <= drift.critical
              : alert.kind.startsWith('workflow_')
                ? workflowRecovered(
                    alert.kind,
                    alert.evidence.baseline.value,
                    alert.segment.slice('workflow:'.length),
                    activity.filter((r) => r.minute >= evalTo - s.recoveryMinutes),
                  )
                : alert.kind === 'conversion_drop'
                  ? conversionsRecovered(alert.evidence.baseline.value, {
                      outcomes: recent[4].total.get(alert.segment) ?? 0,
                      conversions: recent[5].total.get(alert.segment) ?? 0,
                    })
                  : recovered(alert.kind, alert.evidence.baseline.value, {
                      arrivals: trials,
                      qualified: chats
                        ? trials - (recent[3].total.get(alert.segment) ?? 0)
                        : (recent[1].total.get(alert.segment) ?? 0),
                    });
          if (back && (old || alert.kind === 'source_silent')) {
            await resolveAlert(
              trx,
              alertDeps,
              workspaceId,
              alert,
              `recovered: ${recent[0].total.get(alert.segment) ?? 0} arrivals and ${recent[1].total.get(alert.segment) ?? 0} qualified in the last ${s.recoveryMinutes} minutes`,
            );
            report.resolved.push(alert.id);
          }
        }
        const released = new Set<string>();
        for (const alertId of report.resolved)
          for (const r of await releaseRecovered(
            trx,
            adjustmentDeps,
            workspaceId,
            alertId,
            `the source recovered (alert ${alertId} resolved): its leads flow to automation again`,
          )) {
            released.add(r.id);
            report.adjustments.push(r);
          }
        for (const adjustment of applied) {
          if (released.has(adjustment.id)) continue;
          const minutes =
            chatGuardMinutes.get(adjustment.id) ??
            [...guardMinutes.entries()].map(([minute, c]) => ({ minute, ...c }));
          const status = await watchGuard(trx, adjustmentDeps, workspaceId, adjustment, minutes);
          if (status !== 'applied') report.adjustments.push({ id: adjustment.id, status });
          if (status === 'rolled_back' && adjustment.kind === 'workflow_pause') toResume.push(adjustment);
        }
        if (
          report.evaluated &&
          (report.opened.length > 0 || report.resolved.length > 0 || arrivals.total.size > 0)
        )
          await events.append(trx, workspaceId, [
            {
              type: 'metrics.evaluated',
              subject: workspaceId,
              data: {
                from: report.evaluated.from,
                to: report.evaluated.to,
                arrivals: arrivals.total.get('all') ?? 0,
                qualified: qualified.total.get('all') ?? 0,
                streams: report.streams,
                opened: report.opened.length,
                resolved: report.resolved.length,
              },
            },
          ]);
        return true;
      }),
    );
    if (!committed) return { ...report, opened: [], resolved: [], adjustments: [] };
    // Recalibration is the detector's own bounded change: thresholds recomputed from the latest
    // outcomes, recorded as an adjustment with its guard (rolled back if qualification collapses).
    if (recalibrate && report.opened.length > 0 && policy.enabled && policy.thresholdRecalibration.enabled) {
      const adjustment = await recalibrateThresholds(ctx, policy, report.opened[0] ?? null);
      if (adjustment) report.adjustments.push({ id: adjustment.id, status: adjustment.status });
    }
    if (collapsed.length > 0 && policy.sourcePause.mode !== 'off') {
      const baseline = await baselineBefore(ctx, policy.sourcePause.guard.windowMinutes);
      for (const c of collapsed) {
        const adjustment = await inWorkspace(workspaceId, () =>
          store.transaction((trx) =>
            proposeSourcePause(
              trx,
              adjustmentDeps,
              ctx,
              policy,
              {
                origin: 'detector',
                alertId: c.alertId,
                source: c.source,
                reason: `source ${c.source} collapsed (${c.summary}): its leads are held from automated actions`,
              },
              baseline,
            ),
          ),
        );
        report.adjustments.push({ id: adjustment.id, status: adjustment.status });
      }
    }
    for (const adjustment of toResume) await resumeAfterGuard(ctx, adjustment);
    for (const d of policy.questionOrder.mode === 'off' ? [] : dropoffs) {
      // `question:<playbook>/<slot>`; playbook ids and slots carry no `/`.
      const [playbookId = '', focus = ''] = d.segment.slice('question:'.length).split('/');
      const made = await questionOrders.reorder(ctx, policy, {
        origin: 'detector',
        alertId: d.alertId,
        playbookId,
        focus,
        reason: `chats stop more often at ${focus} (${d.summary})`,
      });
      if (made.adjustment)
        report.adjustments.push({ id: made.adjustment.id, status: made.adjustment.status });
    }
    if (brokenWorkflows.length > 0 && options.workflows && policy.workflowPause.mode !== 'off') {
      const baseline = await baselineBefore(ctx, policy.workflowPause.guard.windowMinutes);
      for (const b of brokenWorkflows) {
        const adjustment = await pauseWorkflow(ctx, policy, {
          origin: 'detector',
          alertId: b.alertId,
          workflowId: b.workflowId,
          reason: `workflow ${b.workflowId} collapsed (${b.summary}): deactivated, so no new run starts`,
          baseline,
        });
        report.adjustments.push({ id: adjustment.id, status: adjustment.status });
      }
    }
    if (report.opened.length > 0 || report.resolved.length > 0 || report.evaluated)
      events.notify(workspaceId);
    queue.notify();
    return report;
  }

  const questionOrders = createQuestionOrders({
    store,
    clock,
    ids,
    metrics,
    adjustmentDeps,
    playbooks: options.playbooks,
  });

  const { pauseWorkflow, resumeAfterGuard } = createWorkflowPauses({
    store,
    audit,
    clock,
    ids,
    adjustmentDeps,
    workflows: options.workflows,
  });

  async function recalibrateThresholds(
    ctx: WorkspaceContext,
    policy: OptimiserPolicy,
    alertId: string | null,
  ): Promise<Adjustment | null> {
    const before = await thresholds.current(store.db, ctx.workspaceId);
    if (!before) return null;
    await thresholds.recompute(ctx.workspaceId, MONITOR);
    const after = await thresholds.current(store.db, ctx.workspaceId);
    if (!after || JSON.stringify(after) === JSON.stringify(before)) return null;
    const baseline = await baselineBefore(ctx, policy.thresholdRecalibration.guard.windowMinutes);
    return inWorkspace(ctx.workspaceId, () =>
      store.transaction((trx) =>
        proposeChange(
          trx,
          adjustmentDeps,
          ctx,
          policy,
          {
            kind: 'threshold_recalibration',
            origin: 'detector',
            alertId,
            recalibrated: { before, after },
            reason: 'qualification fell: thresholds recalibrated from the latest outcomes',
            apply: true,
          },
          baseline,
        ),
      ),
    );
  }

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
