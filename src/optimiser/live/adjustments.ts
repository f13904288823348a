import type { AuditLog } from '../../compliance/index.ts';
import type { Actor, Clock, IdGenerator, WorkspaceContext } from '../../core/index.ts';
import { LeadloopError } from '../../core/index.ts';
import type { DomainEventLog } from '../../events/index.ts';
import type { Db, OptimiserAdjustmentsTable } from '../../store/index.ts';
import { fromJson, toJson, workspacePage, workspaceRow } from '../../store/index.ts';
import type { CusumState } from '../detectors/cusum.ts';
import type { Guard } from './policy.ts';
import type {
  QuestionOrderState,
  SourceHoldState,
  SourceHolds,
  ThresholdControl,
  ThresholdSnapshot,
  WorkflowPauseState,
} from './ports.ts';
import type { SplitWeightsState } from './split-weights.ts';

/**
 * What every adjustment kind shares: the stored record and its reading, the hourly bound, a fresh
 * guard, and recording a change (stored, audited, announced). The kinds are made in their own
 * files (`threshold-changes.ts`, `source-pause.ts`, `workflow-pause.ts`, `split-optimiser.ts`);
 * `settlement.ts` watches, keeps and rolls them back.
 */

/**
 * What a change changed: thresholds, a source's hold, a split's weights, whether a workflow is
 * active, or the order of a playbook's questions.
 */
export type AdjustedValue =
  | ThresholdSnapshot
  | SourceHoldState
  | SplitWeightsState
  | WorkflowPauseState
  | QuestionOrderState;

export const ADJUSTMENT_KINDS = [
  'threshold_nudge',
  'threshold_recalibration',
  'source_pause',
  'split_weights',
  'workflow_pause',
  'routing_weights',
  'question_order',
] as const;
export type AdjustmentKind = (typeof ADJUSTMENT_KINDS)[number];
/**
 * `applied`: in force, its guard watching; `kept`: the guard window passed; `rolled_back`: the
 * guard's test (or a person) undid it; `proposed`: recorded, not applied (policy off, out of
 * bounds, rate limit, too little traffic to guard); `superseded`: something else changed the same
 * setting since, so it can no longer be undone alone; `rejected`: a person declined a proposal.
 */
export type AdjustmentStatus = 'applied' | 'kept' | 'rolled_back' | 'proposed' | 'superseded' | 'rejected';

/** What a guard compares a change against: the rate and its arrivals over `[from, to)` before it. */
export interface GuardBaseline {
  rate: number;
  arrivals: number;
  from: number;
  to: number;
}

/** The sequential test behind a guard, kept with the change so a restart resumes it. */
export interface GuardState extends Guard {
  segment: string;
  baseline: GuardBaseline;
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

export const OPTIMISER: Actor = { type: 'worker', id: 'optimiser' };
export const MINUTE = 60_000;
/** The guard's CUSUM threshold (nats), as in the simulator's rollback test. */
const GUARD_H = 4;
/** Below this many arrivals in the window before, a change cannot be judged and is not made. */
const MIN_GUARD_ARRIVALS = 30;

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

/** Changes of `kind` made (applied at some point) in the hour before `now`: the hourly bound. */
async function madeInLastHour(db: Db, workspaceId: string, kind: AdjustmentKind, now: number) {
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

/**
 * Why a kind the policy sets a mode for stays a proposal: automatic changes off, the kind off, or
 * left for a person to decide (`kinds` names it in the reason: "source pauses"). Null: apply it.
 */
export function modeBlock(enabled: boolean, mode: 'off' | 'propose' | 'apply', kinds: string): string | null {
  if (!enabled) return 'automatic changes are switched off for this workspace';
  if (mode === 'off') return `${kinds} are switched off in the policy`;
  if (mode === 'propose') return `the policy records ${kinds} for a person to decide`;
  return null;
}

/** Why a change over its kind's hourly limit stays a proposal (`one` names one change: "source pause"). */
export async function hourlyBlock(
  db: Db,
  workspaceId: string,
  bound: { kind: AdjustmentKind; maxPerHour: number; one: string; now: number },
): Promise<string | null> {
  return (await madeInLastHour(db, workspaceId, bound.kind, bound.now)) >= bound.maxPerHour
    ? `the policy allows ${bound.maxPerHour} ${bound.one}(s) an hour`
    : null;
}

/** Why a change with too little traffic before it to judge stays a proposal (`counted`: "arrivals in …"). */
export function trafficBlock(arrivals: number, counted: string): string | null {
  return arrivals < MIN_GUARD_ARRIVALS ? `only ${arrivals} ${counted}: too few to guard the change` : null;
}

/**
 * A guard starting at the minute after `now`, against the window before the change, on `segment`
 * of its metric (`all`, or `playbook:<id>` for chat completion).
 */
export function freshGuard(guard: Guard, baseline: GuardBaseline, now: number, segment = 'all'): GuardState {
  return {
    ...guard,
    segment,
    baseline,
    h: GUARD_H,
    cusum: { up: 0, down: 0 },
    nextMinute: Math.floor(now / MINUTE) + 1,
    trials: 0,
    hits: 0,
    statistic: 0,
  };
}

/** A change as its kind decided it, before it is stored: every kind's record has this form. */
export interface ChangeRecord {
  id: string;
  kind: AdjustmentKind;
  origin: Adjustment['origin'];
  alertId: string | null;
  target: string;
  before: AdjustedValue;
  after: AdjustedValue;
  reason: string;
  /** Why the change stays only proposed; null when it was applied. */
  blocked: string | null;
  /** The guard stored with the change (null when applied without one or not applied). */
  guard: GuardState | null;
  /** How long an applied change is watched before its guard keeps it. */
  watchMinutes: number;
  now: number;
}

/** The stored row of a change: a proposal carries why it was not applied and ends its watch at once. */
function changeRow(ctx: WorkspaceContext, change: ChangeRecord): OptimiserAdjustmentsTable {
  const { blocked, now } = change;
  return {
    id: change.id,
    workspace_id: ctx.workspaceId,
    kind: change.kind,
    status: blocked ? 'proposed' : 'applied',
    origin: change.origin,
    alert_id: change.alertId,
    target: change.target,
    before_value: toJson(change.before),
    after_value: toJson(change.after),
    reason: blocked ? `${change.reason} — not applied: ${blocked}` : change.reason,
    guard: toJson(change.guard),
    created_at: now,
    guard_until: blocked ? now : now + change.watchMinutes * MINUTE,
    settled_at: null,
    settlement: null,
  };
}

/** Stores a change of any kind, audits it (applied or only proposed) and announces it on the stream. */
export async function record(
  deps: Pick<AdjustmentDeps, 'audit' | 'events'>,
  db: Db,
  ctx: WorkspaceContext,
  change: ChangeRecord,
  /**
   * Audited with the change: the values before and after and the guard (by default the change's
   * own), and any evidence of the kind's own.
   */
  evidence: Record<string, unknown> = {},
): Promise<Adjustment> {
  const row = changeRow(ctx, change);
  const audited = { before: change.before, after: change.after, guard: change.guard, ...evidence };
  await db.insertInto('optimiser_adjustments').values(row).execute();
  await deps.audit.append(db, ctx.workspaceId, {
    actor: OPTIMISER,
    action: row.status === 'proposed' ? 'optimiser.change_proposed' : 'optimiser.change_applied',
    subject: row.id,
    reason: row.reason,
    data: { kind: row.kind, ...audited, alertId: row.alert_id },
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

/** The adjustment `id` of the workspace; `not_found` when there is none. */
export async function findAdjustment(db: Db, ctx: WorkspaceContext, id: string): Promise<Adjustment> {
  const row = await workspaceRow(db, 'optimiser_adjustments', ctx.workspaceId, { id });
  if (!row)
    throw new LeadloopError('not_found', `no adjustment ${id} in this workspace`, {
      issues: [{ field: 'path.id', reason: 'unknown adjustment' }],
    });
  return toAdjustment(row);
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
  const rows = await workspacePage(
    db,
    'optimiser_adjustments',
    ctx.workspaceId,
    { status: query.status },
    { newest: 'created_at', limit: query.limit },
  );
  return rows.map(toAdjustment);
}
