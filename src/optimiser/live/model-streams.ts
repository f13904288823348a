import type { WorkspaceContext } from '../../core/index.ts';
import type { CountsBySegment } from './monitor-reads.ts';
import type { CountedMetric, MetricCounts, ModelLatencyReading } from './ports.ts';
import { type Firing, type MonitorState, pct, riseEvidence, stepRise } from './streams.ts';

/**
 * Two label-free indicators of the model port, both Bernoulli CUSUMs against the reference day:
 * the share of model calls that failed (a provider error or timeout, the offline model answering
 * instead), and the share of model decisions (a council decision, or one call outside the council)
 * slower than the reference day's p90 latency (about 10% while nothing changes). A rise of 10
 * points in errors and of 20 points in slow decisions, at h = 11 nats: measured, not guessed, in
 * `npm run bench:optimiser -- --only-model-health` (src/optimiser/simulator/model-health.ts): at 5
 * calls a minute, 0.03 false alarms a simulated week per stream, an error spike 1% → 20% found in
 * 7 minutes (median; p90 12) and a latency ×3 in 3. Lower h finds a spike sooner in a quiet
 * workspace (1 call a minute: 23 minutes at 11, 14 at 5) but false-alarms 7 times a week at 5
 * calls a minute, so h stays (docs/benchmarks.md).
 */
export const MODEL_DETECTOR_SETTINGS = {
  errorShift: 0.1,
  errorH: 11,
  slowShift: 0.2,
  slowH: 11,
  /** Calls (or decisions) the reference day needs for the stream to be watched. */
  minReference: 50,
} as const;

/** The detectors' shifts and thresholds, so the simulator can try others (`simulator/model-health.ts`). */
export type ModelDetectorSettings = { [K in keyof typeof MODEL_DETECTOR_SETTINGS]: number };

const m = MODEL_DETECTOR_SETTINGS;
const ERRORS = 'model_errors:all';
const LATENCY = 'model_latency:all';

type ModelState = NonNullable<MonitorState['model']>;

/** What the model streams read: per-minute call counts, and the latency histogram if wired. */
interface ModelReads {
  counts(metric: 'model_attempts' | 'model_errors', from: number, to: number): Promise<CountsBySegment>;
  latency?(from: number, to: number, slowerThanSeconds: number | null): Promise<ModelLatencyReading>;
}

/** Sets the model streams' references from the reference window; keeps running CUSUMs. */
async function setModelReferences(
  state: MonitorState,
  reads: ModelReads,
  from: number,
  to: number,
): Promise<void> {
  const old = state.model?.streams ?? {};
  const streams: ModelState['streams'] = {};
  const keep = (key: string, p: number, n: number) => {
    streams[key] = {
      cusum: old[key]?.cusum ?? { up: 0, down: 0 },
      // A share of 0 cannot be watched as such: a small floor, as for workflow bounces.
      reference: Math.min(0.9, Math.max(p, 0.5 / n)),
      referenceCount: n,
      since: old[key]?.since ?? to,
      trials: old[key]?.trials ?? 0,
      hits: old[key]?.hits ?? 0,
    };
  };
  const calls = (await reads.counts('model_attempts', from, to)).total.get('all') ?? 0;
  const errors = (await reads.counts('model_errors', from, to)).total.get('all') ?? 0;
  if (calls >= m.minReference) keep(ERRORS, errors / calls, calls);
  let bound: number | null = null;
  if (reads.latency) {
    const day = await reads.latency(from, to, null);
    bound = day.p90;
    if (bound !== null && day.decisions >= m.minReference) {
      const slow = await reads.latency(from, to, bound);
      keep(LATENCY, slow.perMinute.reduce((s, r) => s + r.slow, 0) / day.decisions, day.decisions);
    }
  }
  state.model = { streams, latencyBound: bound };
}

/** What the model streams saw over a span: calls and failures, decisions and slow ones. */
export interface ModelWindow {
  perMinute: Map<number, { calls: number; errors: number; decisions: number; slow: number }>;
  calls: number;
  errors: number;
  decisions: number;
  slow: number;
}

/** Reads the model figures of minutes [from, to), slow meaning slower than the reference p90. */
async function readModelWindow(
  state: MonitorState,
  reads: ModelReads,
  from: number,
  to: number,
): Promise<ModelWindow> {
  const out: ModelWindow = { perMinute: new Map(), calls: 0, errors: 0, decisions: 0, slow: 0 };
  if (!state.model || to <= from) return out;
  const at = (minute: number) => {
    const row = out.perMinute.get(minute) ?? { calls: 0, errors: 0, decisions: 0, slow: 0 };
    out.perMinute.set(minute, row);
    return row;
  };
  const [calls, errors] = await Promise.all([
    reads.counts('model_attempts', from, to),
    reads.counts('model_errors', from, to),
  ]);
  for (const [minute, c] of calls.perMinute) at(minute).calls += c.get('all') ?? 0;
  for (const [minute, c] of errors.perMinute) at(minute).errors += c.get('all') ?? 0;
  const bound = state.model.latencyBound;
  if (reads.latency && bound !== null)
    for (const r of (await reads.latency(from, to, bound)).perMinute) {
      at(r.minute).decisions += r.decisions;
      at(r.minute).slow += r.slow;
    }
  for (const r of out.perMinute.values()) {
    out.calls += r.calls;
    out.errors += r.errors;
    out.decisions += r.decisions;
    out.slow += r.slow;
  }
  return out;
}

/** Feeds one minute to the model streams; returns those that fired. */
export function stepModel(
  state: MonitorState,
  minute: number,
  window: ModelWindow,
  settings: ModelDetectorSettings = m,
): Firing[] {
  const firings: Firing[] = [];
  const seen = window.perMinute.get(minute) ?? { calls: 0, errors: 0, decisions: 0, slow: 0 };
  for (const [key, stream] of Object.entries(state.model?.streams ?? {})) {
    const errors = key === ERRORS;
    const rule = errors
      ? { shift: settings.errorShift, h: settings.errorH }
      : { shift: settings.slowShift, h: settings.slowH };
    const step = errors
      ? stepRise(stream, minute, seen.calls, seen.errors, rule)
      : stepRise(stream, minute, seen.decisions, seen.slow, rule);
    if (!step.fired) continue;
    const bound = `${(state.model?.latencyBound ?? 0).toFixed(2)} s`;
    firings.push({
      stream: key,
      kind: errors ? 'model_error_spike' : 'model_latency_rise',
      summary: errors
        ? `model calls fail more often: ${pct(step.observed.value)} of ${step.observed.count} since ${new Date(step.window.from).toISOString()} against ${pct(step.p0)} the day before`
        : `model decisions are slower: ${pct(step.observed.value)} of ${step.observed.count} took longer than ${bound} (the day before's p90) since ${new Date(step.window.from).toISOString()}`,
      evidence: riseEvidence(state, stream, step, {
        detector: errors
          ? `Bernoulli CUSUM (failed-call share ${pct(step.p0)} → ${pct(step.p1)}, h ${rule.h})`
          : `Bernoulli CUSUM (share of decisions slower than ${bound} ${pct(step.p0)} → ${pct(step.p1)}, h ${rule.h})`,
        metric: errors ? 'model_error_rate' : 'model_latency_p90',
        segment: 'all',
        h: rule.h,
      }),
    });
  }
  return firings;
}

/** Whether a model alert's share is back near its reference over the recent window. */
export function modelRecovered(kind: string, baseline: number, recent: ModelWindow): boolean {
  if (kind === 'model_error_spike')
    return recent.calls > 0 && recent.errors / recent.calls <= baseline + m.errorShift / 2;
  return recent.decisions > 0 && recent.slow / recent.decisions <= baseline + m.slowShift / 2;
}

/** The model streams of one workspace: their references and windows, read over the monitor's counts. */
export function modelStreamsOf(
  ctx: WorkspaceContext,
  countsBySegment: (
    ctx: WorkspaceContext,
    metric: CountedMetric,
    from: number,
    to: number,
  ) => Promise<CountsBySegment>,
  metrics: MetricCounts,
) {
  const latency = metrics.modelLatency;
  const reads: ModelReads = {
    counts: (metric, from, to) => countsBySegment(ctx, metric, from, to),
    ...(latency
      ? { latency: (from, to, slowerThanSeconds) => latency(ctx, { from, to, slowerThanSeconds }) }
      : {}),
  };
  return {
    reference: (state: MonitorState, from: number, to: number) => setModelReferences(state, reads, from, to),
    window: (state: MonitorState, from: number, to: number) => readModelWindow(state, reads, from, to),
  };
}
