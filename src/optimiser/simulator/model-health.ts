import { createSeededRandom, normalQuantile, type Random } from '../../core/index.ts';
import { poissonDraw } from '../detectors/poisson-draw.ts';
import {
  MODEL_DETECTOR_SETTINGS,
  type ModelDetectorSettings,
  modelStreamsOf,
  stepModel,
} from '../live/model-streams.ts';
import type { CountsBySegment } from '../live/monitor-reads.ts';
import type { MetricCounts } from '../live/ports.ts';
import { EMPTY_MONITOR_STATE, type MonitorState } from '../live/streams.ts';

/**
 * Model-call streams replayed through the live monitor's model detectors (the same reference day,
 * hourly refresh and CUSUM steps as `monitor.ts`), to measure their false alarms and detection
 * delays: calls arrive as a Poisson stream, each fails with a fixed share, each latency is
 * lognormal; a fault multiplies the error share or the latency from a chosen minute.
 */
export interface ModelHealthScenario {
  name: string;
  callsPerMinute: number;
  errorRate: number;
  /** Median latency in seconds and the lognormal's σ. */
  latencyMedian: number;
  latencySigma: number;
  /** From `faultAfterMinutes` after the warm-up day, the error share and latency factor become these. */
  fault?: { errorRate?: number; latencyFactor?: number };
  /** Minutes watched after the warm-up day. */
  minutes: number;
  faultAfterMinutes?: number;
}

/** How latency is binned and read, as the analytics rollups do (injected: analytics is another capability). */
export interface LatencyBinning {
  binOf(seconds: number): number;
  quantileOf(histogram: ReadonlyMap<number, number>, q: number): number | null;
}

interface RunOutcome {
  /** Minutes from the fault to the first alarm of the fault's stream (null: missed or no fault). */
  delay: number | null;
  /** Alarms before the fault (or in the whole run without one), per stream kind. */
  falseAlarms: { errors: number; latency: number };
  watchedMinutes: number;
}

const WARM_UP = 1440 + 60;
/** An open alert stays open at least this long (recovery reads the last hour): repeats inside it are one alarm. */
const ALERT_HOLD_MINUTES = 60;

/** One run: warm-up day, then `minutes` watched minute by minute. */
async function runOnce(
  scenario: ModelHealthScenario,
  seed: number,
  binning: LatencyBinning,
  settings: ModelDetectorSettings,
): Promise<RunOutcome> {
  const random = createSeededRandom(seed);
  const total = WARM_UP + scenario.minutes;
  const faultAt = scenario.fault ? WARM_UP + (scenario.faultAfterMinutes ?? 0) : Number.POSITIVE_INFINITY;
  const calls: number[] = [];
  const errors: number[] = [];
  const latency: Map<number, number>[] = [];
  for (let minute = 0; minute < total; minute++) {
    const faulty = minute >= faultAt;
    const rate = faulty ? (scenario.fault?.errorRate ?? scenario.errorRate) : scenario.errorRate;
    const factor = faulty ? (scenario.fault?.latencyFactor ?? 1) : 1;
    const n = poissonDraw(random, scenario.callsPerMinute);
    let failed = 0;
    const bins = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      if (random() < rate) failed += 1;
      const seconds = factor * lognormal(random, scenario.latencyMedian, scenario.latencySigma);
      const bin = binning.binOf(seconds);
      bins.set(bin, (bins.get(bin) ?? 0) + 1);
    }
    calls.push(n);
    errors.push(failed);
    latency.push(bins);
  }
  const counts = async (metric: string, from: number, to: number): Promise<CountsBySegment> => {
    const source = metric === 'model_errors' ? errors : calls;
    const perMinute = new Map<number, Map<string, number>>();
    let sum = 0;
    for (let m = Math.max(0, from); m < Math.min(to, total); m++) {
      sum += source[m] ?? 0;
      perMinute.set(m, new Map([['all', source[m] ?? 0]]));
    }
    return { total: new Map([['all', sum]]), perMinute };
  };
  const metrics: Pick<MetricCounts, 'modelLatency'> = {
    async modelLatency(_ctx, query) {
      const bound = query.slowerThanSeconds === null ? null : binning.binOf(query.slowerThanSeconds);
      const whole = new Map<number, number>();
      const perMinute: { minute: number; decisions: number; slow: number }[] = [];
      for (let m = Math.max(0, query.from); m < Math.min(query.to, total); m++) {
        let decisions = 0;
        let slow = 0;
        for (const [bin, count] of latency[m] ?? []) {
          whole.set(bin, (whole.get(bin) ?? 0) + count);
          decisions += count;
          if (bound !== null && bin > bound) slow += count;
        }
        perMinute.push({ minute: m, decisions, slow });
      }
      let decisions = 0;
      for (const c of whole.values()) decisions += c;
      return { p90: binning.quantileOf(whole, 0.9), decisions, perMinute };
    },
  };
  const streams = modelStreamsOf(
    { workspaceId: 'sim', organisationId: '' },
    (_ctx, metric, from, to) => counts(metric, from, to),
    metrics as MetricCounts,
  );
  const state: MonitorState = { ...EMPTY_MONITOR_STATE, streams: {} };
  const outcome: RunOutcome = { delay: null, falseAlarms: { errors: 0, latency: 0 }, watchedMinutes: 0 };
  const lastAlarm: Record<string, number> = {};
  const faultKind = scenario.fault?.errorRate !== undefined ? 'model_error_spike' : 'model_latency_rise';
  for (let minute = WARM_UP; minute < total; minute++) {
    // The monitor at `minute + 1` evaluates `minute`, refreshing its reference day every hour.
    const evalTo = minute + 1;
    if (state.referenceMinute === null || evalTo - state.referenceMinute >= 60) {
      const to = evalTo - 60;
      state.referenceMinute = evalTo;
      state.referenceFrom = to - 1440;
      await streams.reference(state, to - 1440, to);
    }
    const window = await streams.window(state, minute, evalTo);
    for (const firing of stepModel(state, minute, window, settings)) {
      const held =
        lastAlarm[firing.kind] !== undefined && minute - (lastAlarm[firing.kind] ?? 0) < ALERT_HOLD_MINUTES;
      lastAlarm[firing.kind] = minute;
      if (held) continue;
      if (minute >= faultAt && firing.kind === faultKind) {
        outcome.delay ??= minute - faultAt + 1;
      } else if (minute < faultAt) {
        if (firing.kind === 'model_error_spike') outcome.falseAlarms.errors += 1;
        else outcome.falseAlarms.latency += 1;
      }
    }
    if (minute < faultAt) outcome.watchedMinutes += 1;
    if (outcome.delay !== null) break;
  }
  return outcome;
}

function lognormal(random: Random, median: number, sigma: number): number {
  const u = Math.min(1 - 1e-12, Math.max(1e-12, random()));
  return median * Math.exp(sigma * normalQuantile(u));
}

/** Per scenario: detection delays (median, p90, misses) and false alarms per simulated week. */
export async function simulateModelHealth(
  scenarios: readonly ModelHealthScenario[],
  runs: number,
  binning: LatencyBinning,
  settings: ModelDetectorSettings = MODEL_DETECTOR_SETTINGS,
) {
  const out = [];
  for (const scenario of scenarios) {
    const results: RunOutcome[] = [];
    for (let seed = 1; seed <= runs; seed++) results.push(await runOnce(scenario, seed, binning, settings));
    const weeks = results.reduce((a, r) => a + r.watchedMinutes, 0) / (7 * 1440);
    const delays = results.map((r) => r.delay ?? Number.POSITIVE_INFINITY).sort((a, b) => a - b);
    const at = (q: number) => {
      const v =
        delays[Math.min(delays.length - 1, Math.floor(q * delays.length))] ?? Number.POSITIVE_INFINITY;
      return Number.isFinite(v) ? v : null;
    };
    const errors = results.reduce((a, r) => a + r.falseAlarms.errors, 0);
    const latency = results.reduce((a, r) => a + r.falseAlarms.latency, 0);
    out.push({
      scenario: scenario.name,
      runs,
      ...(scenario.fault
        ? {
            detected: results.filter((r) => r.delay !== null).length,
            medianDetectionMinutes: at(0.5),
            p90DetectionMinutes: at(0.9),
          }
        : {}),
      watchedWeeks: Math.round(weeks * 100) / 100,
      falseAlarmsPerWeek: {
        errors: Math.round((errors / weeks) * 1000) / 1000,
        latency: Math.round((latency / weeks) * 1000) / 1000,
      },
    });
  }
  return out;
}
