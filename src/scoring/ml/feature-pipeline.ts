import { z } from 'zod';
import { assertNever, LeadloopError } from '../../core/index.ts';
import type { ColumnReader, RawValue, RowSource } from './dataset.ts';
import { parseBooleanValue } from './dataset.ts';
import type { FeatureDeclaration, FeatureSpec, ValueReader } from './feature-spec.ts';
import {
  createValueReader,
  DEFAULT_MIN_CATEGORY_COUNT,
  deriveValue,
  featureSpecSchema,
  isMissing,
  missingTokenSet,
  parseNumber,
  trimmed,
} from './feature-spec.ts';

/** What a numeric feature learned from the training rows. */
interface NumericState {
  kind: 'numeric';
  /** Mean and scale of the clipped values: the standardisation. */
  mean: number;
  scale: number;
  /** Clipping bounds (0.1% and 99.9% quantiles) that keep extreme values from dominating. */
  lower: number;
  upper: number;
  /** Quartiles, used to say "high" or "low" in explanations. */
  q25: number;
  q75: number;
  /** Upper edges of the tree bins (bin 0 is missing). */
  edges: number[];
  missingRate: number;
}

interface CategoricalState {
  kind: 'categorical';
  /** Levels with their own code, most frequent first. */
  levels: string[];
  /** Levels seen in training but too rare: they share the "other" code. */
  rare: string[];
}

interface BooleanState {
  kind: 'boolean';
  trueRate: number;
  missingRate: number;
}

type FeatureState = NumericState | CategoricalState | BooleanState;

/** A spec plus what each feature learned: enough to encode any row exactly as in training. */
export interface FittedPipeline {
  spec: FeatureSpec;
  states: FeatureState[];
}

const MAX_VALUE_BINS = 254;
const MAX_LEVELS = 252;
const MAX_RARE_NAMES = 2000;

function quantileSorted(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = q * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(sorted.length - 1, low + 1);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

/**
 * Bin edges: every distinct value gets its own bin when there are few, otherwise quantile cut
 * points (so each bin holds about the same number of rows), deduplicated.
 */
function binEdges(sorted: Float64Array, maxBins: number): number[] {
  const distinct: number[] = [];
  for (let i = 0; i < sorted.length; i++)
    if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]!);
  if (distinct.length <= maxBins) {
    const edges: number[] = [];
    for (let i = 0; i + 1 < distinct.length; i++) edges.push((distinct[i]! + distinct[i + 1]!) / 2);
    return edges;
  }
  const edges: number[] = [];
  for (let b = 1; b < maxBins; b++) {
    const value = sorted[Math.floor((b * sorted.length) / maxBins)]!;
    if (edges.length === 0 || value > edges[edges.length - 1]!) edges.push(value);
  }
  return edges;
}

function fitNumeric(values: Float64Array): NumericState {
  const finite = values.filter((v) => Number.isFinite(v)).sort();
  const missing = values.reduce((sum, v) => sum + (Number.isNaN(v) ? 1 : 0), 0);
  if (finite.length === 0) {
    return {
      kind: 'numeric',
      mean: 0,
      scale: 1,
      lower: 0,
      upper: 0,
      q25: 0,
      q75: 0,
      edges: [],
      missingRate: missing / Math.max(1, values.length),
    };
  }
  let lower = quantileSorted(finite, 0.001);
  let upper = quantileSorted(finite, 0.999);
  if (!(upper > lower)) {
    lower = finite[0]!;
    upper = finite[finite.length - 1]!;
  }
  let sum = 0;
  let sumSq = 0;
  let present = 0;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    const c = Math.min(upper, Math.max(lower, v));
    sum += c;
    sumSq += c * c;
    present++;
  }
  const mean = sum / present;
  const variance = Math.max(0, sumSq / present - mean * mean);
  return {
    kind: 'numeric',
    mean,
    scale: variance > 1e-24 ? Math.sqrt(variance) : 1,
    lower,
    upper,
    q25: quantileSorted(finite, 0.25),
    q75: quantileSorted(finite, 0.75),
    edges: binEdges(finite, MAX_VALUE_BINS),
    missingRate: missing / values.length,
  };
}

function levelOf(raw: RawValue): string {
  return typeof raw === 'string' ? trimmed(raw) : String(raw);
}

function fitCategorical(
  values: RawValue[],
  missing: ReadonlySet<string>,
  minCount: number,
): CategoricalState {
  const counts = new Map<string, number>();
  for (const raw of values) {
    if (isMissing(raw, missing)) continue;
    const level = levelOf(raw);
    counts.set(level, (counts.get(level) ?? 0) + 1);
  }
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const levels = ranked
    .filter(([, c]) => c >= minCount)
    .slice(0, MAX_LEVELS)
    .map(([level]) => level);
  const kept = new Set(levels);
  const rare = ranked
    .filter(([level]) => !kept.has(level))
    .slice(0, MAX_RARE_NAMES)
    .map(([level]) => level);
  return { kind: 'categorical', levels, rare };
}

function fitBoolean(values: RawValue[], missing: ReadonlySet<string>): BooleanState {
  let trues = 0;
  let present = 0;
  for (const raw of values) {
    const value = isMissing(raw, missing) ? undefined : parseBooleanValue(raw);
    if (value === undefined) continue;
    present++;
    trues += value;
  }
  return {
    kind: 'boolean',
    trueRate: present === 0 ? 0 : trues / present,
    missingRate: 1 - present / Math.max(1, values.length),
  };
}

/** Learns each feature's statistics from the training rows. Scoring later uses only these. */
export function fitPipeline(spec: FeatureSpec, source: RowSource): FittedPipeline {
  const missing = missingTokenSet(spec);
  const readers: ColumnReader[] = [];
  for (let i = 0; i < source.length; i++) readers.push(source.reader(i));
  const states = spec.features.map((feature): FeatureState => {
    const raws = readers.map((read) => deriveValue(feature.source, read, missing));
    switch (feature.kind) {
      case 'numeric':
        return fitNumeric(Float64Array.from(raws, (raw) => parseNumber(raw, missing)));
      case 'categorical':
        return fitCategorical(
          raws,
          missing,
          feature.minCount ?? spec.minCategoryCount ?? DEFAULT_MIN_CATEGORY_COUNT,
        );
      case 'boolean':
        return fitBoolean(raws, missing);
      default: {
        return assertNever(feature.kind, 'feature kind');
      }
    }
  });
  return { spec, states };
}

/** A feature compiled for encoding: the single path shared by training and scoring. */
interface CompiledFeature {
  declaration: FeatureDeclaration;
  state: FeatureState;
  /** Design slots (non-zero entries) this feature writes per row. */
  slots: number;
  /** First design column of this feature; its columns are contiguous. */
  designOffset: number;
  designWidth: number;
  /** Tree bins; bin 0 is "missing" for numeric and boolean features. */
  bins: number;
  /** Categorical bins have no order, so trees split them by subsets. */
  categorical: boolean;
  /** Reads the feature's value from a row. */
  extract(read: ColumnReader): RawValue;
  /** The value as one number: a parsed number (NaN = missing) or a category/boolean code. */
  code(raw: RawValue): number;
  /** Writes the design slots of a coded value. */
  design(code: number, index: Int32Array, value: Float64Array, at: number): void;
  bin(code: number): number;
  /** The value in a salesperson's words: "contact: cellular", "age 62 (high)". */
  describe(raw: RawValue, code: number): string;
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? 'very large' : 'very small';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-3)) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

function compileFeature(
  declaration: FeatureDeclaration,
  state: FeatureState,
  missing: ReadonlySet<string>,
  values: ValueReader,
  designOffset: number,
): CompiledFeature {
  const label = declaration.label ?? declaration.name;
  const phrases = declaration.levelLabels ?? {};
  const extract = (read: ColumnReader) => deriveValue(declaration.source, read, missing);
  // Numeric and boolean features write two ordered design columns each (the value, and whether it is
  // missing or which way it went); only their bins and codes differ.
  const twoColumns = {
    declaration,
    state,
    slots: 2,
    designOffset,
    designWidth: 2,
    categorical: false,
    extract,
  };
  switch (state.kind) {
    case 'numeric': {
      const { mean, scale, lower, upper, q25, q75 } = state;
      const edges = Float64Array.from(state.edges);
      return {
        ...twoColumns,
        bins: edges.length + 2,
        code: (raw) => values.number(raw),
        design(code, index, value, at) {
          index[at] = designOffset;
          index[at + 1] = designOffset + 1;
          if (Number.isNaN(code)) {
            value[at] = 0;
            value[at + 1] = 1;
          } else {
            value[at] = (Math.min(upper, Math.max(lower, code)) - mean) / scale;
            value[at + 1] = 0;
          }
        },
        bin(code) {
          if (Number.isNaN(code)) return 0;
          let lo = 0;
          let hi = edges.length;
          while (lo < hi) {
            const mid = (lo + hi) >>> 1;
            if (edges[mid]! < code) lo = mid + 1;
            else hi = mid;
          }
          return lo + 1;
        },
        describe(_raw, code) {
          if (Number.isNaN(code)) return `${label} unknown`;
          const level = code > q75 ? ' (high)' : code < q25 ? ' (low)' : '';
          return `${label} ${formatNumber(code)}${level}`;
        },
      };
    }
    case 'categorical': {
      const index = new Map(state.levels.map((level, i) => [level, i]));
      const rare = new Set(state.rare);
      const other = state.levels.length;
      const missingCode = other + 1;
      const unseen = other + 2;
      const levelPhrases = state.levels.map((level) => phrases[level] ?? `${label}: ${level}`);
      return {
        declaration,
        state,
        slots: 1,
        designOffset,
        designWidth: state.levels.length + 3,
        bins: state.levels.length + 3,
        categorical: true,
        extract,
        code(raw) {
          if (values.isMissing(raw)) return missingCode;
          const level = levelOf(raw);
          const code = index.get(level);
          if (code !== undefined) return code;
          return rare.has(level) ? other : unseen;
        },
        design(code, indexOut, value, at) {
          indexOut[at] = designOffset + code;
          value[at] = 1;
        },
        bin: (code) => code,
        describe(raw, code) {
          if (code < other) return levelPhrases[code]!;
          if (code === missingCode) return `${label} unknown`;
          const level = levelOf(raw);
          return phrases[level] ?? `${label}: ${level} (${code === other ? 'uncommon' : 'new'} value)`;
        },
      };
    }
    case 'boolean': {
      const yes = phrases.true ?? `${label}: yes`;
      const no = phrases.false ?? `${label}: no`;
      return {
        ...twoColumns,
        bins: 3,
        code(raw) {
          const value = values.isMissing(raw) ? undefined : parseBooleanValue(raw);
          return value === undefined ? 0 : value + 1;
        },
        design(code, index, value, at) {
          index[at] = designOffset;
          index[at + 1] = designOffset + 1;
          value[at] = code === 2 ? 1 : 0;
          value[at + 1] = code === 0 ? 1 : 0;
        },
        bin: (code) => code,
        describe: (_raw, code) => (code === 0 ? `${label} unknown` : code === 2 ? yes : no),
      };
    }
    default: {
      return assertNever(state, 'feature state');
    }
  }
}

/** Rows encoded for both model families: sparse design rows for the linear model, bins for trees. */
export interface EncodedRows {
  rows: number;
  /** Design entries per row (fixed: every feature writes the same number of slots). */
  slots: number;
  designIndex: Int32Array;
  designValue: Float64Array;
  /** Row-major, one byte per feature. */
  bins: Uint8Array;
  features: number;
}

/** Which encoding to write: a scorer needs only its own model family's. */
type EncodedParts = 'design' | 'bins' | 'both';

export interface PipelineEncoder {
  features: CompiledFeature[];
  designWidth: number;
  slots: number;
  /** Bins per feature and whether they are categorical, as the tree learner needs them. */
  binCounts: Uint16Array;
  categorical: Uint8Array;
  /** Human names of the design columns, for reports. */
  designNames: string[];
  encode(source: RowSource): EncodedRows;
  /**
   * Encodes one row into `row`'s buffers; `raws` and `codes` receive each feature's value so that
   * explanations can describe it without reading the row again.
   */
  encodeInto(
    read: ColumnReader,
    row: EncodedRows,
    at: number,
    raws?: RawValue[],
    codes?: Float64Array,
    parts?: EncodedParts,
  ): void;
}

/** Compiles a fitted pipeline into the encoder that training and scoring share. */
export function createEncoder(pipeline: FittedPipeline): PipelineEncoder {
  const missing = missingTokenSet(pipeline.spec);
  const values = createValueReader(missing);
  const features: CompiledFeature[] = [];
  let offset = 0;
  pipeline.spec.features.forEach((declaration, i) => {
    const state = pipeline.states[i];
    if (state === undefined || state.kind !== declaration.kind) {
      throw new LeadloopError(
        'internal',
        `pipeline state for feature ${declaration.name} does not match its declaration`,
      );
    }
    const feature = compileFeature(declaration, state, missing, values, offset);
    offset += feature.designWidth;
    features.push(feature);
  });
  const slots = features.reduce((sum, f) => sum + f.slots, 0);
  const designNames: string[] = [];
  for (const f of features) {
    const s = f.state;
    if (s.kind === 'categorical')
      designNames.push(
        ...s.levels.map((l) => `${f.declaration.name}=${l}`),
        `${f.declaration.name}=(other)`,
        `${f.declaration.name}=(missing)`,
        `${f.declaration.name}=(new)`,
      );
    else designNames.push(f.declaration.name, `${f.declaration.name}=(missing)`);
  }
  const F = features.length;
  const encodeInto = (
    read: ColumnReader,
    row: EncodedRows,
    at: number,
    raws?: RawValue[],
    codes?: Float64Array,
    parts: EncodedParts = 'both',
  ) => {
    const design = parts !== 'bins';
    const binned = parts !== 'design';
    let slot = at * slots;
    const binBase = at * F;
    for (let f = 0; f < F; f++) {
      const feature = features[f]!;
      const raw = feature.extract(read);
      const code = feature.code(raw);
      if (design) feature.design(code, row.designIndex, row.designValue, slot);
      slot += feature.slots;
      if (binned) row.bins[binBase + f] = feature.bin(code);
      if (raws) raws[f] = raw;
      if (codes) codes[f] = code;
    }
  };
  return {
    features,
    designWidth: offset,
    slots,
    binCounts: Uint16Array.from(features, (f) => f.bins),
    categorical: Uint8Array.from(features, (f) => (f.categorical ? 1 : 0)),
    designNames,
    encodeInto,
    encode(source) {
      const n = source.length;
      const out: EncodedRows = {
        rows: n,
        slots,
        designIndex: new Int32Array(n * slots),
        designValue: new Float64Array(n * slots),
        bins: new Uint8Array(n * F),
        features: F,
      };
      for (let i = 0; i < n; i++) encodeInto(source.reader(i), out, i);
      return out;
    },
  };
}

const numericStateSchema = z.object({
  kind: z.literal('numeric'),
  mean: z.number(),
  scale: z.number().positive(),
  lower: z.number(),
  upper: z.number(),
  q25: z.number(),
  q75: z.number(),
  edges: z.array(z.number()).max(MAX_VALUE_BINS),
  missingRate: z.number().min(0).max(1),
});

/** Validates a stored fitted pipeline. */
export const fittedPipelineSchema = z.object({
  spec: featureSpecSchema,
  states: z.array(
    z.discriminatedUnion('kind', [
      numericStateSchema,
      z.object({
        kind: z.literal('categorical'),
        levels: z.array(z.string()).max(MAX_LEVELS),
        rare: z.array(z.string()),
      }),
      z.object({
        kind: z.literal('boolean'),
        trueRate: z.number().min(0).max(1),
        missingRate: z.number().min(0).max(1),
      }),
    ]),
  ),
});
