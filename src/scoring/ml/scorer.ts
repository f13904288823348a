import { LeadloopError } from '../../core/index.ts';
import { applyCalibrator } from './calibration.ts';
import type { ColumnReader, LeadRecord, RawValue, RowSource } from './dataset.ts';
import type { EncodedRows } from './feature-pipeline.ts';
import { createEncoder } from './feature-pipeline.ts';
import type { CompiledForest } from './forest.ts';
import { compileForest, forestContributions, forestMargin } from './forest.ts';
import type { ScoringModel } from './model-types.ts';

/** One reason behind a score. */
export interface ScoreFactor {
  feature: string;
  /** The value in words: "contact: cellular". */
  value: string;
  /** Effect on the model's log-odds, relative to an average lead. */
  contribution: number;
  /** What a salesperson reads: "contact: cellular (+0.42)". */
  text: string;
}

export interface LeadScore {
  /** Calibrated probability of conversion; always a finite number in (0, 1). */
  probability: number;
  /** The model's log-odds before calibration. */
  margin: number;
  /** The strongest factors, largest effect first. */
  factors: ScoreFactor[];
}

export interface Scorer {
  readonly model: ScoringModel;
  /** Scores one lead with its top factors. */
  score(record: LeadRecord): LeadScore;
  /** The same for a row behind a column reader (a CSV row, a stream entry). */
  scoreRow(read: ColumnReader): LeadScore;
  /** Calibrated probabilities and margins for many rows, without explanations. */
  scoreBatch(source: RowSource): { probabilities: Float64Array; margins: Float64Array };
  /** Margins only, from rows already encoded with this model's pipeline. */
  marginsOf(rows: EncodedRows): Float64Array;
  /** The margin of one row, without explanation: the fast path for streams. */
  marginOf(read: ColumnReader): number;
}

function formatContribution(value: number): string {
  return `${value >= 0 ? '+' : '-'}${Math.abs(value).toFixed(2)}`;
}

/**
 * Compiles a model for scoring. Explanations are additive in log-odds: for the logistic model a
 * feature's effect is Σ coefficient × (value − training mean) over its design columns; for trees it
 * is the Saabas path attribution. Either way the effects plus a constant equal the margin.
 */
export function createScorer(model: ScoringModel, options: { topFactors?: number } = {}): Scorer {
  const topK = Math.max(0, Math.floor(options.topFactors ?? 3));
  const encoder = createEncoder(model.pipeline);
  const F = encoder.features.length;
  const slots = encoder.slots;
  const row: EncodedRows = {
    rows: 1,
    slots,
    designIndex: new Int32Array(slots),
    designValue: new Float64Array(slots),
    bins: new Uint8Array(F),
    features: F,
  };
  const raws: RawValue[] = new Array(F);
  const codes = new Float64Array(F);
  const contributions = new Float64Array(F);
  const calibrator = model.calibrator;
  const parts = model.kind === 'boosted' ? 'bins' : 'design';

  let marginOf: (rows: EncodedRows, i: number) => number;
  let explain: () => number;
  const forest: CompiledForest | null = model.boosted ? compileForest(model.boosted) : null;
  if (model.kind === 'boosted' && forest) {
    marginOf = (rows, i) => forest.baseScore + forestMargin(forest, rows.bins, i * rows.features);
    explain = () => {
      contributions.fill(0);
      return forestContributions(forest, row.bins, 0, contributions);
    };
  } else if (model.kind === 'logistic' && model.logistic) {
    const coefficients = Float64Array.from(model.logistic.coefficients);
    const intercept = model.logistic.intercept;
    // Each feature's expected contribution over the training rows: explanations are measured from it.
    const baselines = new Float64Array(F);
    let bias = intercept;
    encoder.features.forEach((feature, f) => {
      let b = 0;
      for (let j = feature.designOffset; j < feature.designOffset + feature.designWidth; j++)
        b += coefficients[j]! * (model.logistic!.means[j] ?? 0);
      baselines[f] = b;
      bias += b;
    });
    const slotFeature = new Int32Array(slots);
    let s = 0;
    encoder.features.forEach((feature, f) => {
      for (let k = 0; k < feature.slots; k++) slotFeature[s++] = f;
    });
    marginOf = (rows, i) => {
      let z = intercept;
      const k = rows.slots;
      for (let t = i * k; t < i * k + k; t++) z += coefficients[rows.designIndex[t]!]! * rows.designValue[t]!;
      return z;
    };
    explain = () => {
      for (let f = 0; f < F; f++) contributions[f] = -baselines[f]!;
      for (let t = 0; t < slots; t++)
        contributions[slotFeature[t]!]! += coefficients[row.designIndex[t]!]! * row.designValue[t]!;
      return bias;
    };
  } else {
    throw new LeadloopError('internal', `model of kind ${model.kind} has no ${model.kind} weights`);
  }

  const top = new Int32Array(topK);
  const scoreRow = (read: ColumnReader): LeadScore => {
    encoder.encodeInto(read, row, 0, raws, codes, parts);
    const bias = explain();
    let margin = bias;
    for (let f = 0; f < F; f++) margin += contributions[f]!;
    if (!Number.isFinite(margin)) {
      // Unreachable with a valid model (inputs are clipped and imputed); never let NaN out.
      return {
        probability: applyCalibrator(calibrator, Number.isFinite(bias) ? bias : 0),
        margin: 0,
        factors: [],
      };
    }
    // Insertion into a short sorted list: F is small and this runs for every lead.
    let count = 0;
    for (let f = 0; topK > 0 && f < F; f++) {
      const magnitude = Math.abs(contributions[f]!);
      if (!(magnitude > 1e-9)) continue;
      if (count === topK && magnitude <= Math.abs(contributions[top[topK - 1]!]!)) continue;
      let at = count < topK ? count++ : topK - 1;
      while (at > 0 && Math.abs(contributions[top[at - 1]!]!) < magnitude) {
        top[at] = top[at - 1]!;
        at--;
      }
      top[at] = f;
    }
    const factors: ScoreFactor[] = [];
    for (let i = 0; i < count; i++) {
      const f = top[i]!;
      const feature = encoder.features[f]!;
      const value = feature.describe(raws[f], codes[f]!);
      const contribution = contributions[f]!;
      factors.push({
        feature: feature.declaration.name,
        value,
        contribution,
        text: `${value} (${formatContribution(contribution)})`,
      });
    }
    return { probability: applyCalibrator(calibrator, margin), margin, factors };
  };

  return {
    model,
    score: (record) => scoreRow((column) => record[column]),
    scoreRow,
    marginOf(read) {
      encoder.encodeInto(read, row, 0, undefined, undefined, parts);
      const m = marginOf(row, 0);
      return Number.isFinite(m) ? m : 0;
    },
    marginsOf(rows) {
      const out = new Float64Array(rows.rows);
      for (let i = 0; i < rows.rows; i++) out[i] = marginOf(rows, i);
      return out;
    },
    scoreBatch(source) {
      const rows = encoder.encode(source);
      const margins = new Float64Array(rows.rows);
      const probabilities = new Float64Array(rows.rows);
      for (let i = 0; i < rows.rows; i++) {
        const m = marginOf(rows, i);
        margins[i] = Number.isFinite(m) ? m : 0;
        probabilities[i] = applyCalibrator(calibrator, margins[i]!);
      }
      return { probabilities, margins };
    },
  };
}
