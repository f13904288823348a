/** Small statistics shared by capabilities (scoring's thresholds and forecasts, the council's rates). */

/**
 * Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9),
 * enough for interval bounds.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return Number.NEGATIVE_INFINITY;
    if (p === 1) return Number.POSITIVE_INFINITY;
    return Number.NaN;
  }
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/** A rate with its interval. */
export interface RateInterval {
  rate: number;
  lower: number;
  upper: number;
  confidence: number;
}

/**
 * Wilson score interval for `successes` out of `n`: unlike the normal approximation it stays
 * inside [0, 1] and behaves at 0 or n successes, which is where small segments live.
 */
export function wilsonInterval(successes: number, n: number, confidence = 0.95): RateInterval {
  if (n <= 0) return { rate: Number.NaN, lower: 0, upper: 1, confidence };
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { rate: p, lower: Math.max(0, centre - half), upper: Math.min(1, centre + half), confidence };
}

/**
 * Interior edges of the deciles of a distribution over score points (rows per point): a point below `edges[i]`
 * falls in bin i or lower. Equal edges merge (a model that gives few distinct scores has fewer
 * bins), so every bin of the training side holds about a tenth of its rows, the usual PSI binning.
 */
export function decileEdges(points: readonly number[]): number[] {
  const total = points.reduce((a, b) => a + b, 0);
  const edges: number[] = [];
  let cumulative = 0;
  let decile = 1;
  for (let p = 0; p < points.length && decile < 10; p++) {
    cumulative += points[p] ?? 0;
    while (decile < 10 && cumulative >= (decile * total) / 10) {
      if (p + 1 < points.length && edges[edges.length - 1] !== p + 1) edges.push(p + 1);
      decile += 1;
    }
  }
  return edges;
}

/** Counts per score point summed into the bins `edges` cut. */
export function rebin(points: readonly number[], edges: readonly number[]): number[] {
  const bins = new Array<number>(edges.length + 1).fill(0);
  let bin = 0;
  for (let p = 0; p < points.length; p++) {
    while (bin < edges.length && p >= (edges[bin] ?? 0)) bin += 1;
    bins[bin] = (bins[bin] ?? 0) + (points[p] ?? 0);
  }
  return bins;
}
