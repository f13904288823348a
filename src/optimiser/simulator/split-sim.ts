import { createSeededRandom, type Random } from '../../core/index.ts';
import { decideSplit, pickVariant } from '../live/variant-split.ts';

/**
 * A workflow split replayed in simulated hours: leads arrive, each takes a variant by the shares in
 * force, and converts (or not) with its variant's true rate; the outcome is known only `delayHours`
 * later. Policies: a fixed even split, the live optimiser's hourly Thompson decision (same bounds
 * as the default policy), and the oracle that sends everyone to the best variant.
 */
export interface SplitScenario {
  name: string;
  rates: readonly number[];
  leadsPerHour: number;
  hours: number;
  delayHours: number;
}

export interface SplitRunSummary {
  scenario: string;
  seeds: number;
  leads: number;
  /** Mean conversions per run. */
  oracle: number;
  fixed: number;
  thompson: number;
  /** Conversions lost against the oracle: fixed even split and Thompson. */
  regretFixed: number;
  regretThompson: number;
  /** Share of the best variant in the last simulated hour under Thompson (mean over seeds). */
  finalBestShare: number;
}

function run(
  s: SplitScenario,
  policy: 'fixed' | 'thompson' | 'oracle',
  seed: number,
  bounds: { floor: number; maxStep: number },
): { conversions: number; bestShare: number } {
  const world = createSeededRandom(seed);
  const chooser: Random = createSeededRandom(seed * 7919 + 1);
  const names = s.rates.map((_, i) => `v${i}`);
  const best = names[s.rates.indexOf(Math.max(...s.rates))] as string;
  let shares: Record<string, number> = Object.fromEntries(names.map((n) => [n, 1 / names.length]));
  if (policy === 'oracle') shares = Object.fromEntries(names.map((n) => [n, n === best ? 1 : 0]));
  const pending: { dueHour: number; variant: string; converted: boolean }[] = [];
  const seen = new Map(names.map((n) => [n, { exposures: 0, successes: 0 }]));
  let conversions = 0;
  for (let hour = 0; hour < s.hours; hour++) {
    while (pending.length > 0 && (pending[0]?.dueHour ?? Infinity) <= hour) {
      const o = pending.shift() as (typeof pending)[number];
      const c = seen.get(o.variant) as { exposures: number; successes: number };
      c.exposures += 1;
      if (o.converted) c.successes += 1;
    }
    if (policy === 'thompson') {
      const stats = names.map((n) => ({
        name: n,
        ...(seen.get(n) as { exposures: number; successes: number }),
      }));
      if (stats.reduce((a, x) => a + x.exposures, 0) >= 30)
        shares = decideSplit(shares, stats, { ...bounds, draws: 400 }, chooser).shares;
    }
    for (let i = 0; i < s.leadsPerHour; i++) {
      const variant = pickVariant(shares, chooser);
      const converted = world() < (s.rates[names.indexOf(variant)] ?? 0);
      if (converted) conversions += 1;
      pending.push({ dueHour: hour + s.delayHours, variant, converted });
    }
  }
  return { conversions, bestShare: shares[best] ?? 0 };
}

/** Runs every policy on `seeds` seeds of each scenario (the same world draws for each policy). */
export function simulateSplits(
  scenarios: readonly SplitScenario[],
  seeds: number,
  bounds: { floor: number; maxStep: number },
): SplitRunSummary[] {
  return scenarios.map((s) => {
    const mean = (policy: 'fixed' | 'thompson' | 'oracle') => {
      let conversions = 0;
      let bestShare = 0;
      for (let seed = 1; seed <= seeds; seed++) {
        const r = run(s, policy, seed, bounds);
        conversions += r.conversions;
        bestShare += r.bestShare;
      }
      return { conversions: conversions / seeds, bestShare: bestShare / seeds };
    };
    const oracle = mean('oracle').conversions;
    const fixed = mean('fixed').conversions;
    const t = mean('thompson');
    const round = (v: number) => Math.round(v * 10) / 10;
    return {
      scenario: s.name,
      seeds,
      leads: s.leadsPerHour * s.hours,
      oracle: round(oracle),
      fixed: round(fixed),
      thompson: round(t.conversions),
      regretFixed: round(oracle - fixed),
      regretThompson: round(oracle - t.conversions),
      finalBestShare: Math.round(t.bestShare * 1000) / 1000,
    };
  });
}
