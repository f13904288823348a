import type { Random } from '../../core/index.ts';

/**
 * Traffic split between a workflow's variants by Thompson sampling. Each variant's success rate
 * (conversion of the leads that went through it) has a Beta(1 + successes, 1 + failures)
 * posterior; a variant's target share is the probability that it is the best, estimated by
 * drawing from every posterior. The share actually set is bounded twice: no variant falls below
 * the floor (so a loser keeps being measured and a change in the world can be seen), and no share
 * moves by more than `maxStep` in one hourly decision (a streak of luck cannot swing all traffic).
 * Pure: the random source is injected, so a decision can be replayed.
 */

/** What one variant has seen: leads sent through it, and how many of them succeeded. */
export interface VariantStats {
  name: string;
  exposures: number;
  successes: number;
}

/** The bounds of one decision. */
export interface SplitBounds {
  /** Smallest share any variant keeps (0 ≤ floor ≤ 1 / variants). */
  floor: number;
  /** Largest change of any variant's share in one decision. */
  maxStep: number;
  /** Posterior draws per decision (more: a steadier estimate of P(best)). */
  draws?: number;
}

/** A decision: the shares to set, the unbounded Thompson target, and the posteriors behind them. */
export interface SplitDecision {
  shares: Record<string, number>;
  target: Record<string, number>;
  posteriors: { name: string; alpha: number; beta: number; mean: number }[];
  /** Largest absolute change of a share (0: nothing to change). */
  moved: number;
}

/** A standard normal draw (Box–Muller; one of the pair is enough here). */
function normal(random: Random): number {
  const u = Math.max(random(), Number.MIN_VALUE);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Gamma(shape, 1) by Marsaglia and Tsang; shapes below 1 by the boost U^(1/shape). */
function gamma(shape: number, random: Random): number {
  if (shape < 1) return gamma(shape + 1, random) * random() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normal(random);
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = random();
    if (Math.log(Math.max(u, Number.MIN_VALUE)) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** A Beta(alpha, beta) draw. */
export function betaDraw(alpha: number, beta: number, random: Random): number {
  const x = gamma(alpha, random);
  const y = gamma(beta, random);
  return x / (x + y);
}

/** The Thompson target: each variant's estimated probability of being the best. */
export function probabilityBest(stats: readonly VariantStats[], random: Random, draws = 4000) {
  const wins = new Array<number>(stats.length).fill(0);
  for (let i = 0; i < draws; i++) {
    let best = 0;
    let bestValue = -1;
    stats.forEach((s, j) => {
      const value = betaDraw(1 + s.successes, 1 + Math.max(0, s.exposures - s.successes), random);
      if (value > bestValue) {
        bestValue = value;
        best = j;
      }
    });
    wins[best] = (wins[best] ?? 0) + 1;
  }
  return Object.fromEntries(stats.map((s, j) => [s.name, (wins[j] ?? 0) / draws]));
}

/**
 * Moves `current` toward `target` by at most `maxStep` a variant, then lifts every share to the
 * floor, taking what that costs from the variants above it in proportion to their excess, so the
 * shares still sum to one.
 */
export function boundShares(
  current: Record<string, number>,
  target: Record<string, number>,
  bounds: Pick<SplitBounds, 'floor' | 'maxStep'>,
): Record<string, number> {
  const names = Object.keys(target);
  const floor = Math.min(bounds.floor, 1 / names.length);
  const even = 1 / names.length;
  const stepped = names.map((n) => {
    const from = current[n] ?? even;
    const to = target[n] ?? 0;
    return from + Math.max(-bounds.maxStep, Math.min(bounds.maxStep, to - from));
  });
  const sum = stepped.reduce((a, b) => a + b, 0);
  const normalised = stepped.map((s) => (sum > 0 ? s / sum : even));
  const deficit = normalised.reduce((a, s) => a + Math.max(0, floor - s), 0);
  const excess = normalised.reduce((a, s) => a + Math.max(0, s - floor), 0);
  const lifted = normalised.map((s) =>
    s < floor ? floor : excess > 0 ? s - (deficit * (s - floor)) / excess : s,
  );
  return Object.fromEntries(names.map((n, i) => [n, Math.round((lifted[i] ?? 0) * 1e6) / 1e6]));
}

/** One hourly decision: Thompson target from the variants' outcomes, bounded from the current shares. */
export function decideSplit(
  current: Record<string, number>,
  stats: readonly VariantStats[],
  bounds: SplitBounds,
  random: Random,
): SplitDecision {
  const target = probabilityBest(stats, random, bounds.draws);
  const shares = boundShares(current, target, bounds);
  const even = 1 / stats.length;
  const moved = Math.max(...stats.map((s) => Math.abs((shares[s.name] ?? 0) - (current[s.name] ?? even))));
  return {
    shares,
    target,
    posteriors: stats.map((s) => {
      const alpha = 1 + s.successes;
      const beta = 1 + Math.max(0, s.exposures - s.successes);
      return { name: s.name, alpha, beta, mean: alpha / (alpha + beta) };
    }),
    moved: Math.round(moved * 1e6) / 1e6,
  };
}

/** Picks a variant for one lead from the shares (cumulative draw; the last variant takes rounding). */
export function pickVariant(shares: Record<string, number>, random: Random): string {
  const names = Object.keys(shares);
  const total = names.reduce((a, n) => a + (shares[n] ?? 0), 0);
  let u = random() * total;
  for (const n of names) {
    u -= shares[n] ?? 0;
    if (u < 0) return n;
  }
  return names[names.length - 1] as string;
}
