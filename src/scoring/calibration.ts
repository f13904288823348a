import type { Db } from '../store/index.ts';

/** One bin of predicted probability [lower, upper) (the last includes 1). */
interface CalibrationBin {
  lower: number;
  upper: number;
  count: number;
  conversions: number;
  /** Mean predicted probability of the outcomes in the bin (null when empty). */
  meanPredicted: number | null;
  /** Share of them that converted (null when empty). */
  observedRate: number | null;
}

/** A model version's predictions against the outcomes that followed them. */
export interface Calibration {
  version: number;
  outcomes: number;
  conversions: number;
  /** Occurrence times (epoch ms) of the oldest and newest outcome read; null when none. */
  from: number | null;
  to: number | null;
  bins: CalibrationBin[];
  /** Expected calibration error: the count-weighted mean gap between predicted and observed. */
  ece: number | null;
}

/**
 * Test-then-train pairs: each outcome keeps the probability the champion (and a challenger in
 * shadow) gave its lead before the outcome was known, so this reads no training data and no
 * re-scoring: the plot is of predictions the version actually made, on the latest outcomes.
 */
export async function calibrationOf(
  db: Db,
  workspaceId: string,
  version: number,
  options: { bins: number; limit: number },
): Promise<Calibration> {
  // As champion (the probability column) and as challenger in shadow (its own pair of columns).
  const predictions = (
    probability: 'probability' | 'challenger_probability',
    by: 'model_version' | 'challenger_version',
  ) =>
    db
      .selectFrom('lead_outcomes')
      .select((eb) => [eb.ref(probability).as('p'), 'converted', 'occurred_at'])
      .where('workspace_id', '=', workspaceId)
      .where(by, '=', version)
      .where(probability, 'is not', null)
      .orderBy('occurred_at', 'desc')
      .limit(options.limit)
      .execute();
  const [asChampion, asChallenger] = await Promise.all([
    predictions('probability', 'model_version'),
    predictions('challenger_probability', 'challenger_version'),
  ]);
  const pairs = [...asChampion, ...asChallenger]
    .map((r) => ({ p: Number(r.p), converted: Number(r.converted) === 1, at: Number(r.occurred_at) }))
    .sort((a, b) => b.at - a.at)
    .slice(0, options.limit);
  const bins = Array.from({ length: options.bins }, (_, i) => ({
    lower: i / options.bins,
    upper: (i + 1) / options.bins,
    count: 0,
    conversions: 0,
    sum: 0,
  }));
  for (const pair of pairs) {
    const index = Math.min(options.bins - 1, Math.max(0, Math.floor(pair.p * options.bins)));
    const bin = bins[index] as (typeof bins)[number];
    bin.count += 1;
    bin.sum += pair.p;
    if (pair.converted) bin.conversions += 1;
  }
  const conversions = pairs.filter((p) => p.converted).length;
  let gap = 0;
  for (const bin of bins) if (bin.count > 0) gap += Math.abs(bin.sum - bin.conversions);
  return {
    version,
    outcomes: pairs.length,
    conversions,
    from: pairs.at(-1)?.at ?? null,
    to: pairs[0]?.at ?? null,
    bins: bins.map(({ sum, ...bin }) => ({
      ...bin,
      meanPredicted: bin.count > 0 ? sum / bin.count : null,
      observedRate: bin.count > 0 ? bin.conversions / bin.count : null,
    })),
    ece: pairs.length > 0 ? gap / pairs.length : null,
  };
}
