import type { Actor, WorkspaceContext } from '../../core/index.ts';
import { inWorkspace, rebin } from '../../core/index.ts';
import {
  type Adjustment,
  type AdjustmentDeps,
  type AdjustmentStatus,
  appliedAdjustments,
} from './adjustments.ts';
import { type AlertDeps, liveAlertOf, liveAlerts, openAlert, resolveAlert } from './alerts.ts';
import type { LiveOptimiserOptions } from './live-options.ts';
import { modelRecovered, modelStreamsOf, stepModel } from './model-streams.ts';
import {
  createMonitorReads,
  readMonitorState,
  refreshReferences,
  writeMonitorState,
} from './monitor-reads.ts';
import { conversionsRecovered, stepOutcomes } from './outcome-streams.ts';
import { type OptimiserPolicy, readPolicy } from './policy.ts';
import type { WorkflowActivityRow } from './ports.ts';
import { choosePsiBasis, PSI_SETTINGS, scoreDrift, stepPsi } from './psi-stream.ts';
import { chatCompletionMinutes, type createQuestionOrders } from './question-order.ts';
import { watchGuard } from './settlement.ts';
import { proposeSourcePause, releaseRecovered } from './source-pause.ts';
import { type Firing, LIVE_DETECTOR_SETTINGS, type MonitorState, recovered, stepMinute } from './streams.ts';
import { proposeChange } from './threshold-changes.ts';
import {
  createWorkflowPauses,
  isWorkflowGuard,
  type WorkflowWatch,
  watchWorkflowGuard,
  workflowWatchOf,
} from './workflow-pause.ts';
import { stepWorkflows, workflowRecovered } from './workflow-streams.ts';

/** What one monitor run did (for tests and the `metrics.evaluated` event). */
export interface MonitorReport {
  evaluated: { from: number; to: number } | null;
  streams: number;
  opened: string[];
  resolved: string[];
  thresholdsRefreshed: boolean;
  adjustments: { id: string; status: AdjustmentStatus }[];
}

const MINUTE = 60_000;
/** After a long stop, at most this much history is replayed through the detectors. */
const MAX_CATCH_UP_MINUTES = 180;
const MONITOR: Actor = { type: 'worker', id: 'optimiser.monitor' };

/**
 * The per-minute run of one workspace: catch the rollups up, feed every complete minute since the
 * last run to the detectors, open and resolve alerts, watch the guards of applied changes, and make
 * the detectors' own bounded changes (recalibration, source and workflow pauses) after commit.
 */
export function createMonitor(
  options: LiveOptimiserOptions,
  deps: {
    alertDeps: AlertDeps;
    adjustmentDeps: AdjustmentDeps;
    questionOrders: ReturnType<typeof createQuestionOrders>;
  },
): (workspaceId: string) => Promise<MonitorReport> {
  const { store, queue, events, clock, metrics, thresholds } = options;
  const { alertDeps, adjustmentDeps, questionOrders } = deps;
  const { countsBySegment, baselineBefore } = createMonitorReads({ clock, metrics });
  const ctxOf = (workspaceId: string): WorkspaceContext => ({ workspaceId, organisationId: '' });
  const { pauseWorkflow, resumeAfterGuard } = createWorkflowPauses({
    store,
    audit: options.audit,
    clock,
    ids: options.ids,
    adjustmentDeps,
    workflows: options.workflows,
  });

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
    const models = modelStreamsOf(ctx, countsBySegment, metrics);
    if (current.referenceMinute === null || evalTo - current.referenceMinute >= s.referenceLagMinutes)
      current = await refreshReferences(current, evalTo, {
        ctx,
        countsBySegment,
        models,
        metrics,
        ...(options.activity ? { activity: options.activity } : {}),
      });
    const champion = await thresholds.championVersion(workspaceId);
    await choosePsiReference(ctx, current, champion, evalTo);
    const firings: Firing[] = [];
    const arrivals = await countsBySegment(ctx, 'arrivals', next, evalTo);
    const qualified = await countsBySegment(ctx, 'qualified', next, evalTo);
    const reached = await countsBySegment(ctx, 'chat_reached', next, evalTo);
    const dropped = await countsBySegment(ctx, 'chat_dropped', next, evalTo);
    const outcomes = await countsBySegment(ctx, 'outcomes', next, evalTo);
    const conversions = await countsBySegment(ctx, 'conversions', next, evalTo);
    current.outcomes ??= {};
    const model = await models.window(current, next, evalTo);
    const activity = options.activity
      ? await options.activity.perMinute(ctx, Math.min(next, evalTo - s.recoveryMinutes), evalTo)
      : [];
    const activityAt = new Map<number, WorkflowActivityRow[]>();
    for (const row of activity) activityAt.set(row.minute, [...(activityAt.get(row.minute) ?? []), row]);
    for (let minute = next; minute < evalTo; minute++) {
      firings.push(...stepWorkflows(current, minute, activityAt.get(minute) ?? []));
      firings.push(...stepModel(current, minute, model));
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
    const basis = current.psi?.basis;
    const scores = !current.psi
      ? null
      : basis?.kind === 'training' && metrics.modelScoreHistogram
        ? rebin(
            await metrics.modelScoreHistogram(
              ctx,
              basis.champion,
              evalTo - PSI_SETTINGS.windowMinutes,
              evalTo,
            ),
            basis.edges,
          )
        : metrics.scoreHistogram
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
    const modelRecent = await models.window(current, evalTo - s.recoveryMinutes, evalTo);
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
    // Workflow pauses watch their own workflow's sends (runs in progress), not the qualification rate.
    const workflowGuards = applied.filter((a) => isWorkflowGuard(a.guard));
    const guardActivity =
      workflowGuards.length > 0 && options.activity
        ? await options.activity.perMinute(
            ctx,
            Math.min(...workflowGuards.map((a) => a.guard?.nextMinute ?? evalTo)),
            evalTo,
          )
        : [];
    const recalibrate = firings.some((f) => f.kind === 'qualification_drop');
    /** Questions chats started stopping at: candidates to be asked one place later. */
    const dropoffs: { alertId: string; segment: string; summary: string }[] = [];
    // One source's qualification collapsing (not the workspace's): a candidate for a pause.
    const collapsed: { alertId: string; source: string; summary: string }[] = [];
    const brokenWorkflows: {
      alertId: string;
      kind: string;
      workflowId: string;
      summary: string;
      watch: WorkflowWatch | null;
    }[] = [];
    /** Workflow pauses the guard rolled back in this run: activated again once the run commits. */
    const toResume: Adjustment[] = [];

    const committed = await inWorkspace(workspaceId, () =>
      store.transaction(async (trx) => {
        if (!(await writeMonitorState(trx, clock, workspaceId, current, version))) return false;
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
              kind: alert.kind,
              workflowId: alert.segment.slice('workflow:'.length),
              summary: alert.summary,
              watch: workflowWatchOf(alert),
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
                : alert.kind.startsWith('model_')
                  ? modelRecovered(alert.kind, alert.evidence.baseline.value, modelRecent)
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
          const status = isWorkflowGuard(adjustment.guard)
            ? await watchWorkflowGuard(trx, adjustmentDeps, workspaceId, adjustment, guardActivity, evalTo)
            : await watchGuard(trx, adjustmentDeps, workspaceId, adjustment, minutes);
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
          watch: b.watch ?? undefined,
          alertKind: b.kind,
        });
        report.adjustments.push({ id: adjustment.id, status: adjustment.status });
      }
    }
    if (report.opened.length > 0 || report.resolved.length > 0 || report.evaluated)
      events.notify(workspaceId);
    queue.notify();
    return report;
  }

  /**
   * The score-drift stream's reference for the champion of the moment, chosen again when the
   * champion changes (its statistic restarts: another model's scores are another distribution).
   */
  async function choosePsiReference(
    ctx: WorkspaceContext,
    current: MonitorState,
    champion: number | null,
    evalTo: number,
  ): Promise<void> {
    if (!metrics.scoreHistogram && !metrics.modelScoreHistogram) return;
    if (current.psi?.basis && current.psi.basis.champion === champion) return;
    const readable = options.champion && metrics.modelScoreHistogram;
    const chosen =
      champion !== null && !readable
        ? {
            basis: {
              kind: 'reference_day' as const,
              champion,
              reason: 'model scores are not read in this deployment: live scores against the reference day',
            },
            reference: null,
          }
        : choosePsiBasis(
            champion,
            champion !== null
              ? ((await options.champion?.trainingScores(ctx.workspaceId, champion)) ?? null)
              : null,
          );
    const to = evalTo - LIVE_DETECTOR_SETTINGS.referenceLagMinutes;
    const reference =
      chosen.reference ??
      (metrics.scoreHistogram
        ? await metrics.scoreHistogram(ctx, 'all', to - LIVE_DETECTOR_SETTINGS.referenceMinutes, to)
        : []);
    current.psi = { reference, above: 0, since: null, basis: chosen.basis };
  }

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

  return monitor;
}
