import type { RateWithInterval } from './tools-port.ts';

/** z for a two-sided 95% interval. */
const Z95 = 1.959963984540054;

/**
 * The Wilson score interval of a proportion: well-behaved at 0, at 1 and for small samples,
 * where the normal approximation is not. With no observations it is [0, 1].
 */
export function wilsonInterval(successes: number, trials: number, z = Z95): { low: number; high: number } {
  if (trials <= 0) return { low: 0, high: 1 };
  const p = Math.min(1, Math.max(0, successes / trials));
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denominator;
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** Counts with their rate and 95% Wilson interval (rate 0 when there are no leads). */
export function rateWithInterval(conversions: number, leads: number): RateWithInterval {
  const { low, high } = wilsonInterval(conversions, leads);
  return { leads, conversions, rate: leads > 0 ? conversions / leads : 0, low, high };
}

/** A percentage for people: `12.5%`. */
export function percent(value: number): string {
  return `${(Math.round(value * 1000) / 10).toString()}%`;
}
