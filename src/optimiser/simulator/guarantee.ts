import { normalQuantile } from '../../core/index.ts';
import { wilsonInterval } from '../detectors/rate-tests.ts';
import type { RunResult } from './run.ts';
import { WARM_UP_MINUTES } from './scenarios.ts';

/**
 * The guarantee backtest in the simulator: before each period, guarantee the lower α-quantile of
 * the period's conversions forecast from the trailing day (Poisson noise plus the rate's own
 * uncertainty), then count how often the realised conversions reached it. Coverage is measured,
 * with its Wilson interval, not assumed.
 */
export interface GuaranteeBacktest {
  alpha: number;
  periods: number;
  held: number;
  coverage: number;
  coverageInterval95: { low: number; high: number };
  meanGuaranteed: number;
  meanRealised: number;
}

export function guaranteeLevel(warmUpConversions: number, periodMinutes: number, alpha: number): number {
  const expected = (warmUpConversions / WARM_UP_MINUTES) * periodMinutes;
  const variance = expected + (expected * expected) / Math.max(1, warmUpConversions);
  return Math.max(0, Math.floor(expected - normalQuantile(1 - alpha) * Math.sqrt(variance)));
}

export function backtestGuarantee(runs: readonly RunResult[], alpha: number): GuaranteeBacktest {
  let held = 0;
  let guaranteed = 0;
  let realised = 0;
  for (const r of runs) {
    const g = guaranteeLevel(r.warmUpConversions, r.monitoredMinutes, alpha);
    if (r.conversions >= g) held += 1;
    guaranteed += g;
    realised += r.conversions;
  }
  const n = Math.max(1, runs.length);
  return {
    alpha,
    periods: runs.length,
    held,
    coverage: held / n,
    coverageInterval95: wilsonInterval(held, runs.length),
    meanGuaranteed: guaranteed / n,
    meanRealised: realised / n,
  };
}
