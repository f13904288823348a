import type { WorkspaceContext } from '../core/index.ts';
import { decileEdges, rebin } from '../core/index.ts';
import type { Db } from '../store/index.ts';
import { BIN_SEPARATOR, MODEL_POINTS, SCORE_BINS } from './event-rollups.ts';
import { listSegments, readHistograms } from './metric-rollups.ts';

/**
 * A model version's scores on its own training window (rows per score point 0–100), as scoring
 * stores them with the version; null for versions trained before they were stored. The consumer's
 * port: `main` answers it from scoring's model registry.
 */
export interface TrainingScoreSource {
  trainingScores(workspaceId: string, version: number): Promise<{ points: number[]; rows: number } | null>;
}

/**
 * What a `score_psi` series compares each window with: the training scores of the champion that
 * scored the window's leads, or (without them) the day before the range's start.
 */
export type PsiBaseline = 'training' | 'previous_day';

interface PsiPoint {
  start: number;
  value: number | null;
  count: number;
  /** With a training baseline: the model version whose scores the window holds. */
  modelVersion?: number;
}

interface PsiSeriesPart {
  points: PsiPoint[];
  segments: string[];
  baseline: PsiBaseline;
  /** Which champions' training scores, or why the previous day stood in for them. */
  baselineNote: string;
}

/** Fewer scored leads than this in a window give no PSI (noise alone exceeds 0.2 on small samples). */
const MIN_PSI_LEADS = 30;

/**
 * Each window's score PSI. Against training scores when the segment is `all` (model score points
 * are rolled up per version, not per source) and every champion that scored a window of the range
 * stored its training scores; then each window is the points of the version that scored most of
 * its leads (the champion in force; a window a change of champion splits is judged on the larger
 * side), in the deciles of that version's training scores, as the monitor's drift stream bins them.
 * Otherwise against the day before `from`, saying why.
 */
export async function readScorePsi(
  db: Db,
  ctx: WorkspaceContext,
  training: TrainingScoreSource | undefined,
  query: { segment: string; from: number; to: number; bucket: number },
): Promise<PsiSeriesPart> {
  const fallback = (why: string) => previousDayPsi(db, ctx, query, why);
  if (!training) return fallback('training scores are not read in this deployment');
  if (query.segment !== 'all')
    return fallback(
      `model score points are rolled up for the whole workspace only, so segment ${query.segment} is compared with the day before`,
    );
  const windows = await readModelPoints(db, ctx, query);
  if (windows.size === 0)
    return fallback('no model version scored leads in the range (the point rules scored them)');
  const references = new Map<number, { edges: number[]; reference: number[] }>();
  for (const { version } of windows.values()) {
    if (references.has(version)) continue;
    const scores = await training.trainingScores(ctx.workspaceId, version);
    if (!scores || scores.rows < MIN_PSI_LEADS)
      return fallback(
        scores
          ? `champion v${version} stored only ${scores.rows} training scores`
          : `champion v${version} was trained before training scores were stored with a version`,
      );
    const edges = decileEdges(scores.points);
    references.set(version, { edges, reference: rebin(scores.points, edges) });
  }
  const points: PsiPoint[] = [];
  for (let start = query.from; start < query.to; start += query.bucket) {
    const window = windows.get(start);
    const basis = window && references.get(window.version);
    if (!window || !basis) {
      points.push({ start: start * 60_000, value: null, count: 0 });
      continue;
    }
    const actual = rebin(window.points, basis.edges);
    const n = actual.reduce((a, b) => a + b, 0);
    points.push({
      start: start * 60_000,
      value: n >= MIN_PSI_LEADS ? scorePsi(basis.reference, actual) : null,
      count: n,
      modelVersion: window.version,
    });
  }
  const versions = [...references.keys()].sort((a, b) => a - b).map((v) => `v${v}`);
  return {
    points,
    segments: await listSegments(db, ctx, 'scored', query.from - 1440, query.to),
    baseline: 'training',
    baselineNote: `each window's leads scored by the champion in force (${versions.join(', ')}) against that version's training scores, in their deciles`,
  };
}

/** Per window, the score points (0–100) of the model version that scored most of its leads. */
async function readModelPoints(
  db: Db,
  ctx: WorkspaceContext,
  query: { from: number; to: number; bucket: number },
): Promise<Map<number, { version: number; points: number[] }>> {
  const prefix = `${MODEL_POINTS}${BIN_SEPARATOR}`;
  const rows = await db
    .selectFrom('metric_rollups')
    .select(['metric', 'segment', 'minute', 'count'])
    .where('workspace_id', '=', ctx.workspaceId)
    .where('metric', 'like', `${prefix}%`)
    .where('segment', 'like', 'model:%')
    .where('minute', '>=', query.from)
    .where('minute', '<', query.to)
    .execute();
  const byWindow = new Map<number, Map<number, number[]>>();
  for (const row of rows) {
    // `_` is a LIKE wildcard: the exact prefix is checked here.
    if (!row.metric.startsWith(prefix) || !row.segment.startsWith('model:')) continue;
    const point = Number(row.metric.slice(prefix.length));
    const version = Number(row.segment.slice('model:'.length));
    if (!Number.isInteger(point) || point < 0 || point > 100 || !Number.isInteger(version)) continue;
    const start = query.from + Math.floor((Number(row.minute) - query.from) / query.bucket) * query.bucket;
    const versions = byWindow.get(start) ?? new Map<number, number[]>();
    const points = versions.get(version) ?? new Array<number>(101).fill(0);
    points[point] = (points[point] ?? 0) + Number(row.count);
    versions.set(version, points);
    byWindow.set(start, versions);
  }
  const out = new Map<number, { version: number; points: number[] }>();
  for (const [start, versions] of byWindow) {
    let best: { version: number; points: number[]; n: number } | null = null;
    for (const [version, points] of versions) {
      const n = points.reduce((a, b) => a + b, 0);
      if (!best || n > best.n) best = { version, points, n };
    }
    if (best) out.set(start, { version: best.version, points: best.points });
  }
  return out;
}

/** Each window's PSI of score bins against the 24 hours before `from` (same segment). */
async function previousDayPsi(
  db: Db,
  ctx: WorkspaceContext,
  query: { segment: string; from: number; to: number; bucket: number },
  why: string,
): Promise<PsiSeriesPart> {
  const { segment, from, to, bucket } = query;
  const read = (f: number, t: number, minutes: number) =>
    readHistograms(db, ctx, {
      metric: 'score',
      separator: BIN_SEPARATOR,
      segment,
      from: f,
      to: t,
      bucketMinutes: minutes,
    });
  const [reference, windows, segments] = await Promise.all([
    read(from - 1440, from, 1440),
    read(from, to, bucket),
    listSegments(db, ctx, 'scored', from - 1440, to),
  ]);
  const expected = binsOf(reference.get(from - 1440));
  const points: PsiPoint[] = [];
  for (let start = from; start < to; start += bucket) {
    const actual = binsOf(windows.get(start));
    const n = actual.reduce((a, b) => a + b, 0);
    const value = n >= MIN_PSI_LEADS && expected.some((c) => c > 0) ? scorePsi(expected, actual) : null;
    points.push({ start: start * 60_000, value, count: n });
  }
  return {
    points,
    segments,
    baseline: 'previous_day',
    baselineNote: `each window's lead scores against the 24 hours before the range: ${why}`,
  };
}

/** Counts per score bin (ten points wide) of a stored histogram. */
export function binsOf(histogram: Map<number, number> | undefined): number[] {
  const bins = new Array<number>(SCORE_BINS).fill(0);
  for (const [bin, count] of histogram ?? []) if (bin >= 0 && bin < SCORE_BINS) bins[bin] = count;
  return bins;
}

/** Population stability index over bin counts (empty bins floored at 1e-4, as is usual). */
function scorePsi(expected: readonly number[], actual: readonly number[]): number {
  const e = expected.reduce((a, b) => a + b, 0);
  const a = actual.reduce((x, y) => x + y, 0);
  if (e === 0 || a === 0) return 0;
  let value = 0;
  for (let i = 0; i < expected.length; i++) {
    const p = Math.max((expected[i] ?? 0) / e, 1e-4);
    const q = Math.max((actual[i] ?? 0) / a, 1e-4);
    value += (q - p) * Math.log(q / p);
  }
  return value;
}
