import type { StepOf } from '../dsl/index.ts';

/**
 * The variant a run takes at a `split` step: a weighted draw over the current weights (the
 * optimiser's, when it has set them for every variant, else the step's own; a variant missing from
 * the optimiser's weights, e.g. one added in a later version, gets the step's weight).
 */
export function chooseVariant(
  step: StepOf<'split'>,
  current: Record<string, number> | null,
  random: () => number,
): { name: string; next: string | undefined; weight: number } {
  const weights = step.variants.map((v) => Math.max(0, current?.[v.name] ?? v.weight ?? 1));
  const total = weights.reduce((a, b) => a + b, 0);
  let u = random() * total;
  for (const [i, v] of step.variants.entries()) {
    const w = weights[i] ?? 0;
    if (w <= 0) continue;
    u -= w;
    if (u < 0) return { name: v.name, next: v.next, weight: w / total };
  }
  const last = [...step.variants.entries()].reverse().find(([i]) => (weights[i] ?? 0) > 0);
  const [i, v] = last ?? [0, step.variants[0] as StepOf<'split'>['variants'][number]];
  return { name: v.name, next: v.next, weight: total > 0 ? (weights[i] ?? 0) / total : 0 };
}

/** The golden ratio's fractional part: successive multiples spread evenly over [0, 1). */
const GOLDEN = 0.6180339887498949;

/**
 * Weighted round-robin: the turn of run number `ordinal`, deterministic and evenly spread (the
 * golden-ratio sequence over the cumulative weights), so over any run of turns each owner gets
 * close to its share. Null when no weight is positive.
 */
export function weightedTurn(
  owners: readonly { id: string; weight: number }[],
  ordinal: number,
): string | null {
  const total = owners.reduce((a, o) => a + Math.max(0, o.weight), 0);
  if (total <= 0) return null;
  let u = ((ordinal * GOLDEN) % 1) * total;
  for (const o of owners) {
    const w = Math.max(0, o.weight);
    if (w <= 0) continue;
    u -= w;
    if (u < 0) return o.id;
  }
  return [...owners].reverse().find((o) => o.weight > 0)?.id ?? null;
}
