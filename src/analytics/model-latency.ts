import type { WorkspaceContext } from '../core/index.ts';
import type { Db } from '../store/index.ts';
import { BIN_SEPARATOR } from './event-rollups.ts';
import { binOf, quantileOf } from './histogram.ts';
import { readHistograms } from './metric-rollups.ts';

/** Model latency over a span: its p90 and, per minute, the decisions and those slower than a bound. */
export interface ModelLatency {
  p90: number | null;
  decisions: number;
  perMinute: { minute: number; decisions: number; slow: number }[];
}

/**
 * The `model_latency` histogram over minutes [from, to). "Slower than" counts the bins wholly above
 * the bound's own bin, so a bound read from the same histogram (its p90) is never met by chance of
 * bin edges: the share above it is at most about 10% while nothing changes.
 */
export async function readModelLatency(
  db: Db,
  ctx: WorkspaceContext,
  query: { from: number; to: number; slowerThanSeconds: number | null },
): Promise<ModelLatency> {
  const perMinute = await readHistograms(db, ctx, {
    metric: 'model_latency',
    separator: BIN_SEPARATOR,
    segment: 'all',
    from: query.from,
    to: query.to,
    bucketMinutes: 1,
  });
  const bound = query.slowerThanSeconds === null ? null : binOf(query.slowerThanSeconds);
  const whole = new Map<number, number>();
  const rows: ModelLatency['perMinute'] = [];
  for (const [minute, histogram] of perMinute) {
    let decisions = 0;
    let slow = 0;
    for (const [bin, count] of histogram) {
      whole.set(bin, (whole.get(bin) ?? 0) + count);
      decisions += count;
      if (bound !== null && bin > bound) slow += count;
    }
    rows.push({ minute, decisions, slow });
  }
  let decisions = 0;
  for (const c of whole.values()) decisions += c;
  return { p90: quantileOf(whole, 0.9), decisions, perMinute: rows.sort((a, b) => a.minute - b.minute) };
}
