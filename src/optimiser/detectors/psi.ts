import { normalQuantile } from '../../core/index.ts';

/**
 * Population stability index on a fixed binning: Σ (a − e)·ln(a / e) over bin proportions, with
 * empty bins set to 1e-4 as evidently does. With no drift PSI ≈ (1/n + 1/m)·χ²(B−1), so a fixed
 * 0.1 threshold fires on noise in small windows (evidently#1408): compare against
 * `psiCriticalValue` and require enough leads.
 */
const EMPTY_BIN = 1e-4;

export function psi(reference: readonly number[], current: readonly number[]): number {
  const refTotal = sum(reference);
  const curTotal = sum(current);
  if (refTotal === 0 || curTotal === 0) return 0;
  let value = 0;
  for (let i = 0; i < reference.length; i++) {
    const e = Math.max((reference[i] ?? 0) / refTotal, EMPTY_BIN);
    const a = Math.max((current[i] ?? 0) / curTotal, EMPTY_BIN);
    value += (a - e) * Math.log(a / e);
  }
  return value;
}

/** Interior cut points of `bins` equal-frequency bins of a reference sample (deciles by default). */
export function quantileEdges(sample: readonly number[], bins = 10): number[] {
  const sorted = [...sample].sort((a, b) => a - b);
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const at = Math.min(sorted.length - 1, Math.floor((i * sorted.length) / bins));
    edges.push(sorted[at] ?? 0);
  }
  return edges;
}

/** Index of the bin a value falls in, given interior edges (binary search). */
export function binIndex(edges: readonly number[], value: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (value < (edges[mid] ?? 0)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The PSI that noise alone exceeds with probability 1 − quantile, for samples of n and m
 * values in `bins` bins (the χ² approximation above; Yurdakul 2018).
 */
export function psiCriticalValue(n: number, m: number, bins: number, quantile: number): number {
  if (n <= 0 || m <= 0) return Number.POSITIVE_INFINITY;
  return (1 / n + 1 / m) * chiSquareQuantile(bins - 1, quantile);
}

/** Wilson–Hilferty approximation of the χ² quantile; within 1% for k ≥ 3 in the upper tail. */
export function chiSquareQuantile(k: number, p: number): number {
  const z = normalQuantile(p);
  const a = 2 / (9 * k);
  return k * (1 - a + z * Math.sqrt(a)) ** 3;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
