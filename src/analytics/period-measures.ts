import type { WorkspaceContext } from '../core/index.ts';
import type { Db } from '../store/index.ts';
import { readTotals } from './metric-rollups.ts';

/**
 * One period's measures of a business unit or segment, all from the per-minute rollups, so units
 * are compared on the same definitions. Cost is in model tokens and in money (US dollars, each
 * model's tokens at its price) and is kept under the `all` segment only, so a segment has no cost.
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
  /** Model spend in US dollars. */
  modelSpend: number | null;
  spendPerQualified: number | null;
  spendPerConversion: number | null;
}

const STORED = [
  'arrivals',
  'qualified',
  'outcomes',
  'conversions',
  'source_outcomes',
  'source_conversions',
  'segment_arrivals',
  'segment_qualified',
  'model_calls',
  'model_tokens',
  'model_spend',
] as const;

type Sums = Map<string, { count: number; total: number }>;

/**
 * Where each kind of segment keeps its rows (see `rollupsOf`): a unit (`all`) under the plain
 * names; a source its outcomes under `source_*`; an industry or region its arrivals and qualified
 * under `segment_*`.
 */
type SegmentKind = 'unit' | 'source' | 'lead';
const STORED_AS: Record<SegmentKind, Partial<Record<string, string>>> = {
  unit: {},
  source: { outcomes: 'source_outcomes', conversions: 'source_conversions' },
  lead: { arrivals: 'segment_arrivals', qualified: 'segment_qualified' },
};

function measuresOf(sums: Sums | undefined, kind: SegmentKind): PeriodMeasures {
  const withCost = kind === 'unit';
  const count = (m: string) => sums?.get(STORED_AS[kind][m] ?? m)?.count ?? 0;
  const total = (m: string) => sums?.get(STORED_AS[kind][m] ?? m)?.total ?? 0;
  const ratio = (a: number, b: number) => (b > 0 ? a / b : null);
  const arrivals = count('arrivals');
  const qualified = count('qualified');
  const outcomes = count('outcomes');
  const conversions = count('conversions');
  const tokens = total('model_tokens');
  const spend = total('model_spend');
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
    modelSpend: withCost ? spend : null,
    spendPerQualified: withCost ? ratio(spend, qualified) : null,
    spendPerConversion: withCost ? ratio(spend, conversions) : null,
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
    ['model_spend', { count: 0, total: sum((m) => m.modelSpend) }],
  ]);
  return measuresOf(sums, 'unit');
}

/**
 * The measures over minutes [from, to): `all` for the unit, and one entry per segment that has
 * rows in the period: `source:<name>`, `industry:<industry>`, `region:<region>`.
 */
export async function readPeriodMeasures(
  db: Db,
  ctx: WorkspaceContext,
  from: number,
  to: number,
): Promise<{ all: PeriodMeasures; segments: Map<string, PeriodMeasures> }> {
  const totals = await readTotals(db, ctx, { metrics: STORED, from, to });
  const segments = new Map<string, PeriodMeasures>();
  for (const [segment, sums] of totals) {
    if (segment.startsWith('source:')) segments.set(segment, measuresOf(sums, 'source'));
    else if (segment.startsWith('industry:') || segment.startsWith('region:'))
      segments.set(segment, measuresOf(sums, 'lead'));
  }
  return { all: measuresOf(totals.get('all'), 'unit'), segments };
}
