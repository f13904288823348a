import type { Updateable } from 'kysely';
import type { AuditRecord } from '../../compliance/index.ts';
import type { Actor, WorkspaceContext } from '../../core/index.ts';
import { LeadloopError } from '../../core/index.ts';
import type { NewDomainEvent } from '../../events/index.ts';
import type { Db, OptimiserAdjustmentsTable } from '../../store/index.ts';
import { toJson } from '../../store/index.ts';
import {
  type AdjustedValue,
  type Adjustment,
  type AdjustmentDeps,
  findAdjustment,
  freshGuard,
  type GuardBaseline,
} from './adjustments.ts';
import { findAlert } from './alerts.ts';
import type { Guard, OptimiserPolicy } from './policy.ts';
import type { ThresholdSnapshot } from './ports.ts';
import { replaceStoredSetting } from './stored-settings.ts';
import { shift } from './threshold-changes.ts';
import { workflowGuard, workflowWatchOf } from './workflow-pause.ts';

/**
 * A person decides a proposal the policy held back (policy mode `propose`, a council
 * recommendation that needs approval, a change over its hourly limit): approving applies it now,
 * with the same step bound and guard as an automatic change, and it can be rolled back like one;
 * rejecting closes it. Both are audited with the person as the actor.
 */

/** Throws unless the change is a proposal still waiting for a decision. */
function assertProposed(adjustment: Adjustment): void {
  if (adjustment.status !== 'proposed')
    throw new LeadloopError(
      'conflict',
      `adjustment ${adjustment.id} is ${adjustment.status}: only a proposed change can be approved or rejected`,
      { issues: [{ field: 'path.id', reason: `status ${adjustment.status}` }] },
    );
}

const unapplicable = (id: string, reason: string) =>
  new LeadloopError('conflict', `adjustment ${id} cannot be applied: ${reason}`, {
    issues: [{ field: 'path.id', reason }],
  });

function guardOf(policy: OptimiserPolicy, adjustment: Adjustment, raise: boolean): Guard {
  switch (adjustment.kind) {
    case 'threshold_nudge':
      return raise ? policy.thresholdNudge.raiseGuard : policy.thresholdNudge.guard;
    case 'threshold_recalibration':
      return policy.thresholdRecalibration.guard;
    case 'source_pause':
      return policy.sourcePause.guard;
    case 'workflow_pause':
      return policy.workflowPause.guard;
    case 'question_order':
      return policy.questionOrder.guard;
    // Weights are judged by the next hourly decision on late conversions, not a guard window.
    case 'split_weights':
    case 'routing_weights':
      return policy.thresholdNudge.guard;
  }
}

/**
 * Applies a proposal, in the caller's transaction. A threshold nudge moves today's thresholds by
 * the proposal's step (never more than the policy's `maxStep`); a recalibration installs the
 * thresholds it proposed if none changed since; a source pause holds the source. A workflow pause
 * is made by the caller through the workflows service before this (`workflowVersion`).
 */
export async function approveProposal(
  db: Db,
  deps: AdjustmentDeps,
  ctx: WorkspaceContext,
  input: {
    id: string;
    actor: Actor;
    note: string | undefined;
    policy: OptimiserPolicy;
    baseline: GuardBaseline;
    workflowVersion?: number;
  },
): Promise<Adjustment> {
  const adjustment = await findAdjustment(db, ctx, input.id);
  assertProposed(adjustment);
  const now = deps.clock.now();
  const by = `${input.actor.type} ${input.actor.id}`;
  let before: AdjustedValue = adjustment.before;
  let after: AdjustedValue = adjustment.after;
  let raise = false;
  if ('active' in after) {
    if (input.workflowVersion === undefined) throw unapplicable(adjustment.id, 'the workflow was not paused');
    before = { workflowId: after.workflowId, active: true, version: input.workflowVersion };
    after = { ...before, active: false };
  } else if ('weights' in after || 'order' in after) {
    const replaced = await replaceStoredSetting(db, ctx.workspaceId, {
      expected: adjustment.before as typeof after,
      next: after,
      adjustmentId: adjustment.id,
      at: now,
    });
    if (!replaced)
      throw unapplicable(
        adjustment.id,
        `${'order' in after ? 'the playbook’s question order' : 'the split’s weights'} changed since it was proposed`,
      );
  } else if ('source' in after) {
    const held = await deps.sources.hold(db, ctx.workspaceId, after.source, {
      adjustmentId: adjustment.id,
      reason: `${adjustment.reason} (approved by ${by})`,
    });
    if (!held) throw unapplicable(adjustment.id, `source ${after.source} is already held`);
  } else {
    const current = await deps.thresholds.current(db, ctx.workspaceId);
    if (!current) throw unapplicable(adjustment.id, 'no qualification thresholds are set');
    const proposedBefore = adjustment.before as ThresholdSnapshot;
    let next: ThresholdSnapshot;
    if (adjustment.kind === 'threshold_nudge') {
      const wanted = after.workspace - proposedBefore.workspace;
      const step = Math.sign(wanted) * Math.min(Math.abs(wanted), input.policy.thresholdNudge.maxStep);
      if (step === 0) throw unapplicable(adjustment.id, 'its step is 0');
      raise = step > 0;
      next = shift(current, step);
    } else {
      if (JSON.stringify(current) === JSON.stringify(after))
        throw unapplicable(adjustment.id, 'the thresholds already have these values');
      next = after;
    }
    const replaced = await deps.thresholds.replace(
      db,
      ctx.workspaceId,
      { expected: current, next, reason: `optimiser adjustment ${adjustment.id} approved by ${by}` },
      input.actor,
    );
    if (!replaced) throw unapplicable(adjustment.id, 'the thresholds changed while it was applied');
    before = current;
    after = next;
  }
  const guard = guardOf(input.policy, adjustment, raise);
  const segment = 'order' in after ? `playbook:${after.playbookId}` : 'all';
  // A workflow pause on a workflow's bounce or unsubscribe alert watches that rate (workflow-pause.ts).
  const alert =
    'active' in after && adjustment.alertId !== null
      ? await findAlert(db, ctx, adjustment.alertId).catch(() => null)
      : null;
  const watch = alert && 'active' in after ? workflowWatchOf(alert) : null;
  const guardState =
    watch && 'active' in after
      ? workflowGuard(input.policy.workflowPause.guard, after.workflowId, watch, now)
      : freshGuard(guard, input.baseline, now, segment);
  const reason = `${adjustment.reason} — approved by ${by}${input.note ? `: ${input.note}` : ''}`;
  return decide(db, deps, ctx, adjustment, {
    set: {
      status: 'applied',
      before_value: toJson(before),
      after_value: toJson(after),
      reason,
      guard: toJson(guardState),
      guard_until: now + guard.windowMinutes * 60_000,
    },
    audit: {
      actor: input.actor,
      action: 'optimiser.change_approved',
      reason,
      data: { kind: adjustment.kind, before, after, guard: guardState },
    },
    event: {
      type: 'optimiser.adjusted',
      data: { kind: adjustment.kind, status: 'applied', origin: adjustment.origin, approvedBy: by },
    },
  });
}

/** Closes a proposal without applying it, in the caller's transaction; audited. */
export async function rejectProposal(
  db: Db,
  deps: AdjustmentDeps,
  ctx: WorkspaceContext,
  input: { id: string; actor: Actor; note: string | undefined },
): Promise<Adjustment> {
  const adjustment = await findAdjustment(db, ctx, input.id);
  assertProposed(adjustment);
  const settlement = `rejected by ${input.actor.type} ${input.actor.id}${input.note ? `: ${input.note}` : ''}`;
  return decide(db, deps, ctx, adjustment, {
    set: { status: 'rejected', settled_at: deps.clock.now(), settlement },
    audit: {
      actor: input.actor,
      action: 'optimiser.change_rejected',
      reason: settlement,
      data: { kind: adjustment.kind, proposed: adjustment.after },
    },
    event: { type: 'optimiser.adjustment_settled', data: { kind: adjustment.kind, status: 'rejected' } },
  });
}

/**
 * Records a person's decision on a proposal: the row moves only if it is still proposed (two
 * decisions at once: the second fails), then the decision is audited and announced.
 */
async function decide(
  db: Db,
  deps: AdjustmentDeps,
  ctx: WorkspaceContext,
  adjustment: Adjustment,
  decision: {
    set: Updateable<OptimiserAdjustmentsTable>;
    audit: Omit<AuditRecord, 'subject'>;
    event: Omit<NewDomainEvent, 'subject'>;
  },
): Promise<Adjustment> {
  const moved = await db
    .updateTable('optimiser_adjustments')
    .set(decision.set)
    .where('workspace_id', '=', ctx.workspaceId)
    .where('id', '=', adjustment.id)
    .where('status', '=', 'proposed')
    .executeTakeFirst();
  if (Number(moved.numUpdatedRows) !== 1) throw unapplicable(adjustment.id, 'it was decided concurrently');
  await deps.audit.append(db, ctx.workspaceId, { ...decision.audit, subject: adjustment.id });
  await deps.events.append(db, ctx.workspaceId, [{ ...decision.event, subject: adjustment.id }]);
  return findAdjustment(db, ctx, adjustment.id);
}
