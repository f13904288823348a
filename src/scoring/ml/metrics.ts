/** Binary outcomes as 0/1 bytes: compact, and unambiguous where booleans would need conversion. */
export type Labels = ArrayLike<number>;

/** The figures every model and stream is judged by. */
export interface ProbabilityMetrics {
  rows: number;
  positives: number;
  /** Observed conversion rate. */
  rate: number;
  /** Mean predicted probability; compare with `rate` for calibration-in-the-large. */
  meanPrediction: number;
  /** Area under the ROC curve, ties counted as half (NaN when one class is absent). */
  auc: number;
  logLoss: number;
  /** Expected calibration error over 10 equal-width bins. */
  ece: number;
  brier: number;
  /** Conversion rate among the top 10% of scores divided by the overall rate. */
  liftTopDecile: number;
}

const EPS = 1e-15;

/** Order of indices by descending score; ties keep index order so that results are reproducible. */
function descendingOrder(scores: ArrayLike<number>): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
  return order;
}

/** Mann–Whitney AUC with mid-ranks, so tied scores count half, as sklearn's roc_auc_score does. */
export function auc(scores: ArrayLike<number>, labels: Labels): number {
  const n = scores.length;
  const order = descendingOrder(scores);
  let positives = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) positives++;
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  // Walk from the highest score; for each tie group, every positive beats the negatives below it
  // and ties with the negatives inside the group.
  let negativesBelow = negatives;
  let concordant = 0;
  let i = 0;
  while (i < n) {
    const score = scores[order[i]!] as number;
    let groupPositives = 0;
    let groupNegatives = 0;
    let j = i;
    while (j < n && (scores[order[j]!] as number) === score) {
      if (labels[order[j]!] === 1) groupPositives++;
      else groupNegatives++;
      j++;
    }
    negativesBelow -= groupNegatives;
    concordant += groupPositives * (negativesBelow + groupNegatives / 2);
    i = j;
  }
  return concordant / (positives * negatives);
}

/** Mean negative log-likelihood, probabilities clipped to [1e-15, 1 − 1e-15]. */
export function logLoss(probabilities: ArrayLike<number>, labels: Labels): number {
  const n = probabilities.length;
  if (n === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.min(1 - EPS, Math.max(EPS, probabilities[i] as number));
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / n;
}

/** Mean squared difference between probability and outcome. */
export function brierScore(probabilities: ArrayLike<number>, labels: Labels): number {
  const n = probabilities.length;
  if (n === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = (probabilities[i] as number) - (labels[i] === 1 ? 1 : 0);
    sum += d * d;
  }
  return sum / n;
}

/**
 * Expected calibration error with `bins` equal-width bins on [0, 1] (10 by default, the
 * convention of most published figures): the row-weighted mean gap between predicted and
 * observed rates per bin.
 */
export function expectedCalibrationError(
  probabilities: ArrayLike<number>,
  labels: Labels,
  bins = 10,
): number {
  const n = probabilities.length;
  if (n === 0) return Number.NaN;
  const count = new Float64Array(bins);
  const predicted = new Float64Array(bins);
  const observed = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const p = probabilities[i] as number;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));
    count[b]! += 1;
    predicted[b]! += p;
    observed[b]! += labels[i] === 1 ? 1 : 0;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) ece += Math.abs(predicted[b]! - observed[b]!) / n;
  return ece;
}

/**
 * Lift of the top `fraction` of scores. A tie group that straddles the cut contributes its
 * positives pro rata, so the figure does not depend on how ties happen to be ordered.
 */
export function liftAt(scores: ArrayLike<number>, labels: Labels, fraction = 0.1): number {
  const n = scores.length;
  let positives = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) positives++;
  if (n === 0 || positives === 0) return Number.NaN;
  const k = Math.max(1, Math.ceil(n * fraction));
  const order = descendingOrder(scores);
  let taken = 0;
  let hits = 0;
  let i = 0;
  while (i < n && taken < k) {
    const score = scores[order[i]!] as number;
    let j = i;
    let groupHits = 0;
    while (j < n && (scores[order[j]!] as number) === score) {
      if (labels[order[j]!] === 1) groupHits++;
      j++;
    }
    const size = j - i;
    const take = Math.min(size, k - taken);
    hits += (groupHits * take) / size;
    taken += take;
    i = j;
  }
  return hits / k / (positives / n);
}

/** Every figure of `ProbabilityMetrics` for one set of predictions. */
export function evaluateProbabilities(probabilities: ArrayLike<number>, labels: Labels): ProbabilityMetrics {
  const n = probabilities.length;
  let positives = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] === 1) positives++;
    sum += probabilities[i] as number;
  }
  return {
    rows: n,
    positives,
    rate: n === 0 ? Number.NaN : positives / n,
    meanPrediction: n === 0 ? Number.NaN : sum / n,
    auc: auc(probabilities, labels),
    logLoss: logLoss(probabilities, labels),
    ece: expectedCalibrationError(probabilities, labels),
    brier: brierScore(probabilities, labels),
    liftTopDecile: liftAt(probabilities, labels, 0.1),
  };
}

// The normal quantile and the Wilson interval live in core: scoring and the council share them.
export { normalQuantile, type RateInterval, wilsonInterval } from '../../core/index.ts';
