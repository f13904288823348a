import type { Clock } from '../../core/index.ts';
import { LeadloopError, systemClock } from '../../core/index.ts';
import type { CsvTable } from './csv-table.ts';
import { readCsvFile } from './csv-table.ts';
import { readTarget, subsetSource, tableSource } from './dataset.ts';
import type { FeatureKind, SkippedColumn } from './feature-spec.ts';
import { DEFAULT_MISSING_TOKENS, inferFeatureSpec, isMissing } from './feature-spec.ts';
import type { ProbabilityMetrics } from './metrics.ts';
import { evaluateProbabilities } from './metrics.ts';
import type { TrainModelOptions } from './model-training.ts';
import { trainScoringModel } from './model-training.ts';
import type { ModelKind, ScoringModel } from './model-types.ts';
import { createSeededRandom, shuffledIndices } from './random.ts';
import { createScorer } from './scorer.ts';

export interface CsvTrainingOptions {
  file: string;
  target: string;
  drop?: string[];
  /** Hold out the latest 20% by this column (dates or numbers); otherwise a seeded random 20%. */
  timeColumn?: string;
  seed?: number;
  onProgress?: (stage: string, fraction: number) => void;
  clock?: Clock;
  signal?: AbortSignal;
  /** Overrides for the training run (candidates, boosting settings...). */
  training?: Omit<
    TrainModelOptions,
    'source' | 'labels' | 'spec' | 'seed' | 'clock' | 'signal' | 'onProgress'
  >;
}

interface CandidateReport {
  kind: ModelKind;
  calibration: string;
  validationAuc: number;
  holdout: ProbabilityMetrics;
}

/** What `leadloop train --csv` prints (as a table, or as JSON with `--json`). */
export interface TrainingReport {
  file: string;
  target: string;
  rows: number;
  positives: number;
  split: {
    kind: 'time' | 'random';
    timeColumn: string | null;
    trainingRows: number;
    holdoutRows: number;
    seed: number;
  };
  features: { name: string; kind: FeatureKind }[];
  skipped: SkippedColumn[];
  dropped: string[];
  chosen: ModelKind;
  selection: string;
  /** The chosen model on the holdout rows. */
  holdout: ProbabilityMetrics;
  candidates: CandidateReport[];
  /** Wall time of the training run (by the injected clock). */
  trainingMs: number;
  /** The model that was evaluated (trained on the non-holdout rows): save it with `JSON.stringify`. */
  model: ScoringModel;
}

const HOLDOUT_FRACTION = 0.2;

function fail(field: string, reason: string): never {
  throw new LeadloopError('validation_failed', `${field} ${reason}`, { issues: [{ field, reason }] });
}

/**
 * Row order by a time column: numbers when every value is one, dates when every value parses as a
 * date, text otherwise (ISO dates sort as text). Ties keep file order.
 */
export function orderByTime(table: CsvTable, column: string): Uint32Array {
  const index = table.columns.indexOf(column);
  if (index < 0)
    fail(
      'timeColumn',
      `"${column}" is not a column of the file; available columns: ${table.columns.join(', ')}`,
    );
  const missing = new Set(DEFAULT_MISSING_TOKENS);
  const raw = table.rows.map((row) => (row[index] ?? '').trim());
  const empty = raw.findIndex((v) => isMissing(v, missing));
  if (empty >= 0)
    fail('timeColumn', `"${column}" is empty on data row ${empty + 1}; every row needs a time to be ordered`);
  const numbers = raw.map(Number);
  const dates = raw.map((v) => Date.parse(v));
  const keys: (number | string)[] = numbers.every(Number.isFinite)
    ? numbers
    : dates.every(Number.isFinite)
      ? dates
      : raw;
  const order = Array.from({ length: raw.length }, (_, i) => i);
  order.sort((a, b) => {
    const ka = keys[a]!;
    const kb = keys[b]!;
    return ka < kb ? -1 : ka > kb ? 1 : a - b;
  });
  return Uint32Array.from(order);
}

/**
 * The rows `runCsvTraining` trains on and holds out: the last 20% of `order` (time order), or a
 * seeded random 20%. Training rows keep their order; random splits are returned in file order.
 */
export function holdoutSplit(
  rows: number,
  by: { order: Uint32Array } | { seed: number },
): { training: Uint32Array; holdout: Uint32Array } {
  const holdoutCount = Math.max(1, Math.round(rows * HOLDOUT_FRACTION));
  if ('order' in by)
    return { training: by.order.slice(0, rows - holdoutCount), holdout: by.order.slice(rows - holdoutCount) };
  const order = shuffledIndices(rows, createSeededRandom(by.seed));
  return {
    training: order.slice(0, rows - holdoutCount).sort(),
    holdout: order.slice(rows - holdoutCount).sort(),
  };
}

/**
 * Trains on a CSV file and evaluates on a holdout: the latest 20% by `timeColumn`, or a seeded
 * random 20%. Both candidates are reported on the holdout beside the chosen one.
 */
export async function runCsvTraining(options: CsvTrainingOptions): Promise<TrainingReport> {
  const progress = options.onProgress ?? (() => {});
  const seed = options.seed ?? 42;
  progress('read', 0);
  const table = await readCsvFile(options.file);
  progress('read', 1);
  const labels = readTarget(table, options.target);
  const drop = options.drop ?? [];
  const unknown = drop.filter((c) => !table.columns.includes(c));
  if (unknown.length > 0)
    fail(
      'drop',
      `names columns that are not in the file (${unknown.join(', ')}); available columns: ${table.columns.join(', ')}`,
    );

  const n = table.rows.length;
  const { training: trainIdx, holdout: holdoutIdx } = holdoutSplit(
    n,
    options.timeColumn ? { order: orderByTime(table, options.timeColumn) } : { seed },
  );
  if (trainIdx.length === 0) fail('file', 'has too few rows to hold any out');
  const source = tableSource(table);
  const trainSource = subsetSource(source, trainIdx);
  const holdoutSource = subsetSource(source, holdoutIdx);
  const trainLabels = Uint8Array.from(trainIdx, (i) => labels[i]!);
  const holdoutLabels = Uint8Array.from(holdoutIdx, (i) => labels[i]!);

  const exclude = [options.target, ...drop, ...(options.timeColumn ? [options.timeColumn] : [])];
  const { spec, skipped } = inferFeatureSpec(trainSource, { exclude });
  if (spec.features.length === 0)
    fail(
      'file',
      `has no usable feature columns besides the target (${skipped.map((s) => `${s.column} ${s.reason}`).join('; ') || 'none'})`,
    );

  const clock = options.clock ?? systemClock;
  const started = clock.now();
  const outcome = trainScoringModel({
    ...options.training,
    source: trainSource,
    labels: trainLabels,
    spec,
    validation: options.timeColumn ? 'latest' : 'random',
    seed,
    clock,
    signal: options.signal,
    onProgress: progress,
  });
  const trainingMs = clock.now() - started;

  progress('evaluate', 0);
  const candidates: CandidateReport[] = outcome.candidates.map((model) => {
    const { probabilities } = createScorer(model).scoreBatch(holdoutSource);
    const summary = model.metadata.candidates.find((c) => c.kind === model.kind);
    return {
      kind: model.kind,
      calibration: model.calibrator.method,
      validationAuc: summary?.validationAuc ?? Number.NaN,
      holdout: evaluateProbabilities(probabilities, holdoutLabels),
    };
  });
  progress('evaluate', 1);
  const chosen = candidates.find((c) => c.kind === outcome.model.kind)!;
  return {
    file: options.file,
    target: options.target,
    rows: n,
    positives: labels.reduce((s, v) => s + v, 0),
    split: {
      kind: options.timeColumn ? 'time' : 'random',
      timeColumn: options.timeColumn ?? null,
      trainingRows: trainIdx.length,
      holdoutRows: holdoutIdx.length,
      seed,
    },
    features: spec.features.map((f) => ({ name: f.name, kind: f.kind })),
    skipped,
    dropped: drop,
    chosen: outcome.model.kind,
    selection: outcome.model.metadata.selection,
    holdout: chosen.holdout,
    candidates,
    trainingMs,
    model: outcome.model,
  };
}
