import type { Clock, DomainEvent, WorkspaceContext } from '../core/index.ts';
import { assertNever, inWorkspace, LeadloopError } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import { BIN_SEPARATOR, rollupsOf } from './event-rollups.ts';
import { quantileOf } from './histogram.ts';
import type { Bucket } from './metric-rollups.ts';
import { addRollups, listSegments, readBuckets, readHistograms, readMinutes } from './metric-rollups.ts';

/** Where the metrics come from: the durable domain-event stream (the consumer's port). */
export interface MetricEventFeed {
  readSince(workspaceId: string, afterSeq: number, limit?: number): Promise<DomainEvent[]>;
}

export const METRIC_NAMES = [
  'arrivals',
  'qualified',
  'qualification_rate',
  'scored',
  'mean_score',
  'speed_to_lead_p50',
  'speed_to_lead_p90',
  'handoff_wait_p50',
  'handoff_wait_p90',
  'chats_ended',
  'chat_dropoff',
  'outcomes',
  'conversions',
  'conversion_rate',
  'value',
  'model_calls',
  'model_tokens',
  'cost_per_qualified',
  'cost_per_conversion',
] as const;
type MetricName = (typeof METRIC_NAMES)[number];

export const WINDOWS = { '1m': 1, '15m': 15, '1h': 60, '1d': 1440 } as const;
export type WindowName = keyof typeof WINDOWS;

interface SeriesQuery {
  metric: MetricName;
  segment: string;
  window: WindowName;
  /** Epoch milliseconds; defaults to the last 24 hours. */
  from?: number;
  to?: number;
}

interface SeriesPoint {
  start: number;
  value: number | null;
  /** Events behind the value (the denominator of a rate). */
  count: number;
}

interface MetricSeries {
  metric: MetricName;
  segment: string;
  window: WindowName;
  from: number;
  to: number;
  points: SeriesPoint[];
  segments: string[];
}

export interface AnalyticsService {
  /** Rolls up the workspace's events not yet counted; returns how many it consumed. */
  catchUp(workspaceId: string): Promise<number>;
  series(ctx: WorkspaceContext, query: SeriesQuery): Promise<MetricSeries>;
  /** Every segment's count per minute of a stored metric, minutes since the epoch in [from, to). */
  perMinute(
    ctx: WorkspaceContext,
    metric:
      | 'arrivals'
      | 'qualified'
      | 'scored'
      | 'chat_reached'
      | 'chat_dropped'
      | 'outcomes'
      | 'conversions',
    fromMinute: number,
    toMinute: number,
  ): Promise<{ minute: number; segment: string; count: number }[]>;
}

const MAX_POINTS = 1440;
const BATCH = 500;

/**
 * How each metric is read from the stored rows: a count, a sum of totals, a rate (count over
 * count), a mean (total over count), a cost (total of one over count of another) or a quantile of
 * a duration histogram. A `Record`, so a metric without a reading fails to compile.
 */
type Reading =
  | { kind: 'count'; stored: string }
  | { kind: 'sum'; stored: string }
  | { kind: 'rate'; stored: string; over: string }
  | { kind: 'mean'; stored: string }
  | { kind: 'cost'; stored: string; over: string }
  | { kind: 'quantile'; stored: string; q: number };

const READINGS: Record<MetricName, Reading> = {
  arrivals: { kind: 'count', stored: 'arrivals' },
  qualified: { kind: 'count', stored: 'qualified' },
  qualification_rate: { kind: 'rate', stored: 'qualified', over: 'arrivals' },
  scored: { kind: 'count', stored: 'scored' },
  mean_score: { kind: 'mean', stored: 'scored' },
  speed_to_lead_p50: { kind: 'quantile', stored: 'speed_to_lead', q: 0.5 },
  speed_to_lead_p90: { kind: 'quantile', stored: 'speed_to_lead', q: 0.9 },
  handoff_wait_p50: { kind: 'quantile', stored: 'handoff_wait', q: 0.5 },
  handoff_wait_p90: { kind: 'quantile', stored: 'handoff_wait', q: 0.9 },
  chats_ended: { kind: 'count', stored: 'chats_ended' },
  chat_dropoff: { kind: 'rate', stored: 'chat_dropped', over: 'chat_reached' },
  outcomes: { kind: 'count', stored: 'outcomes' },
  conversions: { kind: 'count', stored: 'conversions' },
  conversion_rate: { kind: 'rate', stored: 'conversions', over: 'outcomes' },
  value: { kind: 'sum', stored: 'conversions' },
  model_calls: { kind: 'sum', stored: 'model_calls' },
  model_tokens: { kind: 'sum', stored: 'model_tokens' },
  // Spend is in model tokens: the council records tokens, not prices.
  cost_per_qualified: { kind: 'cost', stored: 'model_tokens', over: 'qualified' },
  cost_per_conversion: { kind: 'cost', stored: 'model_tokens', over: 'conversions' },
};

export function createAnalyticsService(options: {
  store: Store;
  feed: MetricEventFeed;
  clock: Clock;
}): AnalyticsService {
  const { store, feed, clock } = options;

  async function catchUpOnce(workspaceId: string): Promise<number> {
    const cursor = await store.db
      .selectFrom('metric_cursors')
      .select('seq')
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst();
    const after = cursor ? Number(cursor.seq) : 0;
    const events = await feed.readSince(workspaceId, after, BATCH);
    if (events.length === 0) return 0;
    const last = events[events.length - 1]?.seq ?? after;
    await store.transaction(async (trx) => {
      await addRollups(trx, workspaceId, rollupsOf(events));
      // Compare-and-set on the cursor: a second process that rolled up the same events first makes
      // this transaction fail and roll back, so no event is counted twice.
      const moved = cursor
        ? await trx
            .updateTable('metric_cursors')
            .set({ seq: last, updated_at: clock.now() })
            .where('workspace_id', '=', workspaceId)
            .where('seq', '=', after)
            .executeTakeFirst()
            .then((r) => Number(r.numUpdatedRows))
        : await trx
            .insertInto('metric_cursors')
            .values({ workspace_id: workspaceId, seq: last, updated_at: clock.now() })
            .onConflict((oc) => oc.column('workspace_id').doNothing())
            .executeTakeFirst()
            .then((r) => Number(r.numInsertedOrUpdatedRows ?? 0));
      if (moved !== 1)
        throw new LeadloopError('conflict', 'metrics were rolled up concurrently', { retryable: true });
    });
    return events.length;
  }

  return {
    perMinute: (ctx, metric, from, to) => readMinutes(store.db, ctx, { metric, from, to }),

    async catchUp(workspaceId) {
      return inWorkspace(workspaceId, async () => {
        let consumed = 0;
        for (let attempt = 0; attempt < 1000; attempt++) {
          let n: number;
          try {
            n = await catchUpOnce(workspaceId);
          } catch (error) {
            if (error instanceof LeadloopError && error.code === 'conflict') continue;
            throw error;
          }
          consumed += n;
          if (n < BATCH) break;
        }
        return consumed;
      });
    },

    async series(ctx, query) {
      const bucket = WINDOWS[query.window];
      const to = Math.ceil((query.to ?? clock.now()) / 60_000);
      const fromRaw = query.from === undefined ? to - 1440 : Math.floor(query.from / 60_000);
      const from = Math.floor(fromRaw / bucket) * bucket;
      if (to <= from)
        throw new LeadloopError('validation_failed', '`from` must be before `to`', {
          issues: [{ field: 'query.from', reason: 'is not before to' }],
        });
      if ((to - from) / bucket > MAX_POINTS)
        throw new LeadloopError('validation_failed', `at most ${MAX_POINTS} points per request`, {
          issues: [
            {
              field: 'query.window',
              reason: `gives more than ${MAX_POINTS} points over this range; use a longer window`,
            },
          ],
        });
      const reading = READINGS[query.metric];
      const range = { segment: query.segment, from, to, bucketMinutes: bucket };
      const over = reading.kind === 'rate' || reading.kind === 'cost' ? reading.over : null;
      const [top, bottom, histograms, segments] = await Promise.all([
        reading.kind === 'quantile'
          ? Promise.resolve([] as Bucket[])
          : readBuckets(store.db, ctx, { ...range, metric: reading.stored }),
        over ? readBuckets(store.db, ctx, { ...range, metric: over }) : Promise.resolve([] as Bucket[]),
        reading.kind === 'quantile'
          ? readHistograms(store.db, ctx, { ...range, metric: reading.stored, separator: BIN_SEPARATOR })
          : Promise.resolve(new Map<number, Map<number, number>>()),
        listSegments(store.db, ctx, over && reading.kind === 'rate' ? over : reading.stored, from, to),
      ]);
      const byStart = (list: Bucket[]) => new Map(list.map((b) => [b.minute, b]));
      const tops = byStart(top);
      const bottoms = byStart(bottom);
      const points: SeriesPoint[] = [];
      for (let start = from; start < to; start += bucket) {
        const t = tops.get(start);
        const b = bottoms.get(start);
        points.push({ start: start * 60_000, ...pointOf(reading, t, b, histograms.get(start)) });
      }
      return {
        metric: query.metric,
        segment: query.segment,
        window: query.window,
        from: from * 60_000,
        to: to * 60_000,
        points,
        segments,
      };
    },
  };
}

/** One bucket's value and the count behind it, by the metric's reading. */
function pointOf(
  reading: Reading,
  top: Bucket | undefined,
  bottom: Bucket | undefined,
  histogram: Map<number, number> | undefined,
): { value: number | null; count: number } {
  switch (reading.kind) {
    case 'count':
      return { value: top?.count ?? 0, count: top?.count ?? 0 };
    case 'sum':
      return { value: top?.total ?? 0, count: top?.count ?? 0 };
    case 'rate': {
      const n = bottom?.count ?? 0;
      return { value: n > 0 ? (top?.count ?? 0) / n : null, count: n };
    }
    case 'mean': {
      const n = top?.count ?? 0;
      return { value: n > 0 ? (top?.total ?? 0) / n : null, count: n };
    }
    case 'cost': {
      const n = bottom?.count ?? 0;
      return { value: n > 0 ? (top?.total ?? 0) / n : null, count: n };
    }
    case 'quantile': {
      const h = histogram ?? new Map<number, number>();
      let n = 0;
      for (const c of h.values()) n += c;
      return { value: quantileOf(h, reading.q), count: n };
    }
    default:
      return assertNever(reading);
  }
}
