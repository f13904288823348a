import type { Clock } from '../../core/index.ts';
import { LeadloopError, systemClock } from '../../core/index.ts';
import type { BoostedTreesOptions } from './boosted-trees.ts';
import { trainBoostedTrees } from './boosted-trees.ts';
import type { CalibrationChoice, CalibrationMethod } from './calibration.ts';
import { chooseCalibrator } from './calibration.ts';
import type { RowSource } from './dataset.ts';
import { subsetSource } from './dataset.ts';
import type { FittedPipeline } from './feature-pipeline.ts';
import { createEncoder, fitPipeline } from './feature-pipeline.ts';
import type { FeatureSpec } from './feature-spec.ts';
import type { BoostedTreesModel } from './forest.ts';
import { boostedMargins, compileForest } from './forest.ts';
import type { LogisticModel, LogisticOptions } from './logistic.ts';
import { logisticMargins, trainLogistic } from './logistic.ts';
import { auc, logLoss } from './metrics.ts';
import type { CandidateSummary, ModelKind, ScoringModel } from './model-types.ts';
import type { Random } from './random.ts';
import { createSeededRandom, shuffledIndices } from './random.ts';

export interface TrainModelOptions {
  source: RowSource;
  /** 0/1 outcome per row of `source`. */
  labels: ArrayLike<number>;
  spec: FeatureSpec;
  /**
   * Which training rows validate (early stopping, calibration, selection): the latest ones
   * (rows are in time order) or a seeded random sample.
   */
  validation?: 'latest' | 'random';
  validationFraction?: number;
  /**
   * Exactly this many rows validate (instead of `validationFraction` of them), so that models
   * trained on windows of different lengths can be validated, and compared, on the same latest
   * outcomes.
   */
  validationRows?: number;
  /** Per-row weights, e.g. to favour recent outcomes. */
  weights?: Float64Array;
  candidates?: readonly ModelKind[];
  /** Penalties tried for the logistic model; the best on validation log-loss wins. */
  logisticPenalties?: readonly number[];
  logistic?: Omit<LogisticOptions, 'weights' | 'initial' | 'l2'>;
  boosted?: Omit<BoostedTreesOptions, 'weights' | 'validation' | 'onIteration' | 'random'>;
  calibrationMethods?: readonly CalibrationMethod[];
  /**
   * Retrain the candidates on all rows (training + validation) with the settings validation chose,
   * keeping the validation calibrator. On by default: the validation window is the most recent
   * data, the part a model under drift can least afford to ignore.
   */
  refit?: boolean;
  seed?: number;
  random?: Random;
  clock?: Clock;
  signal?: AbortSignal;
  onProgress?: (stage: string, fraction: number) => void;
}

export interface TrainingOutcome {
  /** The candidate that won on the validation window. */
  model: ScoringModel;
  /** Every candidate, calibrated, so that callers can report them side by side. */
  candidates: ScoringModel[];
  /**
   * The validation window with the winner's out-of-sample margins (from before any refit): what
   * the calibrator was fitted on, and a starting point for later recalibration.
   */
  validation: { rows: Uint32Array; labels: Uint8Array; margins: Float64Array };
}

/** Boosting settings chosen on nested validation splits of the bank data (see docs/decisions). */
const BOOSTED_DEFAULTS: Readonly<
  Omit<BoostedTreesOptions, 'weights' | 'validation' | 'onIteration' | 'random'>
> = {
  learningRate: 0.05,
  maxIterations: 500,
  maxLeaves: 31,
  minSamplesLeaf: 50,
  l2: 1,
  earlyStoppingRounds: 30,
};

/** Fewer rows than this cannot both train and validate a model. */
const MIN_TRAINING_ROWS = 50;
/** Fewer outcomes of the rarer class than this leave nothing to learn or calibrate on. */
const MIN_CLASS_ROWS = 10;

function fail(field: string, reason: string): never {
  throw new LeadloopError('validation_failed', `cannot train: ${field} ${reason}`, {
    issues: [{ field, reason }],
  });
}

function pick(labels: ArrayLike<number>, indices: ArrayLike<number>): Uint8Array {
  return Uint8Array.from({ length: indices.length }, (_, i) => (labels[indices[i] as number] === 1 ? 1 : 0));
}

function pickWeights(
  weights: Float64Array | undefined,
  indices: ArrayLike<number>,
): Float64Array | undefined {
  return weights
    ? Float64Array.from({ length: indices.length }, (_, i) => weights[indices[i] as number]!)
    : undefined;
}

function checkAborted(signal?: AbortSignal) {
  if (signal?.aborted)
    throw new LeadloopError('unavailable', 'training was cancelled', {
      cause: signal.reason,
      retryable: true,
    });
}

/**
 * Trains every candidate on the same encoded rows, calibrates each on the validation window and
 * keeps the one with the better validation AUC (AUC, because calibration cannot change it, so the
 * comparison is not decided by which calibrator happened to fit the window better). Throws
 * `validation_failed` when the data cannot support a model; callers keep their current model.
 */
export function trainScoringModel(options: TrainModelOptions): TrainingOutcome {
  const { source, labels, spec } = options;
  const n = source.length;
  if (labels.length !== n) fail('labels', `has ${labels.length} entries for ${n} rows`);
  let positives = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) positives++;
  if (n < MIN_TRAINING_ROWS) fail('rows', `are too few (${n}); at least ${MIN_TRAINING_ROWS} are needed`);
  const minority = Math.min(positives, n - positives);
  if (minority < MIN_CLASS_ROWS) {
    fail(
      'outcomes',
      `include only ${positives} conversions and ${n - positives} non-conversions; at least ${MIN_CLASS_ROWS} of each are needed (${MIN_CLASS_ROWS - minority} more)`,
    );
  }
  const progress = options.onProgress ?? (() => {});
  const seed = options.seed ?? 1;
  const random = options.random ?? createSeededRandom(seed);
  const clock = options.clock ?? systemClock;
  const validationMode = options.validation ?? 'random';
  const fraction = options.validationFraction ?? 0.2;
  const candidates = options.candidates ?? ['logistic', 'boosted'];

  if (candidates.length === 0) fail('candidates', 'must name at least one model kind');
  // Time-ordered rows validate on the latest ones, as a model will be judged in production.
  let order: Uint32Array;
  if (validationMode === 'latest') {
    order = Uint32Array.from({ length: n }, (_, i) => i);
  } else {
    order = shuffledIndices(n, random);
  }
  if (options.validationRows !== undefined && !(options.validationRows >= 1 && options.validationRows < n))
    fail('validationRows', `must be at least 1 and fewer than the ${n} rows`);
  const validCount =
    options.validationRows !== undefined
      ? Math.floor(options.validationRows)
      : Math.max(Math.ceil(n * fraction), 1);
  const fitIdx = order.slice(0, n - validCount).sort();
  const validIdx = order.slice(n - validCount).sort();
  const fitLabels = pick(labels, fitIdx);
  const validLabels = pick(labels, validIdx);
  const validPositives = validLabels.reduce((s, v) => s + v, 0);
  if (validPositives === 0 || validPositives === validLabels.length) {
    fail('outcomes', 'of the validation window are all of one kind; more outcomes are needed');
  }
  const fitWeights = pickWeights(options.weights, fitIdx);

  progress('features', 0);
  const pipeline: FittedPipeline = fitPipeline(spec, subsetSource(source, fitIdx));
  const encoder = createEncoder(pipeline);
  const fitRows = encoder.encode(subsetSource(source, fitIdx));
  const validRows = encoder.encode(subsetSource(source, validIdx));
  progress('features', 1);
  checkAborted(options.signal);

  const allIdx = Uint32Array.from([...fitIdx, ...validIdx]).sort();
  const refit = options.refit ?? true;
  const allRows = refit ? encoder.encode(subsetSource(source, allIdx)) : fitRows;
  const allLabels = refit ? pick(labels, allIdx) : fitLabels;
  const allWeights = refit ? pickWeights(options.weights, allIdx) : fitWeights;

  const models: ScoringModel[] = [];
  const summaries: CandidateSummary[] = [];
  const validationMargins: Float64Array[] = [];
  const base = {
    trainedAt: new Date(clock.now()).toISOString(),
    trainingRows: allRows.rows,
    validationRows: validIdx.length,
    positives: allLabels.reduce((s, v) => s + v, 0),
    baseRate: allLabels.reduce((s, v) => s + v, 0) / allLabels.length,
    validation: validationMode,
    refit,
    seed,
  };
  const finish = (
    kind: ModelKind,
    margins: Float64Array,
    detail: string,
    logistic: LogisticModel | null,
    boosted: BoostedTreesModel | null,
  ) => {
    const choice: CalibrationChoice = chooseCalibrator(margins, validLabels, options.calibrationMethods);
    const summary: CandidateSummary = {
      kind,
      validationAuc: auc(margins, validLabels),
      validationLogLoss: choice.crossValidatedLogLoss[choice.calibrator.method],
      calibration: choice.calibrator.method,
      detail,
    };
    summaries.push(summary);
    validationMargins.push(margins);
    models.push({
      format: 'leadloop.scoring-model',
      version: 1,
      kind,
      pipeline,
      logistic,
      boosted,
      calibrator: choice.calibrator,
      metadata: { ...base, candidates: [], selection: '' },
    });
  };

  for (const kind of candidates) {
    checkAborted(options.signal);
    if (kind === 'logistic') {
      progress('logistic', 0);
      const penalties = options.logisticPenalties ?? [1e-2, 1e-3, 1e-4];
      let best: { model: LogisticModel; margins: Float64Array; loss: number } | undefined;
      let previous: LogisticModel | undefined;
      penalties.forEach((l2, i) => {
        const model = trainLogistic(fitRows, encoder.designWidth, fitLabels, {
          ...options.logistic,
          l2,
          weights: fitWeights,
          initial: previous,
        });
        previous = model;
        const margins = logisticMargins(model, validRows);
        const loss = logLoss(margins.map(sigmoidOf), validLabels);
        if (!best || loss < best.loss) best = { model, margins, loss };
        progress('logistic', (i + 1) / (penalties.length + (refit ? 1 : 0)));
      });
      if (!best) fail('logisticPenalties', 'is empty');
      const final = refit
        ? trainLogistic(allRows, encoder.designWidth, allLabels, {
            ...options.logistic,
            l2: best.model.l2,
            weights: allWeights,
            initial: best.model,
          })
        : best.model;
      progress('logistic', 1);
      finish('logistic', best.margins, `L2 penalty ${best.model.l2}`, final, null);
    } else {
      progress('boosted', 0);
      const stages = refit ? 2 : 1;
      const boosted = trainBoostedTrees(fitRows, fitLabels, encoder.binCounts, encoder.categorical, {
        ...BOOSTED_DEFAULTS,
        ...options.boosted,
        random,
        weights: fitWeights,
        validation: { data: validRows, labels: validLabels },
        onIteration: (i, max) => {
          if (i % 10 === 0) progress('boosted', i / max / stages);
        },
      });
      const margins = boostedMargins(compileForest(boosted), validRows);
      let final = boosted;
      if (refit) {
        // Early stopping found how many trees suit this much data; with 1/(1-fraction) times the
        // rows, proportionally more trees fit before overfitting starts.
        const trees = Math.max(1, Math.round((boosted.trees.length * allRows.rows) / fitRows.rows));
        final = trainBoostedTrees(allRows, allLabels, encoder.binCounts, encoder.categorical, {
          ...BOOSTED_DEFAULTS,
          ...options.boosted,
          maxIterations: trees,
          random,
          weights: allWeights,
          onIteration: (i, max) => {
            if (i % 10 === 0) progress('boosted', 0.5 + i / max / 2);
          },
        });
        final.validationLoss = boosted.validationLoss;
      }
      progress('boosted', 1);
      finish(
        'boosted',
        margins,
        `${boosted.trees.length} trees at validation, ${final.trees.length} in the model`,
        null,
        final,
      );
    }
  }
  progress('calibration', 1);
  let winner = 0;
  for (let i = 1; i < summaries.length; i++)
    if (summaries[i]!.validationAuc > summaries[winner]!.validationAuc) winner = i;
  const chosen = summaries[winner]!;
  const others = summaries.filter((_, i) => i !== winner);
  const selection = selectionReason(chosen, others);
  for (const model of models) model.metadata = { ...model.metadata, candidates: summaries, selection };
  return {
    model: models[winner]!,
    candidates: models,
    validation: { rows: validIdx, labels: validLabels, margins: validationMargins[winner]! },
  };
}

function sigmoidOf(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/**
 * Why the chosen candidate won, in words. Candidates whose AUC is the same to the four decimals
 * shown are reported as a tie (never as "higher"), saying which was kept and why.
 */
export function selectionReason(
  chosen: { kind: string; validationAuc: number },
  others: readonly { kind: string; validationAuc: number }[],
): string {
  if (others.length === 0) return `${chosen.kind} was the only candidate`;
  const shown = chosen.validationAuc.toFixed(4);
  const tied = others.filter((o) => o.validationAuc.toFixed(4) === shown);
  if (tied.length > 0) {
    const exact = tied.every((o) => o.validationAuc === chosen.validationAuc);
    return `${[chosen, ...tied].map((c) => c.kind).join(' and ')} tied on validation AUC (${shown}); ${chosen.kind} kept ${exact ? 'as the first candidate' : 'by a margin below the fourth decimal'}`;
  }
  return `${chosen.kind} had the higher validation AUC (${shown} vs ${others.map((o) => `${o.kind} ${o.validationAuc.toFixed(4)}`).join(', ')})`;
}
