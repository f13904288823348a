import type { ContinuousLearnerOptions, ModelVersion } from './continuous-learning.ts';
import { createContinuousLearner } from './continuous-learning.ts';
import type { RowSource } from './dataset.ts';
import { subsetSource } from './dataset.ts';
import { forecastConversions } from './forecast.ts';
import type { ProbabilityMetrics } from './metrics.ts';
import { auc, evaluateProbabilities, expectedCalibrationError } from './metrics.ts';

/** How a stream of predictions fared, overall and block by block. */
export interface StreamReport {
  overall: ProbabilityMetrics;
  blocks: { from: number; to: number; rate: number; meanPrediction: number; auc: number; ece: number }[];
}

/** AUC, ECE and the rest over a time-ordered stream of (probability, outcome), plus per-block figures. */
export function streamReport(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  blockSize = 1000,
): StreamReport {
  const blocks: StreamReport['blocks'] = [];
  for (let from = 0; from < probabilities.length; from += blockSize) {
    const to = Math.min(probabilities.length, from + blockSize);
    const p = Array.prototype.slice.call(probabilities, from, to) as number[];
    const y = Array.prototype.slice.call(labels, from, to) as number[];
    const positives = y.reduce((s, v) => s + v, 0);
    blocks.push({
      from,
      to,
      rate: positives / y.length,
      meanPrediction: p.reduce((s, v) => s + v, 0) / p.length,
      auc: auc(p, y),
      ece: expectedCalibrationError(p, y),
    });
  }
  return { overall: evaluateProbabilities(probabilities, labels), blocks };
}

export interface PrequentialOptions {
  source: RowSource;
  labels: ArrayLike<number>;
  /** Rows before this index train the first model; the rest are the stream. */
  initialRows: number;
  learner: ContinuousLearnerOptions;
  /**
   * Also forecast each consecutive block of `leads` stream rows at its start (probabilities frozen
   * at that moment, history = the stream so far) and count how often the interval held the
   * realised conversions.
   */
  forecast?: { leads: number; level?: number };
  onProgress?: (stage: string, fraction: number) => void;
}

/** How honest the forecast intervals were over the stream. */
interface ForecastCoverage {
  leads: number;
  level: number;
  windows: number;
  covered: number;
  coverage: number;
  /** Mean interval width in conversions, and relative to the mean expected count. */
  meanWidth: number;
  meanExpected: number;
}

export interface PrequentialResult {
  /** The probability each stream row got before its outcome was known. */
  probabilities: Float64Array;
  labels: Uint8Array;
  report: StreamReport;
  versions: ModelVersion[];
  /** How many stream rows the model of each training window scored (one entry without short windows). */
  servedBy: { window: number; rows: number }[];
  forecast: ForecastCoverage | null;
}

/**
 * Test-then-train over a time-ordered stream: each row is scored by the model of that moment,
 * then its outcome is revealed to the learner (which may recalibrate or retrain). No prediction
 * ever sees its own outcome or a later one.
 */
export function runPrequential(options: PrequentialOptions): PrequentialResult {
  const { source, labels, initialRows } = options;
  const n = source.length;
  const initialIdx = Uint32Array.from({ length: initialRows }, (_, i) => i);
  const learner = createContinuousLearner(
    { ...options.learner, onProgress: undefined },
    {
      source: subsetSource(source, initialIdx),
      labels: Uint8Array.from(initialIdx, (i) => (labels[i] === 1 ? 1 : 0)),
    },
  );
  const streamLength = n - initialRows;
  const probabilities = new Float64Array(streamLength);
  const streamLabels = new Uint8Array(streamLength);
  const block = options.forecast?.leads ?? 0;
  const level = options.forecast?.level ?? 0.9;
  const coverage = { windows: 0, covered: 0, width: 0, expected: 0 };
  // Forecasts judge themselves by the probabilities they were made with, not later recalibrations.
  const frozen = new Float64Array(streamLength);
  let forecast: { lower: number; upper: number } | null = null;
  let realised = 0;
  const served = new Map<number, number>();
  for (let i = initialRows; i < n; i++) {
    const t = i - initialRows;
    const read = source.reader(i);
    if (block > 0 && t % block === 0 && t + block <= streamLength) {
      // The forecast is made when the block starts: no outcome of the block is known yet.
      for (let k = 0; k < block; k++) frozen[t + k] = learner.probability(source.reader(i + k));
      const made = forecastConversions({
        probabilities: frozen.subarray(t, t + block),
        level,
        history: { probabilities: frozen.subarray(0, t), outcomes: streamLabels.subarray(0, t) },
      });
      forecast = made;
      realised = 0;
      coverage.width += made.upper - made.lower;
      coverage.expected += made.expected;
    }
    probabilities[t] = learner.probability(read);
    served.set(learner.window, (served.get(learner.window) ?? 0) + 1);
    const y = labels[i] === 1 ? 1 : 0;
    streamLabels[t] = y;
    learner.observe(read, y === 1);
    if (forecast) {
      realised += y;
      if ((t + 1) % block === 0) {
        coverage.windows++;
        if (realised >= forecast.lower && realised <= forecast.upper) coverage.covered++;
        forecast = null;
      }
    }
    if (t % 250 === 0) options.onProgress?.('stream', t / streamLength);
  }
  options.onProgress?.('stream', 1);
  return {
    probabilities,
    labels: streamLabels,
    report: streamReport(probabilities, streamLabels),
    versions: [...learner.versions],
    servedBy: [...served].map(([window, rows]) => ({ window, rows })).sort((a, b) => b.window - a.window),
    forecast:
      block > 0
        ? {
            leads: block,
            level,
            windows: coverage.windows,
            covered: coverage.covered,
            coverage: coverage.windows === 0 ? Number.NaN : coverage.covered / coverage.windows,
            meanWidth: coverage.windows === 0 ? Number.NaN : coverage.width / coverage.windows,
            meanExpected: coverage.windows === 0 ? Number.NaN : coverage.expected / coverage.windows,
          }
        : null,
  };
}
