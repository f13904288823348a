export type { ConsentStatement } from './consent-writes.ts';
export { recordConsent } from './consent-writes.ts';
export type { IdentityClaim, IdentityClaimStatus, IdentityClaims } from './identity-claims.ts';
export { createIdentityClaims } from './identity-claims.ts';
export type {
  ConsentRecord,
  EventStatus,
  Lead,
  LeadHistoryEntry,
  LeadListQuery,
  LeadStatus,
} from './lead-repository.ts';
export { findEventStatus, findLead, leadConsents, leadHistory, listLeads } from './lead-repository.ts';
export type { LeadPipeline, LeadPipelineOptions, PipelineStage, StageContext } from './pipeline.ts';
export {
  createLeadPipeline,
  createRuleScoringStage,
  dedupeStage,
  finalizeScoreStage,
  normaliseStage,
  qualifyStage,
} from './pipeline.ts';
