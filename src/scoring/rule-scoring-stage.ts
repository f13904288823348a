import { isFreeEmail, type PipelineStage } from '../leads/index.ts';
import { scoreLead } from './point-rules.ts';
import type { RulesRepository } from './rules-repository.ts';

/** The first scoring stage: the workspace's point rules start the lead's score lines. */
export function createRuleScoringStage(rules: RulesRepository): PipelineStage {
  return {
    name: 'score-rules',
    async run(ctx) {
      const lead = ctx.lead;
      if (!lead) return;
      const ruleSet = await rules.get(ctx.db, ctx.tenant);
      const consentPurposes = ctx.input?.consent?.purposes ?? [];
      const result = scoreLead({ ...lead, consentPurposes, freeEmail: isFreeEmail(lead.email) }, ruleSet);
      ctx.scoring = {
        model: `point-rules v${ruleSet.version}`,
        threshold: result.threshold,
        lines: [...result.breakdown],
        qualifiedBy: null,
      };
    },
  };
}
