import type { WorkspaceContext } from '../../core/index.ts';
import type { Db } from '../../store/index.ts';
import {
  type Adjustment,
  type AdjustmentDeps,
  type AdjustmentStatus,
  freshGuard,
  type GuardBaseline,
  hourlyBlock,
  modeBlock,
  OPTIMISER,
  record,
  toAdjustment,
  trafficBlock,
} from './adjustments.ts';
import type { OptimiserPolicy } from './policy.ts';
import type { SourceHoldState } from './ports.ts';
import { settle } from './settlement.ts';

/** Source pauses: a source whose qualification collapses is held from automated actions until it recovers. */

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
  baseline: GuardBaseline,
): Promise<Adjustment> {
  const now = deps.clock.now();
  const rule = policy.sourcePause;
  let blocked =
    modeBlock(policy.enabled, rule.mode, 'source pauses') ??
    (await hourlyBlock(db, ctx.workspaceId, { kind: 'source_pause', ...rule, one: 'source pause', now })) ??
    trafficBlock(baseline.arrivals, `arrivals in the ${rule.guard.windowMinutes} minutes before`);
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
  return record(deps, db, ctx, {
    ...change,
    id,
    kind: 'source_pause',
    target: `source ${change.source}`,
    before,
    after,
    blocked,
    guard: guardState,
    watchMinutes: rule.guard.windowMinutes,
    now,
  });
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
