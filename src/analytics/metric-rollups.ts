import { sql } from 'kysely';
import type { WorkspaceContext } from '../core/index.ts';
import type { Db } from '../store/index.ts';

/** What one minute of one metric in one segment adds: how many, and the sum of their values. */
export interface RollupIncrement {
  metric: string;
  segment: string;
  minute: number;
  count: number;
  total: number;
}

/** Adds increments to the per-minute rows (insert or add), inside the caller's transaction. */
export async function addRollups(
  db: Db,
  workspaceId: string,
  increments: readonly RollupIncrement[],
): Promise<void> {
  for (const inc of increments) {
    await db
      .insertInto('metric_rollups')
      .values({ workspace_id: workspaceId, ...inc })
      .onConflict((oc) =>
        oc.columns(['workspace_id', 'metric', 'segment', 'minute']).doUpdateSet({
          count: sql`metric_rollups.count + excluded.count`,
          total: sql`metric_rollups.total + excluded.total`,
        }),
      )
      .execute();
  }
}

export interface Bucket {
  /** First minute of the bucket (minutes since the epoch). */
  minute: number;
  count: number;
  total: number;
}

/** The workspace's per-minute rows for minutes in [from, to), for a caller to pick metrics from. */
function rollupsIn(db: Db, ctx: WorkspaceContext, from: number, to: number) {
  return db
    .selectFrom('metric_rollups')
    .where('workspace_id', '=', ctx.workspaceId)
    .where('minute', '>=', from)
    .where('minute', '<', to);
}

/** The first minute of the bucket of `bucketMinutes` that `minute` falls in, counting from `from`. */
const bucketStart = (minute: number, from: number, bucketMinutes: number) =>
  from + Math.floor((minute - from) / bucketMinutes) * bucketMinutes;

/** Sums of one metric and segment per bucket of `bucketMinutes`, for minutes in [from, to). */
export async function readBuckets(
  db: Db,
  ctx: WorkspaceContext,
  query: { metric: string; segment: string; from: number; to: number; bucketMinutes: number },
): Promise<Bucket[]> {
  const rows = await rollupsIn(db, ctx, query.from, query.to)
    .select(['minute', 'count', 'total'])
    .where('metric', '=', query.metric)
    .where('segment', '=', query.segment)
    .execute();
  const buckets = new Map<number, Bucket>();
  for (const row of rows) {
    const minute = Number(row.minute);
    const start = bucketStart(minute, query.from, query.bucketMinutes);
    const b = buckets.get(start) ?? { minute: start, count: 0, total: 0 };
    b.count += Number(row.count);
    b.total += Number(row.total);
    buckets.set(start, b);
  }
  return [...buckets.values()];
}

/**
 * A duration histogram per bucket (bucket start → bin → count) from the rows `<metric><sep><bin>`.
 * The rows are found by prefix; the exact metric is checked here, since `_` is a LIKE wildcard.
 */
export async function readHistograms(
  db: Db,
  ctx: WorkspaceContext,
  query: {
    metric: string;
    separator: string;
    segment: string;
    from: number;
    to: number;
    bucketMinutes: number;
  },
): Promise<Map<number, Map<number, number>>> {
  const prefix = `${query.metric}${query.separator}`;
  const rows = await rollupsIn(db, ctx, query.from, query.to)
    .select(['metric', 'minute', 'count'])
    .where('metric', 'like', `${prefix}%`)
    .where('segment', '=', query.segment)
    .execute();
  const buckets = new Map<number, Map<number, number>>();
  for (const row of rows) {
    if (!row.metric.startsWith(prefix)) continue;
    const bin = Number(row.metric.slice(prefix.length));
    if (!Number.isInteger(bin)) continue;
    const minute = Number(row.minute);
    const start = bucketStart(minute, query.from, query.bucketMinutes);
    const histogram = buckets.get(start) ?? new Map<number, number>();
    histogram.set(bin, (histogram.get(bin) ?? 0) + Number(row.count));
    buckets.set(start, histogram);
  }
  return buckets;
}

/** The segments a metric has rows for in [from, to) (for discovery in the API). */
export async function listSegments(
  db: Db,
  ctx: WorkspaceContext,
  metric: string,
  from: number,
  to: number,
): Promise<string[]> {
  const rows = await rollupsIn(db, ctx, from, to)
    .select('segment')
    .distinct()
    .where('metric', '=', metric)
    .execute();
  return rows.map((r) => r.segment).sort();
}

/** Every segment's per-minute count of one stored metric for minutes in [from, to). */
export async function readMinutes(
  db: Db,
  ctx: WorkspaceContext,
  query: { metric: string; from: number; to: number },
): Promise<{ minute: number; segment: string; count: number }[]> {
  const rows = await rollupsIn(db, ctx, query.from, query.to)
    .select(['minute', 'segment', 'count'])
    .where('metric', '=', query.metric)
    .execute();
  return rows.map((r) => ({ minute: Number(r.minute), segment: r.segment, count: Number(r.count) }));
}

/** Sums of the given stored metrics per segment over minutes in [from, to): segment → metric → sums. */
export async function readTotals(
  db: Db,
  ctx: WorkspaceContext,
  query: { metrics: readonly string[]; from: number; to: number },
): Promise<Map<string, Map<string, { count: number; total: number }>>> {
  const rows = await rollupsIn(db, ctx, query.from, query.to)
    .select((eb) => [
      'metric',
      'segment',
      eb.fn.sum<number | string>('count').as('count'),
      eb.fn.sum<number | string>('total').as('total'),
    ])
    .where('metric', 'in', [...query.metrics])
    .groupBy(['metric', 'segment'])
    .execute();
  const out = new Map<string, Map<string, { count: number; total: number }>>();
  for (const row of rows) {
    const bySegment = out.get(row.segment) ?? new Map<string, { count: number; total: number }>();
    bySegment.set(row.metric, { count: Number(row.count), total: Number(row.total) });
    out.set(row.segment, bySegment);
  }
  return out;
}
