import type { Clock, WorkspaceContext } from '../../core/index.ts';
import type { Db } from '../../store/index.ts';
import { fromJson, toJson } from '../../store/index.ts';
import type { CountedMetric, MetricCounts, WorkflowActivity } from './ports.ts';
import {
  EMPTY_MONITOR_STATE,
  LIVE_DETECTOR_SETTINGS,
  type MonitorState,
  type SegmentCounts,
  setReferences,
} from './streams.ts';
import { setWorkflowReferences } from './workflow-streams.ts';

const MINUTE = 60_000;

/** A stored metric's counts over [from, to): summed per segment, and per minute and segment. */
export interface CountsBySegment {
  total: SegmentCounts;
  perMinute: Map<number, SegmentCounts>;
}

/** What the monitor and the people's actions read: counts per segment, and a guard's baseline. */
export function createMonitorReads(deps: { clock: Clock; metrics: MetricCounts }) {
  const { clock, metrics } = deps;

  async function countsBySegment(
    ctx: WorkspaceContext,
    metric: CountedMetric,
    from: number,
    to: number,
  ): Promise<CountsBySegment> {
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

  return { countsBySegment, baselineBefore };
}

export async function readMonitorState(db: Db, workspaceId: string) {
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
export async function writeMonitorState(
  db: Db,
  clock: Clock,
  workspaceId: string,
  state: MonitorState,
  version: number | null,
) {
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

/**
 * The detectors' reference day, read again once it is `referenceLagMinutes` old: arrivals,
 * qualification, chat drop-off, workflow activity, model calls and (unless the champion's training
 * scores serve) the score histogram, over the day that ended that lag before `evalTo`.
 */
export async function refreshReferences(
  state: MonitorState,
  evalTo: number,
  deps: {
    ctx: WorkspaceContext;
    countsBySegment: ReturnType<typeof createMonitorReads>['countsBySegment'];
    /** The model streams' reference setter (`modelStreamsOf`), passed in: that file reads these counts. */
    models: { reference(state: MonitorState, from: number, to: number): Promise<unknown> };
    metrics: MetricCounts;
    activity?: WorkflowActivity;
  },
): Promise<MonitorState> {
  const { ctx, countsBySegment, models, metrics } = deps;
  const s = LIVE_DETECTOR_SETTINGS;
  const to = evalTo - s.referenceLagMinutes;
  const from = to - s.referenceMinutes;
  const current = setReferences(state, {
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
  if (deps.activity) setWorkflowReferences(current, await deps.activity.perMinute(ctx, from, to));
  await models.reference(current, from, to);
  if (metrics.scoreHistogram && current.psi?.basis?.kind !== 'training')
    current.psi = {
      reference: await metrics.scoreHistogram(ctx, 'all', from, to),
      above: current.psi?.above ?? 0,
      since: current.psi?.since ?? null,
      ...(current.psi?.basis ? { basis: current.psi.basis } : {}),
    };
  return current;
}
