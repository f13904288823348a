import { type CouncilService, normaliseCountry, normaliseIndustry, regionOf } from '../council/index.ts';
import type { DomainEventLog } from '../events/index.ts';
import type { Privacy } from '../privacy/index.ts';
import { createPredictiveScoring, type PredictiveScoring } from '../scoring/index.ts';
import { fromJson, workspaceRow } from '../store/index.ts';
import type { WorkflowEngine } from '../workflows/index.ts';
import { trainingExclusions } from './privacy-wiring.ts';

/**
 * Predictive scoring and what an outcome sets off in other capabilities. The council and the
 * workflow engine are built after scoring (they read its scores), so they are reached through
 * `later`, called only once an outcome is recorded.
 */
export function wirePredictive(
  options: Pick<
    Parameters<typeof createPredictiveScoring>[0],
    'store' | 'queue' | 'audit' | 'rules' | 'clock' | 'ids'
  > & {
    events: DomainEventLog;
    privacy: Privacy;
    later: { council(): CouncilService; workflowEngine(): WorkflowEngine };
  },
): PredictiveScoring {
  const { events, privacy, later, ...scoring } = options;
  return createPredictiveScoring({
    ...scoring,
    // Cross-capability reaction, wired once here so the API and `leadloop outcomes import` agree:
    // a new or changed outcome tells the council's router whether its advice paid off.
    onOutcome: async (ctx, leadId, converted) => {
      await later.council().learnFromOutcome(ctx, leadId, converted);
    },
    exclusions: trainingExclusions(privacy),
    // Workflows with an `outcome.recorded` trigger start in the outcome's own transaction.
    outcomeReactions: [
      // Conversions and value reach the analytics rollups as a domain event committed with the outcome.
      // The lead's source and the prediction ride along (no personal data) for the rollups.
      async (db, ctx, outcome) => {
        const lead = await workspaceRow(db, 'leads', ctx.workspaceId, { id: outcome.leadId }, [
          'source',
          'country',
          'attributes',
        ]);
        // The lead's segments, so the optimiser's conversion detectors can watch each one: the
        // council's closed vocabularies of industry and region (a value outside them is left out,
        // which also keeps free text out of the event), and the playbook of its latest chat.
        const chat = await db
          .selectFrom('chat_sessions')
          .select('playbook_id')
          .where('workspace_id', '=', ctx.workspaceId)
          .where('lead_id', '=', outcome.leadId)
          .orderBy('created_at', 'desc')
          .limit(1)
          .executeTakeFirst();
        const attributes = lead ? fromJson<Record<string, unknown>>(lead.attributes, {}) : {};
        const industry = normaliseIndustry(
          typeof attributes.industry === 'string' ? attributes.industry : null,
        );
        const region = regionOf(normaliseCountry(lead?.country ?? null));
        // The champion's probability taken before the outcome was known (for calibration).
        const prediction = await workspaceRow(
          db,
          'lead_outcomes',
          ctx.workspaceId,
          { lead_id: outcome.leadId },
          ['probability'],
        );
        const predicted = prediction?.probability == null ? null : Number(prediction.probability);
        await events.append(db, ctx.workspaceId, [
          {
            type: 'outcome.recorded',
            subject: outcome.leadId,
            data: {
              converted: outcome.converted,
              value: outcome.value,
              change: outcome.change,
              ...(lead?.source ? { source: lead.source } : {}),
              ...(industry ? { industry } : {}),
              ...(region ? { region } : {}),
              ...(chat ? { playbook: chat.playbook_id } : {}),
              ...(predicted !== null ? { predicted } : {}),
            },
          },
        ]);
      },
      (db, ctx, outcome) =>
        later.workflowEngine().fire(db, ctx.workspaceId, {
          type: 'outcome.recorded',
          leadId: outcome.leadId,
          occurrence: `${outcome.leadId}:${outcome.revision}`,
          value: outcome.converted ? 'won' : 'lost',
          data: {
            outcome: outcome.converted ? 'won' : 'lost',
            amount: outcome.value,
            revision: outcome.revision,
          },
        }),
    ],
  });
}
