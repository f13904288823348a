import type { DetectorMode } from './page-hinkley.ts';

/**
 * Tabular CUSUM (Page 1954; Montgomery's form) on values already put on a common scale:
 * S⁺ = max(0, S⁺ + x − k), S⁻ = max(0, S⁻ − x − k), alarm at h. Feed it z-scores against a
 * FIXED reference (a moving reference follows the change and hides it), or per-lead
 * log-likelihood ratios with k = 0, which makes it the optimal detector for a known shift.
 */
export interface CusumOptions {
  slack: number;
  threshold: number;
  mode: DetectorMode;
}

export interface CusumState {
  up: number;
  down: number;
}

export interface Cusum {
  update(x: number): boolean;
  statistic(): number;
  state(): CusumState;
}

export function createCusum(options: CusumOptions, initial?: CusumState): Cusum {
  let s: CusumState = initial ? { ...initial } : { up: 0, down: 0 };
  return {
    update(x) {
      if (options.mode !== 'down') s.up = Math.max(0, s.up + x - options.slack);
      if (options.mode !== 'up') s.down = Math.max(0, s.down - x - options.slack);
      if (Math.max(s.up, s.down) >= options.threshold) {
        s = { up: 0, down: 0 };
        return true;
      }
      return false;
    },
    statistic: () => Math.max(s.up, s.down),
    state: () => ({ ...s }),
  };
}

/**
 * Log-likelihood ratio of one Bernoulli outcome for rate p1 against rate p0. Summed in a CUSUM
 * (slack 0) it is the Bernoulli CUSUM; with a per-lead p0 from a calibrated score it is the
 * risk-adjusted CUSUM (Steiner et al. 2000), which ignores a shift in the lead mix.
 */
export function bernoulliLlr(outcome: boolean, p0: number, p1: number): number {
  const a = clampProbability(p0);
  const b = clampProbability(p1);
  return outcome ? Math.log(b / a) : Math.log((1 - b) / (1 - a));
}

/** Log-likelihood ratio of a Poisson count for mean m1 against mean m0. */
export function poissonLlr(count: number, m0: number, m1: number): number {
  if (m0 <= 0) return 0;
  return count * Math.log(Math.max(m1, 1e-12) / m0) - (m1 - m0);
}

function clampProbability(p: number): number {
  return Math.min(1 - 1e-9, Math.max(1e-9, p));
}
