import type { WorkspaceContext } from '../core/index.ts';
import type { Db } from '../store/index.ts';
import { readTotals } from './metric-rollups.ts';

/**
 * One period's measures of a business unit or segment, all from the per-minute rollups, so units
 * are compared on the same definitions. Cost is in model tokens (the council records tokens, not
 * prices) and is kept under the `all` segment only, so a source segment has no cost.
 */
export interface PeriodMeasures {
  arrivals: number;
  qualified: number;
  qualificationRate: number | null;
  outcomes: number;
  conversions: number;
  /** Conversions over recorded outcomes. */
  conversionRate: number | null;
  value: number;
  modelCalls: number | null;
  modelTokens: number | null;
  tokensPerQualified: number | null;
  tokensPerConversion: number | null;
}

const STORED = [
  'arrivals',
  'qualified',
  'outcomes',
  'conversions',
  'source_outcomes',
  'source_conversions',
  'model_calls',
  'model_tokens',
] as const;

type Sums = Map<string, { count: number; total: number }>;

function measuresOf(sums: Sums | undefined, withCost: boolean): PeriodMeasures {
  // A source segment keeps its outcomes under `source_*` (see `rollupsOf`).
  const stored = (m: string) => (withCost ? m : `source_${m}`);
  const count = (m: string) => sums?.get(m === 'outcomes' || m === 'conversions' ? stored(m) : m)?.count ?? 0;
  const total = (m: string) => sums?.get(m === 'outcomes' || m === 'conversions' ? stored(m) : m)?.total ?? 0;
  const ratio = (a: number, b: number) => (b > 0 ? a / b : null);
  const arrivals = count('arrivals');
  const qualified = count('qualified');
  const outcomes = count('outcomes');
  const conversions = count('conversions');
  const tokens = total('model_tokens');
  return {
    arrivals,
    qualified,
    qualificationRate: ratio(qualified, arrivals),
    outcomes,
    conversions,
    conversionRate: ratio(conversions, outcomes),
    value: total('conversions'),
    modelCalls: withCost ? total('model_calls') : null,
    modelTokens: withCost ? tokens : null,
    tokensPerQualified: withCost ? ratio(tokens, qualified) : null,
    tokensPerConversion: withCost ? ratio(tokens, conversions) : null,
  };
}

/** Adds measures of several units' `all` (rates recomputed from the summed counts, never averaged). */
export function sumMeasures(list: readonly PeriodMeasures[]): PeriodMeasures {
  const sum = (f: (m: PeriodMeasures) => number | null) => list.reduce((a, m) => a + (f(m) ?? 0), 0);
  const sums: Sums = new Map([
    ['arrivals', { count: sum((m) => m.arrivals), total: 0 }],
    ['qualified', { count: sum((m) => m.qualified), total: 0 }],
    ['outcomes', { count: sum((m) => m.outcomes), total: 0 }],
    ['conversions', { count: sum((m) => m.conversions), total: sum((m) => m.value) }],
    ['model_calls', { count: 0, total: sum((m) => m.modelCalls) }],
    ['model_tokens', { count: 0, total: sum((m) => m.modelTokens) }],
  ]);
  return measuresOf(sums, true);
}

/**
 * The measures over minutes [from, to): `all` for the unit, and one entry per other segment that
 * has rows in the period (sources: `source:<name>`).
 */
export async function readPeriodMeasures(
  db: Db,
  ctx: WorkspaceContext,
  from: number,
  to: number,
): Promise<{ all: PeriodMeasures; segments: Map<string, PeriodMeasures> }> {
  const totals = await readTotals(db, ctx, { metrics: STORED, from, to });
  const segments = new Map<string, PeriodMeasures>();
  // Sources only: outcomes also roll up per industry, region and playbook, where arrivals do not.
  for (const [segment, sums] of totals)
    if (segment.startsWith('source:')) segments.set(segment, measuresOf(sums, false));
  return { all: measuresOf(totals.get('all'), true), segments };
}
