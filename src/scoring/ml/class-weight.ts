/**
 * The total weight of the first `n` rows and the part of it on positive labels (each row weighs 1
 * without `weights`): what both learners start from.
 */
export function classWeights(
  labels: ArrayLike<number>,
  weights: Float64Array | undefined,
  n: number,
): { total: number; positive: number } {
  let total = 0;
  let positive = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i]! : 1;
    total += w;
    if (labels[i] === 1) positive += w;
  }
  return { total, positive };
}

/** The log-odds of the positive share, clamped off 0 and 1: a learner's starting margin. */
export function baseLogOdds(positive: number, total: number): number {
  const rate = Math.min(1 - 1e-6, Math.max(1e-6, positive / total));
  return Math.log(rate / (1 - rate));
}
