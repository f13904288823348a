import type { AuditLog } from '../../compliance/index.ts';
import type { Clock, IdGenerator, WorkspaceContext } from '../../core/index.ts';
import { inWorkspace } from '../../core/index.ts';
import type { Db, OptimiserAdjustmentsTable, Store } from '../../store/index.ts';
import { toJson } from '../../store/index.ts';
import {
  type Adjustment,
  type AdjustmentDeps,
  freshGuard,
  MIN_GUARD_ARRIVALS,
  madeInLastHour,
  record,
} from './adjustments.ts';
import type { OptimiserPolicy } from './policy.ts';
import type { WorkflowControl, WorkflowPauseState } from './ports.ts';

/**
 * A `workflow_pause`: a workflow whose e-mail collapses (bounces or unsubscribes spiking) is
 * deactivated, so no new run starts; runs in progress finish on their version. The workflows
 * service deactivates and activates in its own transaction, so a pause is decided here
 * (`workflowPauseBlock`), made by the caller through the `WorkflowControl` port, then recorded
 * (`recordWorkflowPause`); rolling it back activates the same version again.
 */

/** Why the policy holds a workflow pause back (recorded as `proposed`), or null to make it. */
async function workflowPauseBlock(
  db: Db,
  ctx: WorkspaceContext,
  policy: OptimiserPolicy,
  change: { origin: Adjustment['origin']; baseline: { arrivals: number } },
  now: number,
): Promise<string | null> {
  const rule = policy.workflowPause;
  if (!policy.enabled) return 'automatic changes are switched off for this workspace';
  if (rule.mode === 'off') return 'workflow pauses are switched off in the policy';
  if (rule.mode === 'propose') return 'the policy records workflow pauses for a person to decide';
  // A council recommendation on a workflow is advice in words: a person decides it.
  if (change.origin === 'council')
    return 'the council’s workflow recommendations wait for a person’s approval';
  if ((await madeInLastHour(db, ctx.workspaceId, 'workflow_pause', now)) >= rule.maxPerHour)
    return `the policy allows ${rule.maxPerHour} workflow pause(s) an hour`;
  if (change.baseline.arrivals < MIN_GUARD_ARRIVALS)
    return `only ${change.baseline.arrivals} arrivals in the ${rule.guard.windowMinutes} minutes before: too few to guard the change`;
  return null;
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
}

/** Stores a workflow pause (made or only proposed), audited and announced like every change. */
export async function recordWorkflowPause(
  db: Db,
  deps: AdjustmentDeps,
  ctx: WorkspaceContext,
  policy: OptimiserPolicy,
  change: WorkflowPauseRecord,
  baseline: { rate: number; arrivals: number; from: number; to: number },
): Promise<Adjustment> {
  const now = deps.clock.now();
  const rule = policy.workflowPause;
  const o = change.outcome;
  const version = o.paused ? o.version : null;
  const before: WorkflowPauseState = { workflowId: change.workflowId, active: true, version };
  const after: WorkflowPauseState = { workflowId: change.workflowId, active: false, version };
  const guardState = o.paused ? freshGuard(rule.guard, baseline, now) : null;
  const row: OptimiserAdjustmentsTable = {
    id: change.id,
    workspace_id: ctx.workspaceId,
    kind: 'workflow_pause',
    status: o.paused ? 'applied' : 'proposed',
    origin: change.origin,
    alert_id: change.alertId,
    target: `workflow ${change.workflowId}`,
    before_value: toJson(before),
    after_value: toJson(after),
    reason: o.paused ? change.reason : `${change.reason} — not applied: ${o.blocked}`,
    guard: toJson(guardState),
    created_at: now,
    guard_until: o.paused ? now + rule.guard.windowMinutes * 60_000 : now,
    settled_at: null,
    settlement: null,
  };
  return record(deps, db, ctx, row, { before, after, guard: guardState });
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
      baseline: { rate: number; arrivals: number; from: number; to: number };
    },
  ): Promise<Adjustment> {
    const id = ids.next('adj');
    const blocked = await workflowPauseBlock(store.db, ctx, policy, change, clock.now());
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
          },
          change.baseline,
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
