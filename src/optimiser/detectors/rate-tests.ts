/**
 * Rate-shift tests for signals that arrive as counts: arrivals (a source going silent), and
 * proportions such as the qualification rate or the drop-off at a chat question.
 */

/**
 * Silence test (Prometheus `absent_over_time` with a Poisson reading): with a baseline of
 * `ratePerMinute`, `silentMinutes` without an arrival has probability e^(−Λ), Λ = rate·minutes.
 * Run every minute, a week holds `testsPerWeek` chances to fire on noise, so the alarm needs
 * Λ ≥ ln(testsPerWeek / falseAlarmsPerWeek). Only sources with a real baseline qualify.
 */
export interface SilenceVerdict {
  silent: boolean;
  expected: number;
  pValue: number;
  needed: number;
}

export function poissonSilence(
  ratePerMinute: number,
  silentMinutes: number,
  budget: { testsPerWeek: number; falseAlarmsPerWeek: number },
): SilenceVerdict {
  const expected = ratePerMinute * silentMinutes;
  const needed = Math.log(budget.testsPerWeek / budget.falseAlarmsPerWeek);
  return { silent: expected >= needed, expected, pValue: Math.exp(-expected), needed };
}

/** Minutes of silence a source of `ratePerMinute` needs before `poissonSilence` fires. */
export function silenceMinutesNeeded(
  ratePerMinute: number,
  budget: { testsPerWeek: number; falseAlarmsPerWeek: number },
): number {
  if (ratePerMinute <= 0) return Number.POSITIVE_INFINITY;
  return Math.log(budget.testsPerWeek / budget.falseAlarmsPerWeek) / ratePerMinute;
}

/** P(X ≤ k) for X ~ Poisson(mean), summed in log space so large means stay finite. */
export function poissonCdf(k: number, mean: number): number {
  if (k < 0) return 0;
  if (mean <= 0) return 1;
  let term = Math.exp(-mean);
  if (term === 0) return normalCdf((k + 0.5 - mean) / Math.sqrt(mean));
  let total = term;
  for (let i = 1; i <= k; i++) {
    term *= mean / i;
    total += term;
  }
  return Math.min(1, total);
}

/**
 * z-statistic of `successes` of `trials` against a reference rate (negative when the proportion fell).
 * The 6-hour batch in the simulator uses it; the loop itself uses sequential tests, since a
 * fixed-horizon p-value read every minute is not valid (docs/optimiser.md).
 */
export function proportionDropZ(
  successes: number,
  trials: number,
  reference: number,
  referenceTrials = Number.POSITIVE_INFINITY,
): number {
  if (trials === 0 || reference <= 0 || reference >= 1) return 0;
  // A reference measured on referenceTrials carries its own noise (a two-sample test).
  const se = Math.sqrt(reference * (1 - reference) * (1 / trials + 1 / referenceTrials));
  return (successes / trials - reference) / se;
}

/** Standard normal CDF (Zelen & Severo 26.2.17, error < 7.5e-8). */
function normalCdf(z: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(z));
  const poly =
    t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  const tail = (Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI)) * poly;
  return z >= 0 ? 1 - tail : tail;
}

/** Wilson score interval for a proportion (coverage reporting). */
export function wilsonInterval(successes: number, trials: number, z = 1.96): { low: number; high: number } {
  if (trials === 0) return { low: 0, high: 1 };
  const p = successes / trials;
  const denom = 1 + (z * z) / trials;
  const centre = (p + (z * z) / (2 * trials)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + (z * z) / (4 * trials * trials))) / denom;
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}
