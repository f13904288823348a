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
