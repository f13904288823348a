import { LeadloopError } from '../../core/index.ts';

export interface ForecastInput {
  /** Calibrated probabilities of the leads to come, when they are known... */
  probabilities?: ArrayLike<number>;
  /** ...or how many leads, at what expected rate. */
  leads?: number;
  rate?: number;
  /** Central coverage of the interval (default 0.9). */
  level?: number;
  /**
   * Past predictions and what happened, oldest first. Their misses measure how far the rate can
   * drift from the model's predictions, which widens the interval beyond outcome noise.
   */
  history?: { probabilities: ArrayLike<number>; outcomes: ArrayLike<number> };
}

export interface ConversionForecast {
  leads: number;
  expected: number;
  lower: number;
  upper: number;
  level: number;
  method: 'poisson-binomial' | 'beta-binomial';
  /** Standard deviation of the true rate around the predicted one, as estimated from history. */
  rateUncertainty: number;
  /** History windows the uncertainty was estimated from. */
  historyWindows: number;
  /**
   * When history is long enough: the standardised miss |observed − expected| / √Σp(1−p) that the
   * stated share of past windows stayed within. The interval is at least expected ± this many
   * standard deviations, so heavy-tailed or sudden swings seen before are not ruled out now.
   */
  pastMissScale: number | null;
  reason: string;
}

const MAX_HISTORY_WINDOWS = 40;
const MIN_CONFORMAL_WINDOWS = 5;

function lgamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9), accurate to ~1e-13 for x > 0.
  const c = [
    0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406,
    12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Exact distribution of a sum of independent Bernoulli(pᵢ) (dynamic programming, O(N²)). */
export function poissonBinomialPmf(probabilities: ArrayLike<number>): Float64Array {
  const n = probabilities.length;
  const pmf = new Float64Array(n + 1);
  pmf[0] = 1;
  for (let i = 0; i < n; i++) {
    const p = Math.min(1, Math.max(0, probabilities[i] as number));
    for (let k = i + 1; k >= 1; k--) pmf[k] = pmf[k]! * (1 - p) + pmf[k - 1]! * p;
    pmf[0] = pmf[0]! * (1 - p);
  }
  return pmf;
}

/** Beta-binomial(n, α, β) probabilities, computed in log space by the ratio recursion. */
export function betaBinomialPmf(n: number, alpha: number, beta: number): Float64Array {
  const logs = new Float64Array(n + 1);
  logs[0] = lgamma(n + beta) + lgamma(alpha + beta) - lgamma(alpha + beta + n) - lgamma(beta);
  for (let k = 0; k < n; k++)
    logs[k + 1] = logs[k]! + Math.log((n - k) / (k + 1)) + Math.log((k + alpha) / (n - k - 1 + beta));
  let max = Number.NEGATIVE_INFINITY;
  for (const v of logs) max = Math.max(max, v);
  const pmf = logs.map((v) => Math.exp(v - max));
  const total = pmf.reduce((s, v) => s + v, 0);
  return pmf.map((v) => v / total);
}

/** The interval [L, U] with P(K < L) ≤ (1−level)/2 and P(K > U) ≤ (1−level)/2. */
function centralInterval(pmf: Float64Array, level: number): { lower: number; upper: number } {
  const tail = (1 - level) / 2;
  let cdf = 0;
  let lower = -1;
  let upper = pmf.length - 1;
  for (let k = 0; k < pmf.length; k++) {
    cdf += pmf[k]!;
    if (lower < 0 && cdf > tail + 1e-12) lower = k;
    if (cdf >= 1 - tail - 1e-12) {
      upper = k;
      break;
    }
  }
  return { lower: Math.max(0, lower), upper };
}

/**
 * Variance of the true rate around the predicted rate, net of outcome noise: over consecutive
 * windows of past predictions, E[(observed − expected)² − Σp(1−p)] / m². A biased or drifting
 * model shows up here as a larger variance, so the interval widens instead of missing.
 */
function rateVariance(
  history: NonNullable<ForecastInput['history']>,
  windowSize: number,
): { variance: number; windows: number; misses: number[] } {
  const n = history.probabilities.length;
  let sum = 0;
  let windows = 0;
  const misses: number[] = [];
  for (let end = n; end - windowSize >= 0 && windows < MAX_HISTORY_WINDOWS; end -= windowSize) {
    let expected = 0;
    let noise = 0;
    let observed = 0;
    for (let i = end - windowSize; i < end; i++) {
      const p = history.probabilities[i] as number;
      expected += p;
      noise += p * (1 - p);
      observed += history.outcomes[i] === 1 ? 1 : 0;
    }
    sum += ((observed - expected) ** 2 - noise) / (windowSize * windowSize);
    misses.push(Math.abs(observed - expected) / Math.sqrt(Math.max(noise, 1e-9)));
    windows++;
  }
  return { variance: windows === 0 ? 0 : Math.max(0, sum / windows), windows, misses };
}

function fail(field: string, reason: string): never {
  throw new LeadloopError('validation_failed', `cannot forecast: ${field} ${reason}`, {
    issues: [{ field, reason }],
  });
}

/**
 * Expected conversions among the next N leads with an interval. Without history the count is
 * Poisson-binomial over the leads' probabilities (outcome noise only). With history, the rate's own
 * uncertainty τ² is added: the count becomes beta-binomial with the same mean and variance
 * N·p̄(1−p̄) + N²τ² (the binomial base slightly overstates the Poisson-binomial's variance, which
 * errs toward wider intervals). With at least 5 past windows, the interval is also widened to the
 * size of past misses at the same level (split-conformal on standardised misses).
 */
export function forecastConversions(input: ForecastInput): ConversionForecast {
  const level = input.level ?? 0.9;
  if (!(level > 0 && level < 1)) fail('level', 'must be between 0 and 1');
  let probabilities: ArrayLike<number>;
  if (input.probabilities) {
    probabilities = input.probabilities;
    for (let i = 0; i < probabilities.length; i++) {
      const p = probabilities[i] as number;
      if (!(p >= 0 && p <= 1)) fail(`probabilities[${i}]`, 'must be a number between 0 and 1');
    }
  } else {
    const leads = input.leads ?? Number.NaN;
    const rate = input.rate ?? Number.NaN;
    if (!(Number.isInteger(leads) && leads >= 0)) fail('leads', 'must be a whole number of leads');
    if (!(rate >= 0 && rate <= 1)) fail('rate', 'must be between 0 and 1');
    probabilities = new Float64Array(leads).fill(rate);
  }
  const n = probabilities.length;
  let expected = 0;
  for (let i = 0; i < n; i++) expected += probabilities[i] as number;
  if (n === 0) {
    return {
      leads: 0,
      expected: 0,
      lower: 0,
      upper: 0,
      level,
      method: 'poisson-binomial',
      rateUncertainty: 0,
      historyWindows: 0,
      pastMissScale: null,
      reason: 'no leads',
    };
  }
  const mean = expected / n;
  const history = input.history;
  let tau2 = 0;
  let windows = 0;
  let misses: number[] = [];
  if (history && history.probabilities.length > 0) {
    if (history.outcomes.length !== history.probabilities.length)
      fail('history', 'must have one outcome per probability');
    // Windows as long as the forecast when history allows at least 5 of them; shorter otherwise.
    const size = Math.max(10, Math.min(n, Math.floor(history.probabilities.length / 5)));
    ({ variance: tau2, windows, misses } = rateVariance(history, size));
  }
  let method: ConversionForecast['method'];
  let interval: { lower: number; upper: number };
  if (tau2 <= 0 || mean <= 0 || mean >= 1) {
    method = 'poisson-binomial';
    interval = centralInterval(poissonBinomialPmf(probabilities), level);
  } else {
    method = 'beta-binomial';
    const rho = Math.min(0.999, (n * tau2) / (mean * (1 - mean) * Math.max(1, n - 1)));
    const concentration = 1 / rho - 1;
    interval = centralInterval(betaBinomialPmf(n, mean * concentration, (1 - mean) * concentration), level);
  }
  // Split-conformal guard: the misses of past windows, standardised by their outcome noise, bound
  // this one at the same rank (finite-sample rank ⌈(W+1)·level⌉). Drift is rarely Gaussian; this
  // keeps coverage where the moment estimate of the rate's variance lags a sudden swing.
  let pastMissScale: number | null = null;
  if (misses.length >= MIN_CONFORMAL_WINDOWS) {
    const sorted = [...misses].sort((a, b) => a - b);
    pastMissScale = sorted[Math.min(sorted.length, Math.ceil((sorted.length + 1) * level)) - 1]!;
    let noise = 0;
    for (let i = 0; i < n; i++) noise += (probabilities[i] as number) * (1 - (probabilities[i] as number));
    const half = pastMissScale * Math.sqrt(noise);
    interval = {
      lower: Math.max(0, Math.min(interval.lower, Math.floor(expected - half))),
      upper: Math.min(n, Math.max(interval.upper, Math.ceil(expected + half))),
    };
  }
  const parts = [
    method === 'poisson-binomial'
      ? windows === 0
        ? 'outcome noise only: no history to measure how far the rate drifts from predictions'
        : `outcome noise only: over ${windows} past windows the rate stayed within chance of the predictions`
      : `outcome noise plus a rate uncertainty of ±${(100 * Math.sqrt(tau2)).toFixed(1)} points measured over ${windows} past windows`,
  ];
  if (pastMissScale !== null)
    parts.push(
      `at least as wide as ${Math.round(level * 100)}% of past misses (${pastMissScale.toFixed(2)} standard deviations)`,
    );
  return {
    leads: n,
    expected,
    lower: interval.lower,
    upper: interval.upper,
    level,
    method,
    rateUncertainty: Math.sqrt(tau2),
    historyWindows: windows,
    pastMissScale,
    reason: parts.join('; '),
  };
}
