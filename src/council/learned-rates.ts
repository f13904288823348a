import type { Recommendation } from './question-schemas.ts';
import type { LearnedConversions } from './tools-port.ts';
import { percent, rateWithInterval } from './wilson.ts';

/**
 * Conversion rates learned per industry, region and deal band from an organisation's outcomes,
 * pooled across its business units with empirical-Bayes shrinkage (beta-binomial, two levels):
 *
 * - the organisation's rate in a cell is shrunk toward the global prior, a Beta fitted by the
 *   method of moments to the organisation's cells (mean: the overall rate; strength κ₀: how much
 *   the cells really differ beyond binomial noise);
 * - the asking business unit's rate in the cell is shrunk toward that organisation rate with a
 *   strength κ₁ fitted the same way to how much business units differ within a cell.
 *
 * A unit with few outcomes in a cell borrows almost all of its estimate from its sister units; one
 * with many keeps its own. Aggregates only: the port hands counts per cell and unit, never a lead.
 */

/** Below this many outcomes in a cell (all units together) the optimizers use the written rules. */
const MIN_LEARNED_OUTCOMES = 30;
/** Prior strength used when too few cells or units exist to fit one. */
const DEFAULT_STRENGTH = 20;
const MIN_STRENGTH = 2;
const MAX_STRENGTH = 2000;
/** One-sided 95% normal quantile: the band the bars are compared with, as the rules' Wilson intervals. */
const Z = 1.645;
/** The written rules' bars: routed leads below 10% even at best, near-threshold leads above 25% even at worst. */
const RAISE_BELOW = 0.1;
const LOWER_ABOVE = 0.25;

interface Counts {
  leads: number;
  conversions: number;
}

/**
 * Method-of-moments strength of a Beta around `means[i]` for groups with counts: the between-group
 * variance is the observed variance of the rates minus the binomial noise expected at their sizes.
 */
export function fitStrength(groups: readonly (Counts & { mean: number })[]): number {
  const used = groups.filter((g) => g.leads > 0);
  if (used.length < 3) return DEFAULT_STRENGTH;
  let observed = 0;
  let noise = 0;
  let spread = 0;
  for (const g of used) {
    const rate = g.conversions / g.leads;
    observed += (rate - g.mean) ** 2;
    noise += (g.mean * (1 - g.mean)) / g.leads;
    spread += g.mean * (1 - g.mean);
  }
  const between = (observed - noise) / used.length;
  if (between <= 0) return MAX_STRENGTH;
  const strength = spread / used.length / between - 1;
  return Math.min(MAX_STRENGTH, Math.max(MIN_STRENGTH, strength));
}

/** A cell's learned rate for the asking unit, with what it was learned from. */
interface LearnedRate {
  industry: string;
  region: string;
  dealBand: string;
  /** Posterior mean and one-sided 95% band of the asking unit's rate. */
  rate: number;
  low: number;
  high: number;
  /** The unit's own outcomes in the cell, and all units' (what the rate was learned from). */
  own: Counts;
  pooled: Counts;
  units: number;
  /** The organisation's rate in the cell after shrinkage toward the global prior. */
  organisationRate: number;
  /** The share of the estimate that is the unit's own data (n / (n + κ₁)). */
  ownWeight: number;
}

/** Learned rates for every cell of the asking unit, or none when nothing was reported. */
export function learnRates(data: LearnedConversions): {
  rates: LearnedRate[];
  priorMean: number;
  priorStrength: number;
  unitStrength: number;
} {
  const cells = data.cells.map((c) => {
    const pooled = c.units.reduce(
      (a, u) => ({ leads: a.leads + u.leads, conversions: a.conversions + u.conversions }),
      { leads: 0, conversions: 0 },
    );
    return { ...c, pooled };
  });
  const total = cells.reduce(
    (a, c) => ({ leads: a.leads + c.pooled.leads, conversions: a.conversions + c.pooled.conversions }),
    { leads: 0, conversions: 0 },
  );
  const priorMean = total.leads > 0 ? (total.conversions + 1) / (total.leads + 2) : 0.5;
  const priorStrength = fitStrength(cells.map((c) => ({ ...c.pooled, mean: priorMean })));
  const organisationRate = (pooled: Counts) =>
    (priorStrength * priorMean + pooled.conversions) / (priorStrength + pooled.leads);
  const unitStrength = fitStrength(
    cells.flatMap((c) => c.units.map((u) => ({ ...u, mean: organisationRate(c.pooled) }))),
  );
  const rates = cells.flatMap((c): LearnedRate[] => {
    const own = c.units.find((u) => u.self) ?? { leads: 0, conversions: 0 };
    const org = organisationRate(c.pooled);
    const a = unitStrength * org + own.conversions;
    const b = unitStrength * (1 - org) + own.leads - own.conversions;
    const rate = a / (a + b);
    const sd = Math.sqrt((rate * (1 - rate)) / (a + b + 1));
    return [
      {
        industry: c.industry,
        region: c.region,
        dealBand: c.dealBand,
        rate,
        low: Math.max(0, rate - Z * sd),
        high: Math.min(1, rate + Z * sd),
        own: { leads: own.leads, conversions: own.conversions },
        pooled: c.pooled,
        units: c.units.filter((u) => u.leads > 0).length,
        organisationRate: org,
        ownWeight: own.leads / (own.leads + unitStrength),
      },
    ];
  });
  return { rates, priorMean, priorStrength, unitStrength };
}

const cellName = (r: Pick<LearnedRate, 'industry' | 'region' | 'dealBand'>) =>
  `industry ${r.industry}, region ${r.region}, deal band ${r.dealBand}`;

/** The decision a cell's rate leads to under the written bars: raise, lower, or keep its threshold. */
type CellCall = 'raise' | 'lower' | 'keep';

/** The learned call on a cell: its pooled band against the bars; null where data is thin (the rules decide). */
export function learnedCall(rate: Pick<LearnedRate, 'low' | 'high' | 'pooled'>): CellCall | null {
  if (rate.pooled.leads < MIN_LEARNED_OUTCOMES) return null;
  if (rate.high < RAISE_BELOW) return 'raise';
  if (rate.low >= LOWER_ABOVE) return 'lower';
  return 'keep';
}

/** The written rule on a cell's own counts: at least 30 leads, and the Wilson interval past the bar. */
export function ruleCall(own: Counts): CellCall {
  if (own.leads < 30) return 'keep';
  const r = rateWithInterval(own.conversions, own.leads);
  if (r.high < RAISE_BELOW) return 'raise';
  if (r.low >= LOWER_ABOVE) return 'lower';
  return 'keep';
}

/**
 * Per-cell threshold recommendations from learned rates, where the pooled data is thick enough;
 * each says what it was learned from. Thin cells are left to the written rules.
 */
export function learnedFindings(
  data: LearnedConversions | null | undefined,
  threshold: number,
): Recommendation[] {
  if (!data || data.cells.length === 0) return [];
  const { rates, unitStrength } = learnRates(data);
  const out: Recommendation[] = [];
  for (const r of rates) {
    const call = learnedCall(r);
    if (call === null || call === 'keep') continue;
    const source = `learned from ${r.pooled.leads} outcomes across ${r.units} business unit(s)`;
    const evidence = `${source}: this unit ${r.own.conversions}/${r.own.leads} converted, the organisation ${r.pooled.conversions}/${r.pooled.leads} (${percent(r.organisationRate)} after shrinkage); learned rate ${percent(r.rate)} (95% band ${percent(r.low)}–${percent(r.high)}), ${Math.round(100 * r.ownWeight)}% of it this unit's own data (κ ${Math.round(unitStrength)}).`;
    out.push(
      call === 'raise'
        ? {
            kind: 'raise_threshold',
            target: `routing threshold ${threshold} for ${cellName(r)}`,
            change: `Raise the routing threshold for ${cellName(r)} from ${threshold} to ${Math.min(100, threshold + 5)}.`,
            expectedEffect: `Reps stop working leads of a segment that converts at about ${percent(r.rate)}, below the 10% bar even at best.`,
            evidence,
            source: 'learned',
            outcomes: r.pooled.leads,
          }
        : {
            kind: 'lower_threshold',
            target: `routing threshold ${threshold} for ${cellName(r)}`,
            change: `Lower the routing threshold for ${cellName(r)} from ${threshold} to ${Math.max(0, threshold - 5)}.`,
            expectedEffect: `More leads of a segment that converts at about ${percent(r.rate)} (at least ${percent(r.low)}) reach reps.`,
            evidence,
            source: 'learned',
            outcomes: r.pooled.leads,
          },
    );
  }
  return out;
}
