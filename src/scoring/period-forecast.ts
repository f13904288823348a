import { leadsWithScoreAndOutcome } from '../leads/index.ts';
import type { Db } from '../store/index.ts';
import { forecastConversions } from './ml/index.ts';

/** What a period's qualified leads were expected to bring, and what they brought. */
export interface PeriodForecast {
  /** `all` or a segment of the workspace's `segmentBy`. */
  segment: string;
  /** Qualified leads the champion scored in the period. */
  qualified: number;
  expected: number;
  lower: number;
  upper: number;
  level: number;
  method: string;
  /** Of those, leads with a known outcome, and the conversions among them. */
  labelled: number;
  conversions: number;
}

const HISTORY = 2000;

/**
 * Forecasts each segment's conversions for the leads qualified in [from, to) from the
 * probabilities the champion gave them when they were scored (before their outcome was known),
 * with the rate uncertainty measured on outcomes recorded before `from` only, so a past period is
 * judged by the forecast that could have been made at its start.
 */
export async function periodForecasts(
  db: Db,
  workspaceId: string,
  query: { from: number; to: number; level: number },
): Promise<PeriodForecast[]> {
  // The conditions on scored_at keep scored leads only (a lead without a score has none).
  const rows = await leadsWithScoreAndOutcome(db, workspaceId)
    .select([
      'lead_scores.segment as segment',
      'lead_scores.probability as scored',
      'lead_outcomes.probability as predicted',
      'lead_outcomes.converted as converted',
    ])
    .where('leads.status', '=', 'qualified')
    .where('lead_scores.scored_at', '>=', query.from)
    .where('lead_scores.scored_at', '<', query.to)
    .$narrowType<{ segment: string; scored: number }>()
    .execute();
  const history = (
    await db
      .selectFrom('lead_outcomes')
      .select(['probability', 'converted'])
      .where('workspace_id', '=', workspaceId)
      .where('probability', 'is not', null)
      .where('recorded_at', '<', query.from)
      .orderBy('recorded_at', 'desc')
      .limit(HISTORY)
      .execute()
  ).reverse();
  const past =
    history.length > 0
      ? {
          probabilities: history.map((h) => Number(h.probability)),
          outcomes: history.map((h) => Number(h.converted)),
        }
      : undefined;
  const groups = new Map<string, typeof rows>();
  for (const row of rows) {
    for (const key of ['all', row.segment]) {
      const list = groups.get(key) ?? [];
      list.push(row);
      groups.set(key, list);
    }
  }
  if (!groups.has('all')) groups.set('all', []);
  return [...groups.entries()]
    .sort(([a], [b]) => (a === 'all' ? -1 : b === 'all' ? 1 : a.localeCompare(b)))
    .map(([segment, list]) => {
      // The test-then-train probability when the outcome came, else the score at qualification.
      const probabilities = list.map((r) => Number(r.predicted ?? r.scored));
      const forecast = forecastConversions({
        probabilities,
        level: query.level,
        ...(past ? { history: past } : {}),
      });
      const labelled = list.filter((r) => r.converted !== null);
      return {
        segment,
        qualified: list.length,
        expected: forecast.expected,
        lower: forecast.lower,
        upper: forecast.upper,
        level: query.level,
        method: forecast.method,
        labelled: labelled.length,
        conversions: labelled.filter((r) => Number(r.converted) === 1).length,
      };
    });
}
