/**
 * The lead kernel: the one `Lead` type and its derived views, the submission schema and its
 * normalisation, score result types, the pipeline's stage contract and runner, the lead vocabulary
 * (authority levels, seniority), and the lead repository. Every capability may import it; it imports
 * no capability, only infrastructure.
 */

export type { IdentityClaim, IdentityClaims } from './identity-claims.ts';
export { createIdentityClaims } from './identity-claims.ts';
export type {
  Lead,
  NormalisedLead,
  ScorableLead,
  ScoringLeadFields,
} from './lead.ts';
export { changeLead } from './lead-changes.ts';
export type { ConsentFilterPort } from './lead-list.ts';

export type { LeadReader } from './lead-reader.ts';
export { createLeadReader } from './lead-reader.ts';

export {
  findLead,
  leadConsents,
  leadHistory,
  toLead,
} from './lead-repository.ts';
export type { LeadInput } from './lead-schema.ts';
export { leadInputSchema, unknownLeadFieldHint, utmSchema } from './lead-schema.ts';
export type { BudgetPeriod } from './money.ts';
export { annualised, BUDGET_PERIODS } from './money.ts';
export {
  isFreeEmail,
  normaliseEmail,
  normaliseLead,
  normalisePhone,
} from './normalise.ts';
export type { NormalisedLeads } from './normalised-leads.ts';
export { createNormalisedLeads } from './normalised-leads.ts';
export type { LeadPipeline } from './pipeline.ts';
export { createLeadPipeline } from './pipeline.ts';
export type { ScoreLine, ScoreResult } from './score.ts';
export { leadsWithScoreAndOutcome } from './scored-leads.ts';
export type { PipelineStage, StageContext } from './stage.ts';
export { contextsByWorkspace, runStageOverBatch } from './stage.ts';
export { authorityOfTitle, FUNCTION_WORDS, findTitles } from './titles.ts';
export type { AuthorityLevel } from './vocabulary.ts';
export { AUTHORITY_LEVELS, seniorityOf } from './vocabulary.ts';
