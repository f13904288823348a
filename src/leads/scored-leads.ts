import type { Db } from '../store/index.ts';

/**
 * A workspace's leads, each with its score and its reported outcome when it has them (left joins
 * on the lead within the same workspace; one row a lead, as both are keyed by workspace and lead).
 * Forecasts, insights and the council's metrics select from it what they read.
 */
export function leadsWithScoreAndOutcome(db: Db, workspaceId: string) {
  return db
    .selectFrom('leads')
    .leftJoin('lead_scores', (join) =>
      join
        .onRef('lead_scores.workspace_id', '=', 'leads.workspace_id')
        .onRef('lead_scores.lead_id', '=', 'leads.id'),
    )
    .leftJoin('lead_outcomes', (join) =>
      join
        .onRef('lead_outcomes.workspace_id', '=', 'leads.workspace_id')
        .onRef('lead_outcomes.lead_id', '=', 'leads.id'),
    )
    .where('leads.workspace_id', '=', workspaceId);
}
