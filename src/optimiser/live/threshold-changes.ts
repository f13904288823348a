import type { WorkspaceContext } from '../../core/index.ts';
import type { Db } from '../../store/index.ts';
import {
  type Adjustment,
  type AdjustmentDeps,
  type AdjustmentKind,
  freshGuard,
  type GuardBaseline,
  hourlyBlock,
  OPTIMISER,
  record,
  trafficBlock,
} from './adjustments.ts';
import type { Guard, OptimiserPolicy } from './policy.ts';
import type { ThresholdSnapshot } from './ports.ts';

/** Threshold changes: a bounded nudge of every qualification threshold, or scoring's recalibration. */

export function shift(t: ThresholdSnapshot, delta: number): ThresholdSnapshot {
  const clamp = (v: number) => Math.round(Math.min(0.99, Math.max(0.01, v + delta)) * 1e6) / 1e6;
  return {
    workspace: clamp(t.workspace),
    segments: Object.fromEntries(Object.entries(t.segments).map(([k, v]) => [k, clamp(v)])),
  };
}

export interface ProposedChange {
  kind: AdjustmentKind;
  origin: Adjustment['origin'];
  alertId: string | null;
  /** For a nudge: the signed change of every threshold; clamped to the policy's step. */
  delta?: number;
  /** For a recalibration: the thresholds already recomputed, and those before. */
  recalibrated?: { before: ThresholdSnapshot; after: ThresholdSnapshot };
  reason: string;
  /** Whether to apply it if the policy allows (false: record as proposed only). */
  apply: boolean;
}

/**
 * Records a change and, when the policy allows it, applies it with its guard, in the caller's
 * transaction. Out of bounds (a step above the policy's), over the hourly limit, switched off, or
 * with too little traffic to guard: recorded as `proposed` with the reason.
 */
export async function proposeChange(
  db: Db,
  deps: AdjustmentDeps,
  ctx: WorkspaceContext,
  policy: OptimiserPolicy,
  change: ProposedChange,
  baseline: GuardBaseline,
): Promise<Adjustment> {
  const now = deps.clock.now();
  const current = await deps.thresholds.current(db, ctx.workspaceId);
  const before = change.recalibrated?.before ?? current;
  let after: ThresholdSnapshot | null = null;
  let blocked: string | null = null;
  let guard: Guard = policy.thresholdRecalibration.guard;
  if (!before)
    blocked = 'no qualification thresholds are set (scoring needs valuePerConversion and costPerLead)';
  else if (change.kind === 'threshold_nudge') {
    const rule = policy.thresholdNudge;
    const wanted = change.delta ?? 0;
    const delta = Math.sign(wanted) * Math.min(Math.abs(wanted), rule.maxStep);
    after = shift(before, delta);
    guard = delta > 0 ? rule.raiseGuard : rule.guard;
    if (!rule.enabled) blocked = 'threshold nudges are switched off in the policy';
    else if (delta === 0) blocked = 'a step of 0 changes nothing (maxStep is 0 or no direction)';
    else
      blocked = await hourlyBlock(db, ctx.workspaceId, {
        kind: 'threshold_nudge',
        ...rule,
        one: 'threshold nudge',
        now,
      });
  } else {
    after = change.recalibrated?.after ?? null;
    if (!policy.thresholdRecalibration.enabled)
      blocked = 'automatic recalibration is switched off in the policy';
    else if (!after) blocked = 'nothing to recalibrate';
  }
  if (!policy.enabled) blocked = 'automatic changes are switched off for this workspace';
  else if (!change.apply) blocked = blocked ?? 'the policy records council proposals without applying them';
  // A recalibration is scoring's own recomputation, already stored when it is recorded here.
  if (!blocked && change.kind === 'threshold_nudge')
    blocked = trafficBlock(baseline.arrivals, `arrivals in the ${guard.windowMinutes} minutes before`);
  const id = deps.ids.next('adj');
  const guardState = blocked || !after ? null : freshGuard(guard, baseline, now);
  if (!blocked && before && after && change.kind === 'threshold_nudge') {
    const done = await deps.thresholds.replace(
      db,
      ctx.workspaceId,
      { expected: before, next: after, reason: `optimiser adjustment ${id}: ${change.reason}` },
      OPTIMISER,
    );
    if (!done) blocked = 'the thresholds changed while the change was prepared';
  }
  return record(
    deps,
    db,
    ctx,
    {
      ...change,
      id,
      target: 'qualification thresholds',
      before: before ?? { workspace: 0, segments: {} },
      after: after ?? before ?? { workspace: 0, segments: {} },
      blocked,
      guard: blocked ? null : guardState,
      watchMinutes: guard.windowMinutes,
      now,
    },
    { before, after, guard: guardState },
  );
}
