import type { Clock, DomainEvent, WorkspaceContext } from '../core/index.ts';
import { inWorkspace, LeadloopError } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import type { Bucket, RollupIncrement } from './metric-rollups.ts';
import { addRollups, listSegments, readBuckets, readMinutes } from './metric-rollups.ts';

/** Where the metrics come from: the durable domain-event stream (the consumer's port). */
export interface MetricEventFeed {
  readSince(workspaceId: string, afterSeq: number, limit?: number): Promise<DomainEvent[]>;
}

export const METRIC_NAMES = ['arrivals', 'qualified', 'qualification_rate', 'scored', 'mean_score'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

export const WINDOWS = { '1m': 1, '15m': 15, '1h': 60, '1d': 1440 } as const;
export type WindowName = keyof typeof WINDOWS;

export interface SeriesQuery {
  metric: MetricName;
  segment: string;
  window: WindowName;
  /** Epoch milliseconds; defaults to the last 24 hours. */
  from?: number;
  to?: number;
}

export interface SeriesPoint {
  start: number;
  value: number | null;
  /** Events behind the value (the denominator of a rate). */
  count: number;
}

export interface MetricSeries {
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
    metric: 'arrivals' | 'qualified' | 'scored',
    fromMinute: number,
    toMinute: number,
  ): Promise<{ minute: number; segment: string; count: number }[]>;
}

const MAX_POINTS = 1440;
const BATCH = 500;

/** Each stored metric a derived one is built from: a rate divides two, a mean divides total by count. */
const SOURCES: Record<MetricName, { stored: string; over?: string; mean?: boolean }> = {
  arrivals: { stored: 'arrivals' },
  qualified: { stored: 'qualified' },
  qualification_rate: { stored: 'qualified', over: 'arrivals' },
  scored: { stored: 'scored' },
  mean_score: { stored: 'scored', mean: true },
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
      const source = SOURCES[query.metric];
      const range = { segment: query.segment, from, to, bucketMinutes: bucket };
      const [top, bottom, segments] = await Promise.all([
        readBuckets(store.db, ctx, { ...range, metric: source.stored }),
        source.over
          ? readBuckets(store.db, ctx, { ...range, metric: source.over })
          : Promise.resolve([] as Bucket[]),
        listSegments(store.db, ctx, source.stored, from, to),
      ]);
      const byStart = (list: Bucket[]) => new Map(list.map((b) => [b.minute, b]));
      const tops = byStart(top);
      const bottoms = byStart(bottom);
      const points: SeriesPoint[] = [];
      for (let start = from; start < to; start += bucket) {
        const t = tops.get(start);
        const b = bottoms.get(start);
        if (source.over) {
          const n = b?.count ?? 0;
          points.push({ start: start * 60_000, value: n > 0 ? (t?.count ?? 0) / n : null, count: n });
        } else if (source.mean) {
          const n = t?.count ?? 0;
          points.push({ start: start * 60_000, value: n > 0 ? (t?.total ?? 0) / n : null, count: n });
        } else {
          points.push({ start: start * 60_000, value: t?.count ?? 0, count: t?.count ?? 0 });
        }
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

/** Per-minute increments of the stored metrics, each under `all` and its source segment. */
export function rollupsOf(events: readonly DomainEvent[]): RollupIncrement[] {
  const sums = new Map<string, RollupIncrement>();
  const add = (metric: string, segment: string, minute: number, value: number) => {
    const key = `${metric}\u0000${segment}\u0000${minute}`;
    const inc = sums.get(key) ?? { metric, segment, minute, count: 0, total: 0 };
    inc.count += 1;
    inc.total += value;
    sums.set(key, inc);
  };
  for (const event of events) {
    const minute = Math.floor(event.at / 60_000);
    const source = typeof event.data.source === 'string' ? `source:${event.data.source}` : null;
    const metric =
      event.type === 'lead.created'
        ? 'arrivals'
        : event.type === 'lead.qualified'
          ? 'qualified'
          : event.type === 'lead.scored'
            ? 'scored'
            : null;
    if (!metric) continue;
    const value = metric === 'scored' && typeof event.data.score === 'number' ? event.data.score : 1;
    add(metric, 'all', minute, value);
    if (source) add(metric, source, minute, value);
  }
  return [...sums.values()];
}
