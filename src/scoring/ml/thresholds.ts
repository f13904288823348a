import { LeadloopError } from '../../core/index.ts';
import type { RateInterval } from './metrics.ts';
import { wilsonInterval } from './metrics.ts';

/** A lead that was scored and whose outcome is known. */
export interface ScoredOutcome {
  segment: string;
  /** Calibrated probability at scoring time. */
  probability: number;
  converted: boolean;
}

export interface ThresholdOptions {
  /** What a conversion is worth. */
  valuePerConversion: number;
  /** What pursuing one lead costs (a call, a rep's time). */
  costPerLead: number;
  /** Confidence of the Wilson intervals in the reasons (default 0.9). */
  confidence?: number;
}

/** One segment's threshold and the evidence behind it. */
interface SegmentThreshold {
  segment: string;
  leads: number;
  conversions: number;
  /** Observed conversion rate with its Wilson interval. */
  observed: RateInterval;
  /** Mean calibrated probability the model gave these leads. */
  predictedRate: number;
  /** Log-odds by which this segment's outcomes differ from the model's predictions. */
  offset: number;
  /** The offset after shrinkage toward the workspace. */
  shrunkOffset: number;
  /** Share of the segment's own evidence in `shrunkOffset` (0 = workspace only, 1 = own data only). */
  weight: number;
  /** Pursue a lead of this segment when its calibrated probability is at least this. */
  threshold: number;
  /** Leads of this segment at or above the threshold, as a share. */
  pursuedShare: number;
  /** Expected value per lead of the segment under the adjusted probabilities. */
  expectedValuePerLead: number;
  /** Value per lead these outcomes actually produced at this threshold. */
  realisedValuePerLead: number;
  reason: string;
}

export interface ThresholdPolicy {
  valuePerConversion: number;
  costPerLead: number;
  /** cost / value: the probability at which pursuing a lead breaks even. */
  breakEven: number;
  workspace: SegmentThreshold;
  segments: SegmentThreshold[];
  /** Estimated spread (variance of log-odds offsets) between segments beyond chance. */
  betweenSegmentVariance: number;
}

const EPS = 1e-6;
const logit = (p: number) => {
  const q = Math.min(1 - EPS, Math.max(EPS, p));
  return Math.log(q / (1 - q));
};
const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/**
 * The log-odds offset δ for which Σσ(logit pᵢ + δ) equals the observed conversions (half a
 * pseudo-conversion each way keeps it finite for a segment with one outcome kind), and the
 * offset's sampling variance 1/Σp(1−p).
 */
function offsetOf(logits: number[], outcomes: number[]): { offset: number; variance: number } {
  const n = logits.length;
  const positives = outcomes.reduce((s, v) => s + v, 0);
  const target = (n * (positives + 0.5)) / (n + 1);
  let delta = 0;
  let information = 0;
  for (let iteration = 0; iteration < 60; iteration++) {
    let expected = 0;
    information = 0;
    for (const z of logits) {
      const p = sigmoid(z + delta);
      expected += p;
      information += p * (1 - p);
    }
    const step = (expected - target) / Math.max(1e-9, information);
    delta -= Math.max(-3, Math.min(3, step));
    if (Math.abs(step) < 1e-10) break;
  }
  return { offset: delta, variance: 1 / Math.max(1e-9, information) };
}

function fail(field: string, reason: string): never {
  throw new LeadloopError('validation_failed', `cannot choose thresholds: ${field} ${reason}`, {
    issues: [{ field, reason }],
  });
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const money = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2));

/**
 * Per-segment qualification thresholds that maximise expected value. Pursuing a lead is worth
 * p·value − cost, so the best rule is "pursue when p ≥ cost/value" — with p the probability that
 * actually holds in the segment. Segments whose outcomes run above or below the model's predictions
 * get a log-odds offset; offsets are shrunk toward the workspace's by empirical Bayes (a normal
 * random-effects model with the DerSimonian–Laird estimate of the between-segment variance), so a
 * segment with a handful of outcomes keeps close to the workspace threshold while a large segment
 * that really differs moves away from it.
 */
export function chooseSegmentThresholds(
  outcomes: readonly ScoredOutcome[],
  options: ThresholdOptions,
): ThresholdPolicy {
  const { valuePerConversion: value, costPerLead: cost } = options;
  if (!(Number.isFinite(value) && value > 0)) fail('valuePerConversion', 'must be a positive number');
  if (!(Number.isFinite(cost) && cost >= 0)) fail('costPerLead', 'must be zero or a positive number');
  if (outcomes.length === 0) fail('outcomes', 'are empty; thresholds need scored leads with known outcomes');
  const confidence = options.confidence ?? 0.9;
  const breakEven = cost / value;
  const bySegment = new Map<string, { logits: number[]; outcomes: number[]; probabilities: number[] }>();
  const all = { logits: [] as number[], outcomes: [] as number[], probabilities: [] as number[] };
  for (const o of outcomes) {
    if (!Number.isFinite(o.probability))
      fail('outcomes', `include a non-finite probability for segment "${o.segment}"`);
    const entry = bySegment.get(o.segment) ?? { logits: [], outcomes: [], probabilities: [] };
    bySegment.set(o.segment, entry);
    for (const target of [entry, all]) {
      target.logits.push(logit(o.probability));
      target.outcomes.push(o.converted ? 1 : 0);
      target.probabilities.push(o.probability);
    }
  }
  const workspaceFit = offsetOf(all.logits, all.outcomes);
  const fits = [...bySegment.entries()].map(([segment, data]) => ({
    segment,
    data,
    ...offsetOf(data.logits, data.outcomes),
  }));

  // DerSimonian–Laird: how much segments truly differ, net of their sampling noise.
  let tau2 = 0;
  if (fits.length >= 2) {
    const w = fits.map((f) => 1 / f.variance);
    const sw = w.reduce((s, x) => s + x, 0);
    const sw2 = w.reduce((s, x) => s + x * x, 0);
    const mean = fits.reduce((s, f, i) => s + w[i]! * f.offset, 0) / sw;
    const q = fits.reduce((s, f, i) => s + w[i]! * (f.offset - mean) ** 2, 0);
    tau2 = Math.max(0, (q - (fits.length - 1)) / (sw - sw2 / sw));
  }

  const describe = (
    segment: string,
    data: { logits: number[]; outcomes: number[]; probabilities: number[] },
    offset: number,
    shrunk: number,
    weight: number,
    isWorkspace: boolean,
  ): SegmentThreshold => {
    const n = data.outcomes.length;
    const conversions = data.outcomes.reduce((s, v) => s + v, 0);
    const threshold = breakEven <= 0 ? 0 : breakEven >= 1 ? 1 : sigmoid(logit(breakEven) - shrunk);
    let pursued = 0;
    let expected = 0;
    let realised = 0;
    for (let i = 0; i < n; i++) {
      if (data.probabilities[i]! < threshold || threshold >= 1) continue;
      pursued++;
      expected += sigmoid(data.logits[i]! + shrunk) * value - cost;
      realised += data.outcomes[i]! * value - cost;
    }
    const observed = wilsonInterval(conversions, n, confidence);
    const predictedRate = data.probabilities.reduce((s, p) => s + p, 0) / n;
    const direction = Math.abs(shrunk) < 0.05 ? 'in line with' : shrunk > 0 ? 'above' : 'below';
    const reason = isWorkspace
      ? `${n} leads, ${conversions} converted (${pct(observed.rate)}, ${Math.round(confidence * 100)}% interval ${pct(observed.lower)}–${pct(observed.upper)}) against ${pct(predictedRate)} predicted; ` +
        `a lead is worth pursuing above ${pct(threshold)} (cost ${money(cost)} / value ${money(value)}, adjusted by the observed rate)`
      : `${n} leads, ${conversions} converted (${pct(observed.rate)}, ${Math.round(confidence * 100)}% interval ${pct(observed.lower)}–${pct(observed.upper)}) against ${pct(predictedRate)} predicted: ` +
        `${direction} the model after giving the segment's own outcomes ${Math.round(weight * 100)}% weight, so leads qualify above ${pct(threshold)}; ` +
        `expected value ${money(expected / n)} per lead, ${pursued} of ${n} pursued`;
    return {
      segment,
      leads: n,
      conversions,
      observed,
      predictedRate,
      offset,
      shrunkOffset: shrunk,
      weight,
      threshold,
      pursuedShare: pursued / n,
      expectedValuePerLead: expected / n,
      realisedValuePerLead: realised / n,
      reason,
    };
  };

  const workspace = describe('(workspace)', all, workspaceFit.offset, workspaceFit.offset, 1, true);
  const segments = fits
    .map((f) => {
      const weight = tau2 > 0 ? tau2 / (tau2 + f.variance) : 0;
      const shrunk = workspaceFit.offset + weight * (f.offset - workspaceFit.offset);
      return describe(f.segment, f.data, f.offset, shrunk, weight, false);
    })
    .sort((a, b) => b.leads - a.leads || (a.segment < b.segment ? -1 : 1));
  return {
    valuePerConversion: value,
    costPerLead: cost,
    breakEven,
    workspace,
    segments,
    betweenSegmentVariance: tau2,
  };
}

/** The threshold for a segment; unknown segments get the workspace's. */
export function thresholdFor(policy: ThresholdPolicy, segment: string): number {
  return policy.segments.find((s) => s.segment === segment)?.threshold ?? policy.workspace.threshold;
}

/** Realised profit per lead when pursuing the leads at or above `threshold(segment)`. */
export function profitPerLead(
  outcomes: readonly ScoredOutcome[],
  threshold: (segment: string) => number,
  options: ThresholdOptions,
): number {
  if (outcomes.length === 0) return 0;
  let total = 0;
  for (const o of outcomes) {
    const t = threshold(o.segment);
    if (t >= 1 || o.probability < t) continue;
    total += (o.converted ? options.valuePerConversion : 0) - options.costPerLead;
  }
  return total / outcomes.length;
}
