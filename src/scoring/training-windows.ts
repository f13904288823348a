import type { Clock } from '../core/index.ts';
import { LeadloopError } from '../core/index.ts';
import type { FeatureSpec, RowSource, TrainingOutcome } from './ml/index.ts';
import {
  lowestLoss,
  MIN_SELECTION_OUTCOMES,
  recalibratedLogLoss,
  STREAM_DEFAULTS,
  subsetSource,
  trainScoringModel,
} from './ml/index.ts';
import type { TrainingWindow } from './model-version-registry.ts';

/** The long window: training uses at most this many of the workspace's latest outcomes. */
export const LONG_WINDOW = STREAM_DEFAULTS.windowSize;
/** Shorter windows, each trained beside the long one once the workspace has more outcomes. */
export const SHORT_WINDOWS: readonly number[] = STREAM_DEFAULTS.shortWindows ?? [];
/** The latest outcomes the windows validate on and are compared on. */
export const SELECTION_WINDOW = STREAM_DEFAULTS.selectionWindow ?? 1000;
/** The latest share of a lone window's outcomes that validates it. */
export const VALIDATION_FRACTION = 0.2;
/** How candidates are compared, here and against the champion. */
export const COMPARISON_MEASURE = 'log-loss, each recalibrated (Platt) on the same outcomes';

/** The model of the chosen window. */
export interface WindowedTraining {
  trained: TrainingOutcome;
  /** Position of the window's first row among the training rows (add it to validation rows). */
  offset: number;
  window: TrainingWindow;
  /** Why this window won, for the version's reason; null when only one window was trained. */
  reason: string | null;
}

export interface WindowTrainingOptions {
  /** The workspace's latest outcomes (at most `LONG_WINDOW`), oldest first. */
  source: RowSource;
  labels: Uint8Array;
  spec: FeatureSpec;
  clock: Clock;
  signal?: AbortSignal;
  onProgress?: (stage: string, fraction: number) => void;
}

const count = (n: number) => n.toLocaleString('en-US');
const described = (w: { size: number; rows: number }) =>
  w.rows < w.size ? `all ${count(w.rows)} outcomes` : `the latest ${count(w.rows)} outcomes`;

/**
 * Trains on the long window and, once the workspace has more outcomes than a short window
 * (`STREAM_DEFAULTS.shortWindows`), on that one too, and keeps the one with the lowest log-loss on
 * the latest `SELECTION_WINDOW` outcomes: the benchmark's streaming policy (`selectAmongWindows`),
 * applied at each retraining. Every window validates on those same latest outcomes, so each
 * model is judged on outcomes it did not fit (the chosen one is then refitted on its whole
 * window); both are recalibrated there so that ranking, not calibrator age, decides. The long
 * window wins a tie. Below the shortest window there is one model, validated on the latest 20%.
 * Throws what `trainScoringModel` throws for the long window; a short window that cannot be
 * trained (too few outcomes of one kind in it) is left out, and the reason says so.
 */
export function trainOnWindows(options: WindowTrainingOptions): WindowedTraining {
  const { source, labels, spec, clock, signal } = options;
  const progress = options.onProgress ?? (() => {});
  const n = source.length;
  const eligible = SHORT_WINDOWS.filter((size) => size < n && size < LONG_WINDOW);
  // At most half of the shortest window validates, so each still fits on most of its outcomes.
  const outcomes = Math.min(SELECTION_WINDOW, Math.floor(Math.min(...eligible) / 2));
  const shorts = outcomes >= MIN_SELECTION_OUTCOMES ? [...new Set(eligible)].sort((a, b) => b - a) : [];
  const base = { spec, validation: 'latest' as const, seed: 1, clock, signal };
  const long = { size: LONG_WINDOW, rows: n };
  if (shorts.length === 0) {
    // Outcomes are in time order: the latest validate, as the model will be judged from now on.
    const trained = trainScoringModel({
      ...base,
      source,
      labels,
      validationFraction: VALIDATION_FRACTION,
      onProgress: progress,
    });
    return { trained, offset: 0, window: { ...long, selection: null }, reason: null };
  }

  const candidates: (typeof long & { offset: number; trained: TrainingOutcome })[] = [
    {
      ...long,
      offset: 0,
      trained: trainScoringModel({
        ...base,
        source,
        labels,
        validationRows: outcomes,
        onProgress: progress,
      }),
    },
  ];
  const skipped: string[] = [];
  for (const size of shorts) {
    const offset = n - size;
    const rows = Uint32Array.from({ length: size }, (_, i) => offset + i);
    try {
      const trained = trainScoringModel({
        ...base,
        source: subsetSource(source, rows),
        labels: labels.subarray(offset),
        validationRows: outcomes,
        onProgress: (stage, fraction) => progress(`${stage} (latest ${size})`, fraction),
      });
      candidates.push({ size, rows: size, offset, trained });
    } catch (error) {
      // Only "these outcomes cannot support a model" leaves the window out; anything else is a bug.
      if (!(error instanceof LeadloopError && error.code === 'validation_failed')) throw error;
      skipped.push(`the ${count(size)}-outcome window could not be trained (${error.message})`);
    }
  }
  if (candidates.length === 1) {
    const reason = `trained on ${described(long)}${skipped.length ? `; ${skipped.join('; ')}` : ''}`;
    return { trained: candidates[0]!.trained, offset: 0, window: { ...long, selection: null }, reason };
  }

  const losses = candidates.map((c) =>
    recalibratedLogLoss('platt', c.trained.validation.margins, c.trained.validation.labels),
  );
  const best = lowestLoss(losses);
  const chosen = candidates[best]!;
  const others = candidates.flatMap((c, k) => (k === best ? [] : [{ rows: c.rows, loss: losses[k]! }]));
  const names = others.map((o) => `the ${count(o.rows)}-outcome model`).join(' and ');
  const theirs = others.map((o) => o.loss.toFixed(4)).join(' and ');
  const mine = losses[best]!.toFixed(4);
  const latest = `the latest ${count(outcomes)}`;
  const verdict =
    best === 0
      ? `${names} did not have a lower log-loss on ${latest} (${theirs} vs ${mine})`
      : `lower log-loss than ${names} on ${latest} (${mine} vs ${theirs})`;
  return {
    trained: chosen.trained,
    offset: chosen.offset,
    window: {
      size: chosen.size,
      rows: chosen.rows,
      selection: {
        outcomes,
        measure: COMPARISON_MEASURE,
        candidates: candidates.map((c, k) => ({ size: c.size, rows: c.rows, logLoss: losses[k]! })),
      },
    },
    reason: [`trained on ${described(chosen)}; ${verdict}`, ...skipped].join('; '),
  };
}
