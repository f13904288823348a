import { wilsonInterval } from '../core/index.ts';
import type { RateWithInterval } from './tools-port.ts';

/** Counts with their rate and 95% Wilson interval (rate 0 when there are no leads). */
export function rateWithInterval(conversions: number, leads: number): RateWithInterval {
  // The one Wilson interval (core); the council's port names its bounds low/high.
  const { lower, upper } = wilsonInterval(conversions, leads);
  return { leads, conversions, rate: leads > 0 ? conversions / leads : 0, low: lower, high: upper };
}

/** A percentage for people: `12.5%`. */
export function percent(value: number): string {
  return `${(Math.round(value * 1000) / 10).toString()}%`;
}
