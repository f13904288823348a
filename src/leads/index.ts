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
