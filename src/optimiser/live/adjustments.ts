import type { AuditLog } from '../../compliance/index.ts';
import type { Actor, Clock, IdGenerator, WorkspaceContext } from '../../core/index.ts';
import { LeadloopError } from '../../core/index.ts';
import type { DomainEventLog } from '../../events/index.ts';
import type { Db, OptimiserAdjustmentsTable } from '../../store/index.ts';
import { fromJson, toJson } from '../../store/index.ts';
import { bernoulliLlr, type CusumState, createCusum } from '../detectors/cusum.ts';
import type { Guard, OptimiserPolicy } from './policy.ts';
import type {
  SourceHoldState,
  SourceHolds,
  ThresholdControl,
  ThresholdSnapshot,
  WorkflowPauseState,
} from './ports.ts';
import { replaceSplitWeights, type SplitWeightsState } from './split-weights.ts';

/** What a change changed: thresholds, a source's hold, a split's weights, or whether a workflow is active. */
export type AdjustedValue = ThresholdSnapshot | SourceHoldState | SplitWeightsState | WorkflowPauseState;

export const ADJUSTMENT_KINDS = [
  'threshold_nudge',
  'threshold_recalibration',
  'source_pause',
  'split_weights',
  'workflow_pause',
  'routing_weights',
] as const;
type AdjustmentKind = (typeof ADJUSTMENT_KINDS)[number];
/**
 * `applied`: in force, its guard watching; `kept`: the guard window passed; `rolled_back`: the
 * guard's test (or a person) undid it; `proposed`: recorded, not applied (policy off, out of
 * bounds, rate limit, too little traffic to guard); `superseded`: something else changed the same
 * setting since, so it can no longer be undone alone; `rejected`: a person declined a proposal.
 */
export type AdjustmentStatus = 'applied' | 'kept' | 'rolled_back' | 'proposed' | 'superseded' | 'rejected';

/** The sequential test behind a guard, kept with the change so a restart resumes it. */
interface GuardState extends Guard {
  segment: string;
  baseline: { rate: number; arrivals: number; from: number; to: number };
  h: number;
  cusum: CusumState;
  nextMinute: number;
  trials: number;
  hits: number;
  statistic: number;
}

export interface Adjustment {
  id: string;
  kind: AdjustmentKind;
  status: AdjustmentStatus;
  origin: 'detector' | 'council' | 'person';
  alertId: string | null;
  target: string;
  /** Thresholds for the threshold kinds; the source's hold for `source_pause`; a split's weights for `split_weights`; the workflow for `workflow_pause`. */
  before: AdjustedValue;
  after: AdjustedValue;
  reason: string;
  guard: GuardState | null;
  createdAt: number;
  guardUntil: number;
  settledAt: number | null;
  settlement: string | null;
}

export interface AdjustmentDeps {
  audit: AuditLog;
  events: DomainEventLog;
  clock: Clock;
  ids: IdGenerator;
  thresholds: ThresholdControl;
  sources: SourceHolds;
}

const OPTIMISER: Actor = { type: 'worker', id: 'optimiser' };
const MINUTE = 60_000;
/** The guard's CUSUM threshold (nats), as in the simulator's rollback test. */
const GUARD_H = 4;
/** Below this many arrivals in the window before, a change cannot be judged and is not made. */
export const MIN_GUARD_ARRIVALS = 30;

export function toAdjustment(row: OptimiserAdjustmentsTable): Adjustment {
  return {
    id: row.id,
    kind: row.kind as AdjustmentKind,
    status: row.status as AdjustmentStatus,
    origin: row.origin as Adjustment['origin'],
    alertId: row.alert_id,
    target: row.target,
    before: fromJson<AdjustedValue>(row.before_value, { workspace: 0, segments: {} }),
    after: fromJson<AdjustedValue>(row.after_value, { workspace: 0, segments: {} }),
    reason: row.reason,
    guard: fromJson<GuardState | null>(row.guard, null),
    createdAt: Number(row.created_at),
    guardUntil: Number(row.guard_until),
    settledAt: row.settled_at === null ? null : Number(row.settled_at),
    settlement: row.settlement,
  };
}

export function shift(t: ThresholdSnapshot, delta: number): ThresholdSnapshot {
  const clamp = (v: number) => Math.round(Math.min(0.99, Math.max(0.01, v + delta)) * 1e6) / 1e6;
  return {
    workspace: clamp(t.workspace),
    segments: Object.fromEntries(Object.entries(t.segments).map(([k, v]) => [k, clamp(v)])),
  };
}

/** Changes of `kind` made (applied at some point) in the hour before `now`: the hourly bound. */
export async function madeInLastHour(db: Db, workspaceId: string, kind: AdjustmentKind, now: number) {
  const lastHour = await db
    .selectFrom('optimiser_adjustments')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .where('kind', '=', kind)
    .where('status', 'in', ['applied', 'kept', 'rolled_back', 'superseded'])
    .where('created_at', '>', now - 3_600_000)
    .executeTakeFirst();
  return Number(lastHour?.n ?? 0);
}

/** A guard starting at the minute after `now`, against the window before the change. */
export function freshGuard(guard: Guard, baseline: GuardState['baseline'], now: number): GuardState {
  return {
    ...guard,
    segment: 'all',
    baseline,
    h: GUARD_H,
    cusum: { up: 0, down: 0 },
    nextMinute: Math.floor(now / MINUTE) + 1,
    trials: 0,
    hits: 0,
    statistic: 0,
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
  baseline: { rate: number; arrivals: number; from: number; to: number },
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
    else {
      if ((await madeInLastHour(db, ctx.workspaceId, 'threshold_nudge', now)) >= rule.maxPerHour)
        blocked = `the policy allows ${rule.maxPerHour} threshold nudge(s) an hour`;
    }
  } else {
    after = change.recalibrated?.after ?? null;
    if (!policy.thresholdRecalibration.enabled)
      blocked = 'automatic recalibration is switched off in the policy';
    else if (!after) blocked = 'nothing to recalibrate';
  }
  if (!policy.enabled) blocked = 'automatic changes are switched off for this workspace';
  else if (!change.apply) blocked = blocked ?? 'the policy records council proposals without applying them';
  // A recalibration is scoring's own recomputation, already stored when it is recorded here.
  if (!blocked && change.kind === 'threshold_nudge' && baseline.arrivals < MIN_GUARD_ARRIVALS)
    blocked = `only ${baseline.arrivals} arrivals in the ${guard.windowMinutes} minutes before: too few to guard the change`;
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
  const row: OptimiserAdjustmentsTable = {
    id,
    workspace_id: ctx.workspaceId,
    kind: change.kind,
    status: blocked ? 'proposed' : 'applied',
    origin: change.origin,
    alert_id: change.alertId,
    target: 'qualification thresholds',
    before_value: toJson(before ?? { workspace: 0, segments: {} }),
    after_value: toJson(after ?? before ?? { workspace: 0, segments: {} }),
    reason: blocked ? `${change.reason} — not applied: ${blocked}` : change.reason,
    guard: toJson(blocked ? null : guardState),
    created_at: now,
    guard_until: blocked ? now : now + guard.windowMinutes * MINUTE,
    settled_at: null,
    settlement: null,
  };
  return record(deps, db, ctx, row, { before, after, guard: guardState });
}

export interface ProposedPause {
  origin: Adjustment['origin'];
  alertId: string | null;
  /** The source as the lead carries it (the segment `source:<source>`). */
  source: string;
  reason: string;
}

/**
 * Records a source pause and, when the policy allows it, holds the source's leads from automated
 * actions with the pause's guard, in the caller's transaction. The same bounds as a nudge: switched
 * off, over the hourly limit or with too little traffic to guard, it is recorded as `proposed`.
 */
export async function proposeSourcePause(
  db: Db,
  deps: AdjustmentDeps,
  ctx: WorkspaceContext,
  policy: OptimiserPolicy,
  change: ProposedPause,
  baseline: { rate: number; arrivals: number; from: number; to: number },
): Promise<Adjustment> {
  const now = deps.clock.now();
  const rule = policy.sourcePause;
  let blocked: string | null = null;
  if (!policy.enabled) blocked = 'automatic changes are switched off for this workspace';
  else if (rule.mode === 'off') blocked = 'source pauses are switched off in the policy';
  else if (rule.mode === 'propose') blocked = 'the policy records source pauses for a person to decide';
  else {
    if ((await madeInLastHour(db, ctx.workspaceId, 'source_pause', now)) >= rule.maxPerHour)
      blocked = `the policy allows ${rule.maxPerHour} source pause(s) an hour`;
    else if (baseline.arrivals < MIN_GUARD_ARRIVALS)
      blocked = `only ${baseline.arrivals} arrivals in the ${rule.guard.windowMinutes} minutes before: too few to guard the change`;
  }
  const id = deps.ids.next('adj');
  if (
    !blocked &&
    !(await deps.sources.hold(db, ctx.workspaceId, change.source, {
      adjustmentId: id,
      reason: change.reason,
    }))
  )
    blocked = `source ${change.source} is already held`;
  const guardState = blocked ? null : freshGuard(rule.guard, baseline, now);
  const before: SourceHoldState = { source: change.source, held: false };
  const after: SourceHoldState = { source: change.source, held: true };
  const row: OptimiserAdjustmentsTable = {
    id,
    workspace_id: ctx.workspaceId,
    kind: 'source_pause',
    status: blocked ? 'proposed' : 'applied',
    origin: change.origin,
    alert_id: change.alertId,
    target: `source ${change.source}`,
    before_value: toJson(before),
    after_value: toJson(after),
    reason: blocked ? `${change.reason} — not applied: ${blocked}` : change.reason,
    guard: toJson(guardState),
    created_at: now,
    guard_until: blocked ? now : now + rule.guard.windowMinutes * MINUTE,
    settled_at: null,
    settlement: null,
  };
  return record(deps, db, ctx, row, { before, after, guard: guardState });
}

/** Stores a change of any kind, audits it (applied or only proposed) and announces it on the stream. */
export async function record(
  deps: Pick<AdjustmentDeps, 'audit' | 'events'>,
  db: Db,
  ctx: WorkspaceContext,
  row: OptimiserAdjustmentsTable,
  evidence: { before: unknown; after: unknown; guard: unknown },
): Promise<Adjustment> {
  await db.insertInto('optimiser_adjustments').values(row).execute();
  await deps.audit.append(db, ctx.workspaceId, {
    actor: OPTIMISER,
    action: row.status === 'proposed' ? 'optimiser.change_proposed' : 'optimiser.change_applied',
    subject: row.id,
    reason: row.reason,
    data: { kind: row.kind, ...evidence, alertId: row.alert_id },
  });
  await deps.events.append(db, ctx.workspaceId, [
    {
      type: 'optimiser.adjusted',
      subject: row.id,
      data: { kind: row.kind, status: row.status, origin: row.origin, alertId: row.alert_id },
    },
  ]);
  return toAdjustment(row);
}

/**
 * Lifts the pauses an alert placed once it resolved (the source qualifies again): in force or
 * already kept by their guard, a pause lasts only as long as the collapse that caused it.
 */
export async function releaseRecovered(
  db: Db,
  deps: AdjustmentDeps,
  workspaceId: string,
  alertId: string,
  why: string,
): Promise<{ id: string; status: AdjustmentStatus }[]> {
  const rows = await db
    .selectFrom('optimiser_adjustments')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('alert_id', '=', alertId)
    .where('kind', '=', 'source_pause')
    .where('status', 'in', ['applied', 'kept'])
    .execute();
  const out: { id: string; status: AdjustmentStatus }[] = [];
  for (const row of rows) {
    if (row.status === 'kept')
      await db
        .updateTable('optimiser_adjustments')
        .set({ status: 'applied' })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', row.id)
        .execute();
    const adjustment = { ...toAdjustment(row), status: 'applied' as const };
    out.push({
      id: row.id,
      status: await settle(db, deps, workspaceId, adjustment, 'rolled_back', why, OPTIMISER),
    });
  }
  return out;
}

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
  if (fired) {
    const observed = guard.trials > 0 ? guard.hits / guard.trials : 0;
    return settle(
      db,
      deps,
      workspaceId,
      adjustment,
      'rolled_back',
      `guard fired: qualification rate ${(100 * observed).toFixed(1)}% over ${guard.trials} arrivals since the change against ${(100 * guard.baseline.rate).toFixed(1)}% before it (sequential test, h ${guard.h}, bound −${Math.round(100 * guard.maxRelativeDrop)}%)`,
      OPTIMISER,
    );
  }
  if (deps.clock.now() >= adjustment.guardUntil)
    return settle(
      db,
      deps,
      workspaceId,
      adjustment,
      'kept',
      `guard window of ${guard.windowMinutes} minutes passed: qualification ${(100 * (guard.trials > 0 ? guard.hits / guard.trials : 0)).toFixed(1)}% over ${guard.trials} arrivals against ${(100 * guard.baseline.rate).toFixed(1)}% before`,
      OPTIMISER,
    );
  await db
    .updateTable('optimiser_adjustments')
    .set({ guard: toJson(guard) })
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
      'weights' in after
        ? await replaceSplitWeights(db, workspaceId, {
            expected: after,
            next: adjustment.before as SplitWeightsState,
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
        'weights' in after
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

export async function appliedAdjustments(db: Db, workspaceId: string): Promise<Adjustment[]> {
  const rows = await db
    .selectFrom('optimiser_adjustments')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('status', '=', 'applied')
    .orderBy('created_at')
    .execute();
  return rows.map(toAdjustment);
}

export async function listAdjustments(
  db: Db,
  ctx: WorkspaceContext,
  query: { status?: AdjustmentStatus | undefined; limit: number },
): Promise<Adjustment[]> {
  const rows = await db
    .selectFrom('optimiser_adjustments')
    .selectAll()
    .where('workspace_id', '=', ctx.workspaceId)
    .$if(query.status !== undefined, (q) => q.where('status', '=', query.status as string))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit)
    .execute();
  return rows.map(toAdjustment);
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
  const row = await db
    .selectFrom('optimiser_adjustments')
    .selectAll()
    .where('workspace_id', '=', ctx.workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row)
    throw new LeadloopError('not_found', `no adjustment ${id} in this workspace`, {
      issues: [{ field: 'path.id', reason: 'unknown adjustment' }],
    });
  const adjustment = toAdjustment(row);
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
