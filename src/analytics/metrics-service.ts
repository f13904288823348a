import type { Clock, DomainEvent, WorkspaceContext } from '../core/index.ts';
import { assertNever, inWorkspace, LeadloopError } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import { BIN_SEPARATOR, MODEL_POINTS, rollupsOf } from './event-rollups.ts';
import { quantileOf } from './histogram.ts';
import type { Bucket } from './metric-rollups.ts';
import { addRollups, listSegments, readBuckets, readHistograms, readMinutes } from './metric-rollups.ts';
import { type ModelLatency, readModelLatency } from './model-latency.ts';
import { type PeriodMeasures, readPeriodMeasures } from './period-measures.ts';
import { binsOf, type PsiBaseline, readScorePsi, type TrainingScoreSource } from './score-psi.ts';

/**
 * The workflow engine's e-mail activity per minute and workflow (sends completed, sends refused,
 * unsubscribes after a send), read from the engine's own records through a port `main` wires.
 */
export interface EmailActivityFeed {
  perMinute(
    ctx: WorkspaceContext,
    fromMinute: number,
    toMinute: number,
  ): Promise<{ minute: number; workflowId: string; sent: number; failed: number; unsubscribed: number }[]>;
}

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
  'chat_starts',
  'chats_ended',
  'chat_dropoff',
  'outcomes',
  'conversions',
  'conversion_rate',
  'mean_predicted',
  'calibration',
  'value',
  'model_calls',
  'model_tokens',
  'model_spend',
  'model_error_rate',
  'model_latency_p90',
  'cost_per_qualified',
  'cost_per_conversion',
  'emails_sent',
  'bounce_rate',
  'unsubscribe_rate',
  'replies',
  'reply_rate',
  'meetings',
  'score_psi',
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
  /** `score_psi` against training scores: the model version whose scores the window holds. */
  modelVersion?: number;
}

interface MetricSeries {
  metric: MetricName;
  segment: string;
  window: WindowName;
  from: number;
  to: number;
  points: SeriesPoint[];
  segments: string[];
  /** `score_psi` only: what each window is compared with, and why. */
  baseline?: PsiBaseline;
  baselineNote?: string;
}

export interface AnalyticsService {
  /** Rolls up the workspace's events not yet counted; returns how many it consumed. */
  catchUp(workspaceId: string): Promise<number>;
  series(ctx: WorkspaceContext, query: SeriesQuery): Promise<MetricSeries>;
  /** The score distribution (counts per `scoreBin`) of one segment over minutes in [from, to). */
  scoreHistogram(
    ctx: WorkspaceContext,
    segment: string,
    fromMinute: number,
    toMinute: number,
  ): Promise<number[]>;
  /**
   * How many leads model `version` gave each score point (0–100, `round(100 · probability)`) over
   * minutes in [from, to): the live side of its drift from its training scores.
   */
  modelScoreHistogram(
    ctx: WorkspaceContext,
    version: number,
    fromMinute: number,
    toMinute: number,
  ): Promise<number[]>;
  /** Model latency over minutes [from, to), with per minute the decisions slower than a bound. */
  modelLatency(
    ctx: WorkspaceContext,
    query: { from: number; to: number; slowerThanSeconds: number | null },
  ): Promise<ModelLatency>;
  /** Arrivals, conversions, value and cost over minutes [from, to), overall and per segment. */
  period(
    ctx: WorkspaceContext,
    fromMinute: number,
    toMinute: number,
  ): Promise<{ all: PeriodMeasures; segments: Map<string, PeriodMeasures> }>;
  /** Every segment's count per minute of a stored metric, minutes since the epoch in [from, to). */
  perMinute(
    ctx: WorkspaceContext,
    metric:
      | 'arrivals'
      | 'qualified'
      | 'scored'
      | 'chat_reached'
      | 'chat_dropped'
      | 'chats_ended'
      | 'outcomes'
      | 'conversions'
      | 'model_attempts'
      | 'model_errors',
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
  | { kind: 'calibration'; stored: string; over: string }
  | { kind: 'quantile'; stored: string; q: number }
  | { kind: 'email'; share: 'sent' | 'bounced' | 'unsubscribed' | 'replied' }
  | { kind: 'psi' };

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
  chat_starts: { kind: 'count', stored: 'chat_starts' },
  chats_ended: { kind: 'count', stored: 'chats_ended' },
  chat_dropoff: { kind: 'rate', stored: 'chat_dropped', over: 'chat_reached' },
  outcomes: { kind: 'count', stored: 'outcomes' },
  conversions: { kind: 'count', stored: 'conversions' },
  conversion_rate: { kind: 'rate', stored: 'conversions', over: 'outcomes' },
  // Over the outcomes that had a champion's prediction when recorded: the mean predicted
  // probability, and that mean minus the observed conversion rate (0 when calibrated, above 0
  // when the model promises more than happens).
  mean_predicted: { kind: 'mean', stored: 'predicted' },
  calibration: { kind: 'calibration', stored: 'predicted', over: 'predicted_converted' },
  value: { kind: 'sum', stored: 'conversions' },
  model_calls: { kind: 'sum', stored: 'model_calls' },
  model_tokens: { kind: 'sum', stored: 'model_tokens' },
  // Spend in money (US dollars): each model's tokens at its price, configured or listed
  // (src/models/prices.ts); the offline model and Ollama cost 0.
  model_spend: { kind: 'sum', stored: 'model_spend' },
  // Per model call (the council's and, as `model.used`, chat's): the share that failed (a provider
  // error, or the offline model answering for it); latency per council decision or chat call, in seconds.
  model_error_rate: { kind: 'rate', stored: 'model_errors', over: 'model_attempts' },
  model_latency_p90: { kind: 'quantile', stored: 'model_latency', q: 0.9 },
  cost_per_qualified: { kind: 'cost', stored: 'model_spend', over: 'qualified' },
  cost_per_conversion: { kind: 'cost', stored: 'model_spend', over: 'conversions' },
  // From the workflow engine's records (segments `all` and `workflow:<id>`).
  emails_sent: { kind: 'email', share: 'sent' },
  bounce_rate: { kind: 'email', share: 'bounced' },
  unsubscribe_rate: { kind: 'email', share: 'unsubscribed' },
  // Replies and meetings arrive as events (`POST /v1/email/inbound`, `POST /v1/meetings`). The
  // reply rate is a window's replies over its sends: a reply counts in the window it arrived, not
  // the one its message was sent in (so a short window can read above 1).
  replies: { kind: 'count', stored: 'replies' },
  reply_rate: { kind: 'email', share: 'replied' },
  meetings: { kind: 'count', stored: 'meetings' },
  // Each window's score distribution against the training scores of the champion in force, or
  // without them the day before `from` (see `readScorePsi`).
  score_psi: { kind: 'psi' },
};

export function createAnalyticsService(options: {
  store: Store;
  feed: MetricEventFeed;
  clock: Clock;
  /** Without it, the e-mail metrics read as empty. */
  email?: EmailActivityFeed;
  /** Champions' training scores, the `score_psi` baseline; without it, the previous day is. */
  training?: TrainingScoreSource;
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

  async function emailSeries(
    ctx: WorkspaceContext,
    query: SeriesQuery,
    share: 'sent' | 'bounced' | 'unsubscribed' | 'replied',
    from: number,
    to: number,
    bucket: number,
  ): Promise<MetricSeries> {
    const rows = options.email ? await options.email.perMinute(ctx, from, to) : [];
    const replies =
      share === 'replied'
        ? new Map(
            (
              await readBuckets(store.db, ctx, {
                metric: 'replies',
                segment: query.segment,
                from,
                to,
                bucketMinutes: bucket,
              })
            ).map((b) => [b.minute, b.count]),
          )
        : new Map<number, number>();
    const workflow = query.segment.startsWith('workflow:') ? query.segment.slice('workflow:'.length) : null;
    const sums = new Map<number, { sent: number; failed: number; unsubscribed: number }>();
    const segments = new Set<string>(rows.length > 0 ? ['all'] : []);
    for (const r of rows) {
      segments.add(`workflow:${r.workflowId}`);
      if (workflow !== null ? r.workflowId !== workflow : query.segment !== 'all') continue;
      const start = from + Math.floor((r.minute - from) / bucket) * bucket;
      const s = sums.get(start) ?? { sent: 0, failed: 0, unsubscribed: 0 };
      s.sent += r.sent;
      s.failed += r.failed;
      s.unsubscribed += r.unsubscribed;
      sums.set(start, s);
    }
    const points: SeriesPoint[] = [];
    for (let start = from; start < to; start += bucket) {
      const s = sums.get(start) ?? { sent: 0, failed: 0, unsubscribed: 0 };
      const attempts = s.sent + s.failed;
      points.push({
        start: start * 60_000,
        ...(share === 'sent'
          ? { value: s.sent, count: s.sent }
          : share === 'bounced'
            ? { value: attempts > 0 ? s.failed / attempts : null, count: attempts }
            : share === 'replied'
              ? { value: s.sent > 0 ? (replies.get(start) ?? 0) / s.sent : null, count: s.sent }
              : { value: s.sent > 0 ? s.unsubscribed / s.sent : null, count: s.sent }),
      });
    }
    return { ...seriesHead(query, from, to), points, segments: [...segments].sort() };
  }

  return {
    perMinute: (ctx, metric, from, to) => readMinutes(store.db, ctx, { metric, from, to }),
    period: (ctx, from, to) => readPeriodMeasures(store.db, ctx, from, to),
    modelLatency: (ctx, query) => readModelLatency(store.db, ctx, query),
    async scoreHistogram(ctx, segment, fromMinute, toMinute) {
      const span = Math.max(1, toMinute - fromMinute);
      const histograms = await readHistograms(store.db, ctx, {
        metric: 'score',
        separator: BIN_SEPARATOR,
        segment,
        from: fromMinute,
        to: toMinute,
        bucketMinutes: span,
      });
      return binsOf(histograms.get(fromMinute));
    },

    async modelScoreHistogram(ctx, version, fromMinute, toMinute) {
      const histograms = await readHistograms(store.db, ctx, {
        metric: MODEL_POINTS,
        separator: BIN_SEPARATOR,
        segment: `model:${version}`,
        from: fromMinute,
        to: toMinute,
        bucketMinutes: Math.max(1, toMinute - fromMinute),
      });
      const points = new Array<number>(101).fill(0);
      for (const [point, count] of histograms.get(fromMinute) ?? [])
        if (point >= 0 && point <= 100) points[point] = count;
      return points;
    },

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
      if (reading.kind === 'email') return emailSeries(ctx, query, reading.share, from, to, bucket);
      if (reading.kind === 'psi')
        return {
          ...seriesHead(query, from, to),
          ...(await readScorePsi(store.db, ctx, options.training, {
            segment: query.segment,
            from,
            to,
            bucket,
          })),
        };
      const range = { segment: query.segment, from, to, bucketMinutes: bucket };
      const over =
        reading.kind === 'rate' || reading.kind === 'cost' || reading.kind === 'calibration'
          ? reading.over
          : null;
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
      return { ...seriesHead(query, from, to), points, segments };
    },
  };
}

function seriesHead(query: SeriesQuery, from: number, to: number) {
  return {
    metric: query.metric,
    segment: query.segment,
    window: query.window,
    from: from * 60_000,
    to: to * 60_000,
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
    case 'calibration': {
      const n = top?.count ?? 0;
      return { value: n > 0 ? ((top?.total ?? 0) - (bottom?.count ?? 0)) / n : null, count: n };
    }
    case 'quantile': {
      const h = histogram ?? new Map<number, number>();
      let n = 0;
      for (const c of h.values()) n += c;
      return { value: quantileOf(h, reading.q), count: n };
    }
    case 'email':
    case 'psi':
      // Read by their own series functions, never by bucket.
      return { value: null, count: 0 };
    default:
      return assertNever(reading);
  }
}
