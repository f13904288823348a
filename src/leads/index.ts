/**
 * The lead kernel: the one `Lead` type and its derived views, the submission schema and its
 * normalisation, score result types, the pipeline's stage contract and runner, the lead vocabulary
 * (authority levels, seniority), and the lead repository. Every capability may import it; it imports
 * no capability, only infrastructure.
 */

export type { ConsentStatement } from './consent-writes.ts';
export { recordConsent } from './consent-writes.ts';
export type { IdentityClaim, IdentityClaimStatus, IdentityClaims } from './identity-claims.ts';
export { createIdentityClaims } from './identity-claims.ts';
export type {
  Lead,
  LeadAttributes,
  LeadFields,
  LeadStatus,
  NormalisedLead,
  ScorableLead,
  ScoringLeadFields,
} from './lead.ts';
export type { LeadFigures, LeadReader } from './lead-reader.ts';
export { createLeadReader } from './lead-reader.ts';
export type {
  ConsentRecord,
  LeadHistoryEntry,
  LeadListQuery,
  SubmissionStatus,
} from './lead-repository.ts';
export {
  findEventStatus,
  findLead,
  leadConsents,
  leadHistory,
  listLeads,
  toLead,
} from './lead-repository.ts';
export type { ConsentInput, LeadInput } from './lead-schema.ts';
export { consentSchema, leadInputSchema, unknownLeadFieldHint, utmSchema } from './lead-schema.ts';
export type { BudgetPeriod } from './money.ts';
export { annualised, BUDGET_PERIODS } from './money.ts';
export {
  isFreeEmail,
  isFreeEmailDomain,
  normaliseEmail,
  normaliseLead,
  normalisePhone,
} from './normalise.ts';
export type { NormalisedLeads } from './normalised-leads.ts';
export { createNormalisedLeads } from './normalised-leads.ts';
export type { LeadPipeline, LeadPipelineOptions } from './pipeline.ts';
export {
  createLeadPipeline,
  dedupeStage,
  finalizeScoreStage,
  normaliseStage,
  qualifyStage,
} from './pipeline.ts';
export type { ScoreLine, ScoreResult, ScoringDraft } from './score.ts';
export type { PipelineStage, StageContext } from './stage.ts';
export { contextsByWorkspace, runStageOverBatch } from './stage.ts';
export type { TitleMatch } from './titles.ts';
export { authorityOfTitle, findTitles, TITLE_RULES } from './titles.ts';
export type { AuthorityLevel, Seniority } from './vocabulary.ts';
export { AUTHORITY_LEVELS, seniorityOf } from './vocabulary.ts';
