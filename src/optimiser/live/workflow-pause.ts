import type { AuditLog } from '../../compliance/index.ts';
import type { Clock, IdGenerator, WorkspaceContext } from '../../core/index.ts';
import { inWorkspace } from '../../core/index.ts';
import type { Db, Store } from '../../store/index.ts';
import { bernoulliLlr, createCusum } from '../detectors/cusum.ts';
import {
  type Adjustment,
  type AdjustmentDeps,
  type AdjustmentStatus,
  freshGuard,
  type GuardBaseline,
  hourlyBlock,
  modeBlock,
  record,
  trafficBlock,
} from './adjustments.ts';
import type { OptimiserPolicy } from './policy.ts';
import type { WorkflowActivityRow, WorkflowControl, WorkflowPauseState } from './ports.ts';
import { concludeWatch } from './settlement.ts';

/**
 * A `workflow_pause`: a workflow whose e-mail collapses (bounces or unsubscribes spiking) is
 * deactivated, so no new run starts; runs in progress finish on their version. The workflows
 * service deactivates and activates in its own transaction, so a pause is decided here
 * (`workflowPauseBlock`), made by the caller through the `WorkflowControl` port, then recorded
 * (`recordWorkflowPause`); rolling it back activates the same version again.
 */

type GuardState = NonNullable<Adjustment['guard']>;

/**
 * A pause's guard on the metric that triggered it: the bounce or unsubscribe rate of the paused
 * workflow. Runs in progress keep sending after a pause, and those sends tell whether the workflow
 * is still broken. A one-sided sequential test weighs "back at the rate before the spike"
 * (`baseline.rate`) against "still at the rate the alert saw" (`elevated`): when it fires the
 * collapse has passed and the pause only costs the workflow's runs, so it is undone; when the
 * window ends without that evidence (still broken, or too few sends to tell) the pause is kept and
 * a person activates the workflow once it is fixed.
 */
export interface WorkflowGuardState extends GuardState {
  metric: 'bounce_rate' | 'unsubscribe_rate';
  elevated: number;
}

/** What a workflow alert says a pause must watch, or null for an alert on another metric. */
export interface WorkflowWatch {
  metric: 'bounce_rate' | 'unsubscribe_rate';
  /** The rate before the spike and the sends it was measured on (the alert's baseline). */
  baseline: GuardBaseline;
  elevated: number;
}

/** Rises the workflow streams are tuned for (workflow-streams.ts): the floor of `elevated`. */
const TUNED_RISE = { bounce_rate: 0.1, unsubscribe_rate: 0.02 } as const;

export function workflowWatchOf(alert: {
  evidence: {
    metric: string;
    baseline: { value: number; count: number; from: number; to: number };
    observed: { value: number | null };
  };
}): WorkflowWatch | null {
  const e = alert.evidence;
  if (e.metric !== 'bounce_rate' && e.metric !== 'unsubscribe_rate') return null;
  const rate = e.baseline.value;
  const elevated = Math.min(0.99, Math.max(e.observed.value ?? 0, rate + TUNED_RISE[e.metric]));
  return {
    metric: e.metric,
    baseline: { rate, arrivals: e.baseline.count, from: e.baseline.from, to: e.baseline.to },
    elevated,
  };
}

export function isWorkflowGuard(guard: Adjustment['guard']): guard is WorkflowGuardState {
  return guard !== null && (guard.metric === 'bounce_rate' || guard.metric === 'unsubscribe_rate');
}

/** A fresh guard on the workflow's own rate, starting at the minute after `now`. */
export function workflowGuard(
  rule: OptimiserPolicy['workflowPause']['guard'],
  workflowId: string,
  watch: WorkflowWatch,
  now: number,
): WorkflowGuardState {
  return {
    ...freshGuard(rule, watch.baseline, now),
    metric: watch.metric,
    segment: `workflow:${workflowId}`,
    elevated: watch.elevated,
  };
}

/**
 * Feeds a workflow guard the workflow's sends since it last looked; settles the pause when the
 * test fires (rolled back: the caller activates the workflow after commit) or the window ends (kept).
 */
export async function watchWorkflowGuard(
  db: Db,
  deps: AdjustmentDeps,
  workspaceId: string,
  adjustment: Adjustment,
  rows: readonly WorkflowActivityRow[],
  upTo: number,
): Promise<AdjustmentStatus> {
  const guard = adjustment.guard;
  if (!isWorkflowGuard(guard) || adjustment.status !== 'applied') return adjustment.status;
  const workflowId = guard.segment.slice('workflow:'.length);
  const bounce = guard.metric === 'bounce_rate';
  const perMinute = new Map<number, { trials: number; hits: number }>();
  for (const r of rows) {
    if (r.workflowId !== workflowId) continue;
    const m = perMinute.get(r.minute) ?? { trials: 0, hits: 0 };
    m.trials += bounce ? r.sent + r.failed : r.sent;
    m.hits += bounce ? r.failed : r.unsubscribed;
    perMinute.set(r.minute, m);
  }
  const cusum = createCusum({ slack: 0, threshold: guard.h, mode: 'up' }, guard.cusum);
  // Evidence for "recovered" (the rate before the spike) against "still broken" (the alert's rate).
  const [broken, recovered] = [guard.elevated, guard.baseline.rate];
  let fired = false;
  for (let minute = guard.nextMinute; minute < upTo; minute++) {
    guard.nextMinute = minute + 1;
    const m = perMinute.get(minute);
    if (!m || m.trials === 0) continue;
    guard.trials += m.trials;
    guard.hits += Math.min(m.trials, m.hits);
    const llr =
      m.hits * bernoulliLlr(true, broken, recovered) +
      (m.trials - m.hits) * bernoulliLlr(false, broken, recovered);
    guard.statistic = cusum.statistic() + llr;
    if (cusum.update(llr)) {
      fired = true;
      break;
    }
  }
  guard.cusum = cusum.state();
  const what = bounce ? 'bounce rate' : 'unsubscribe rate';
  const seen = `${what} ${pct(guard.trials > 0 ? guard.hits / guard.trials : null)} over ${guard.trials} sends of runs in progress since the pause, against ${pct(recovered)} before the spike and ${pct(broken)} when it fired`;
  return concludeWatch(db, deps, workspaceId, adjustment, {
    fired,
    rolledBack: `guard fired: the workflow's ${seen} (sequential test, h ${guard.h}): the collapse has passed, so the workflow is activated again`,
    kept: `guard window of ${guard.windowMinutes} minutes passed without evidence that the workflow recovered (${seen}): it stays paused until a person activates it`,
  });
}

const pct = (v: number | null) => (v === null ? 'n/a' : `${(100 * v).toFixed(1)}%`);

/** Why the policy holds a workflow pause back (recorded as `proposed`), or null to make it. */
async function workflowPauseBlock(
  db: Db,
  ctx: WorkspaceContext,
  policy: OptimiserPolicy,
  change: {
    origin: Adjustment['origin'];
    baseline: { arrivals: number };
    watch?: WorkflowWatch | undefined;
    alertKind?: string | undefined;
  },
  now: number,
): Promise<string | null> {
  const rule = policy.workflowPause;
  const mode = modeBlock(policy.enabled, rule.mode, 'workflow pauses');
  if (mode) return mode;
  // `apply` is the policy's word on bounce and unsubscribe spikes: a workflow that breaks delivery.
  // Replies also collapse when mail lands in spam or a list goes stale, which a pause does not mend.
  if (change.alertKind === 'workflow_reply_collapse')
    return 'the policy applies workflow pauses to bounce and unsubscribe spikes; a reply collapse waits for a person';
  // A council recommendation on a workflow is advice in words: a person decides it.
  if (change.origin === 'council')
    return 'the council’s workflow recommendations wait for a person’s approval';
  return (
    (await hourlyBlock(db, ctx.workspaceId, {
      kind: 'workflow_pause',
      ...rule,
      one: 'workflow pause',
      now,
    })) ??
    trafficBlock(
      change.baseline.arrivals,
      change.watch
        ? 'sends of the workflow before the spike'
        : `arrivals in the ${rule.guard.windowMinutes} minutes before`,
    )
  );
}

export interface WorkflowPauseRecord {
  /** Chosen before the pause is made, so the workflows service's audit entry can name the change. */
  id: string;
  origin: Adjustment['origin'];
  alertId: string | null;
  workflowId: string;
  reason: string;
  /** The version the pause deactivated, or why it was not made (policy, or the workflows service). */
  outcome: { paused: true; version: number } | { paused: false; blocked: string };
  /** The workflow alert's metric to guard on; without it, the policy's guard (qualification). */
  watch?: WorkflowWatch | undefined;
}

/** Stores a workflow pause (made or only proposed), audited and announced like every change. */
export async function recordWorkflowPause(
  db: Db,
  deps: AdjustmentDeps,
  ctx: WorkspaceContext,
  policy: OptimiserPolicy,
  change: WorkflowPauseRecord,
  baseline: GuardBaseline,
): Promise<Adjustment> {
  const now = deps.clock.now();
  const rule = policy.workflowPause;
  const o = change.outcome;
  const version = o.paused ? o.version : null;
  const before: WorkflowPauseState = { workflowId: change.workflowId, active: true, version };
  const after: WorkflowPauseState = { workflowId: change.workflowId, active: false, version };
  const guardState = !o.paused
    ? null
    : change.watch
      ? workflowGuard(rule.guard, change.workflowId, change.watch, now)
      : freshGuard(rule.guard, baseline, now);
  return record(deps, db, ctx, {
    ...change,
    kind: 'workflow_pause',
    target: `workflow ${change.workflowId}`,
    before,
    after,
    blocked: o.paused ? null : o.blocked,
    guard: guardState,
    watchMinutes: rule.guard.windowMinutes,
    now,
  });
}

/** Making and undoing workflow pauses around the workflows service's own transactions. */
export function createWorkflowPauses(deps: {
  store: Store;
  audit: AuditLog;
  clock: Clock;
  ids: IdGenerator;
  adjustmentDeps: AdjustmentDeps;
  workflows: WorkflowControl | undefined;
}) {
  const { store, audit, clock, ids, adjustmentDeps, workflows } = deps;
  /**
   * Pauses a workflow when the policy allows (the workflows service deactivates it in its own
   * transaction, first), then records the change, made or only proposed.
   */
  async function pauseWorkflow(
    ctx: WorkspaceContext,
    policy: OptimiserPolicy,
    change: {
      origin: Adjustment['origin'];
      alertId: string | null;
      workflowId: string;
      reason: string;
      baseline: GuardBaseline;
      /** The workflow alert's metric: the guard watches it (and its baseline is the alert's). */
      watch?: WorkflowWatch | undefined;
      /** The alert's kind: a reply collapse is only proposed. */
      alertKind?: string | undefined;
    },
  ): Promise<Adjustment> {
    const id = ids.next('adj');
    const blocked = await workflowPauseBlock(
      store.db,
      ctx,
      policy,
      { ...change, baseline: change.watch?.baseline ?? change.baseline },
      clock.now(),
    );
    const made = blocked
      ? { ok: false as const, reason: blocked }
      : workflows
        ? await workflows.pause(ctx.workspaceId, change.workflowId, {
            type: 'worker',
            id: `optimiser.adjustment:${id}`,
          })
        : { ok: false as const, reason: 'workflows cannot be paused in this deployment' };
    return inWorkspace(ctx.workspaceId, () =>
      store.transaction((trx) =>
        recordWorkflowPause(
          trx,
          adjustmentDeps,
          ctx,
          policy,
          {
            id,
            origin: change.origin,
            alertId: change.alertId,
            workflowId: change.workflowId,
            reason: change.reason,
            outcome: made.ok
              ? { paused: true, version: made.version }
              : { paused: false, blocked: made.reason },
            watch: change.watch,
          },
          change.watch?.baseline ?? change.baseline,
        ),
      ),
    );
  }

  /** After the guard rolled a workflow pause back (committed): the workflow is activated again. */
  async function resumeAfterGuard(ctx: WorkspaceContext, adjustment: Adjustment): Promise<void> {
    const before = adjustment.before;
    if (!('active' in before) || before.version === null || !workflows) return;
    const resumed = await workflows.resume(ctx.workspaceId, before.workflowId, before.version, {
      type: 'worker',
      id: `optimiser.adjustment:${adjustment.id}`,
    });
    if (resumed) return;
    await inWorkspace(ctx.workspaceId, () =>
      store.transaction(async (trx) => {
        const why = 'not activated again: the workflow was changed since (activated, deleted or edited)';
        await trx
          .updateTable('optimiser_adjustments')
          .set({ status: 'superseded', settlement: why })
          .where('workspace_id', '=', ctx.workspaceId)
          .where('id', '=', adjustment.id)
          .execute();
        await audit.append(trx, ctx.workspaceId, {
          actor: { type: 'worker', id: 'optimiser.monitor' },
          action: 'optimiser.change_superseded',
          subject: adjustment.id,
          reason: why,
        });
      }),
    );
  }

  return { pauseWorkflow, resumeAfterGuard };
}
