import type { Actor, WorkspaceContext } from '../../core/index.ts';
import { LeadloopError } from '../../core/index.ts';
import type { Db } from '../../store/index.ts';
import { toJson } from '../../store/index.ts';
import { bernoulliLlr, createCusum } from '../detectors/cusum.ts';
import {
  type Adjustment,
  type AdjustmentDeps,
  type AdjustmentStatus,
  findAdjustment,
  OPTIMISER,
  toAdjustment,
} from './adjustments.ts';
import type { ThresholdSnapshot } from './ports.ts';
import { replaceStoredSetting } from './stored-settings.ts';

/**
 * How a change ends: its guard's sequential test keeps it or rolls it back, or a person rolls it
 * back by hand; each ending restores the value before (compare-and-set) and is audited.
 */

/**
 * Feeds a guard the minutes since it last looked (per-minute arrivals and qualified of its
 * segment); rolls the change back when its sequential test fires, keeps it when the window ends.
 */
export async function watchGuard(
  db: Db,
  deps: AdjustmentDeps,
  workspaceId: string,
  adjustment: Adjustment,
  minutes: { minute: number; arrivals: number; qualified: number }[],
): Promise<AdjustmentStatus> {
  const guard = adjustment.guard;
  if (!guard || adjustment.status !== 'applied') return adjustment.status;
  const p0 = 1 - guard.baseline.rate;
  const p1 = Math.min(0.999, 1 - guard.baseline.rate * (1 - guard.maxRelativeDrop));
  const cusum = createCusum({ slack: 0, threshold: guard.h, mode: 'up' }, guard.cusum);
  let fired = false;
  for (const m of minutes) {
    if (m.minute < guard.nextMinute) continue;
    guard.nextMinute = m.minute + 1;
    guard.trials += m.arrivals;
    guard.hits += Math.min(m.arrivals, m.qualified);
    const llr =
      (m.arrivals - m.qualified) * bernoulliLlr(true, p0, p1) + m.qualified * bernoulliLlr(false, p0, p1);
    guard.statistic = cusum.statistic() + llr;
    if (cusum.update(llr)) {
      fired = true;
      break;
    }
  }
  guard.cusum = cusum.state();
  const observed = guard.trials > 0 ? guard.hits / guard.trials : 0;
  return concludeWatch(db, deps, workspaceId, adjustment, {
    fired,
    rolledBack: `guard fired: qualification rate ${(100 * observed).toFixed(1)}% over ${guard.trials} arrivals since the change against ${(100 * guard.baseline.rate).toFixed(1)}% before it (sequential test, h ${guard.h}, bound −${Math.round(100 * guard.maxRelativeDrop)}%)`,
    kept: `guard window of ${guard.windowMinutes} minutes passed: qualification ${(100 * observed).toFixed(1)}% over ${guard.trials} arrivals against ${(100 * guard.baseline.rate).toFixed(1)}% before`,
  });
}

/**
 * What a guard's look ends in: the change rolled back when its test fired, kept when its window
 * has passed, else still applied with what the guard has seen so far stored for its next look.
 */
export async function concludeWatch(
  db: Db,
  deps: AdjustmentDeps,
  workspaceId: string,
  adjustment: Adjustment,
  look: { fired: boolean; rolledBack: string; kept: string },
): Promise<AdjustmentStatus> {
  if (look.fired) return settle(db, deps, workspaceId, adjustment, 'rolled_back', look.rolledBack, OPTIMISER);
  if (deps.clock.now() >= adjustment.guardUntil)
    return settle(db, deps, workspaceId, adjustment, 'kept', look.kept, OPTIMISER);
  await db
    .updateTable('optimiser_adjustments')
    .set({ guard: toJson(adjustment.guard) })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', adjustment.id)
    .execute();
  return 'applied';
}

export async function settle(
  db: Db,
  deps: AdjustmentDeps,
  workspaceId: string,
  adjustment: Adjustment,
  outcome: 'kept' | 'rolled_back',
  why: string,
  actor: Actor,
  resumed?: boolean,
): Promise<AdjustmentStatus> {
  let status: AdjustmentStatus = outcome;
  let settlement = why;
  if (outcome === 'rolled_back') {
    const after = adjustment.after;
    // A workflow is activated again by the workflows service in its own transaction: the caller
    // does that outside this one (before it for a person's rollback, after commit for the guard's).
    const undone =
      'order' in after || 'weights' in after
        ? await replaceStoredSetting(db, workspaceId, {
            expected: after,
            next: adjustment.before as typeof after,
            adjustmentId: adjustment.id,
            at: deps.clock.now(),
          })
        : 'active' in after
          ? (resumed ?? true)
          : 'source' in after
            ? await deps.sources.release(db, workspaceId, after.source, adjustment.id)
            : await deps.thresholds.replace(
                db,
                workspaceId,
                {
                  expected: after,
                  next: adjustment.before as ThresholdSnapshot,
                  reason: `rollback of ${adjustment.id}: ${why}`,
                },
                actor,
              );
    if (!undone) {
      status = 'superseded';
      settlement =
        'order' in after
          ? `${why}; not rolled back: the playbook's question order was changed again since`
          : 'weights' in after
            ? `${why}; not rolled back: the split's weights were changed again since`
            : 'active' in after
              ? `${why}; not rolled back: the workflow was changed since (activated, deleted or edited)`
              : 'source' in after
                ? `${why}; not rolled back: the source's hold was already lifted or replaced`
                : `${why}; not rolled back: the thresholds were changed again since, and restoring the old ones would undo that change too`;
    }
  }
  await db
    .updateTable('optimiser_adjustments')
    .set({
      status,
      settled_at: deps.clock.now(),
      settlement,
      guard: toJson(adjustment.guard),
    })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', adjustment.id)
    .where('status', '=', 'applied')
    .execute();
  await deps.audit.append(db, workspaceId, {
    actor,
    action: status === 'rolled_back' ? 'optimiser.change_rolled_back' : `optimiser.change_${status}`,
    subject: adjustment.id,
    reason: settlement,
    data: {
      kind: adjustment.kind,
      before: adjustment.after,
      after: status === 'rolled_back' ? adjustment.before : adjustment.after,
    },
  });
  await deps.events.append(db, workspaceId, [
    { type: 'optimiser.adjustment_settled', subject: adjustment.id, data: { kind: adjustment.kind, status } },
  ]);
  return status;
}

/** A person undoes an applied change (one call); audited like an automatic rollback. */
export async function rollBackByHand(
  db: Db,
  deps: AdjustmentDeps,
  ctx: WorkspaceContext,
  id: string,
  actor: Actor,
  reason: string,
  /** For a workflow pause: whether the caller activated the workflow again (outside this transaction). */
  resumed?: boolean,
): Promise<Adjustment> {
  const adjustment = await findAdjustment(db, ctx, id);
  if (adjustment.status !== 'applied' && adjustment.status !== 'kept')
    throw new LeadloopError(
      'conflict',
      `adjustment ${id} is ${adjustment.status}: only a change in force can be rolled back`,
      {
        issues: [{ field: 'path.id', reason: `status ${adjustment.status}` }],
      },
    );
  if (adjustment.status === 'kept')
    await db
      .updateTable('optimiser_adjustments')
      .set({ status: 'applied' })
      .where('workspace_id', '=', ctx.workspaceId)
      .where('id', '=', id)
      .execute();
  const status = await settle(
    db,
    deps,
    ctx.workspaceId,
    { ...adjustment, status: 'applied' },
    'rolled_back',
    `rolled back by hand: ${reason}`,
    actor,
    resumed,
  );
  if (status !== 'rolled_back')
    throw new LeadloopError(
      'conflict',
      `adjustment ${id} cannot be rolled back alone: the setting it changed was changed again since`,
      {
        issues: [{ field: 'path.id', reason: 'superseded by a later change' }],
      },
    );
  const after = await db
    .selectFrom('optimiser_adjustments')
    .selectAll()
    .where('workspace_id', '=', ctx.workspaceId)
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return toAdjustment(after);
}
