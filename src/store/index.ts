export { fixedChunks } from './chunks.ts';
export type { Db, Store } from './database.ts';
export { createStore } from './database.ts';
export type { DialectName } from './dialect-name.ts';
export { dialectOf } from './dialect-of.ts';
export { takeEventTurn } from './event-turn.ts';
export { fromJson, toJson } from './json.ts';

export type { Slots } from './prepared.ts';
export { prepared, preparedRows } from './prepared.ts';
export { withSavepoint } from './savepoint.ts';
export type { Database } from './schema.ts';
export { DIRECTORY_TABLES, OWNER_TABLES, TENANT_TABLES } from './schema.ts';
export type { ChatSessionsTable } from './tables/chat.ts';
export type { CouncilDecisionsTable } from './tables/council.ts';
export type { OptimiserAdjustmentsTable, OptimiserAlertsTable } from './tables/optimiser.ts';
export type {
  AuditLogTable,
  DomainEventsTable,
  EventsTable,
  IdentityClaimsTable,
  JobsTable,
  LeadHistoryTable,
  LeadsTable,
  SubmissionsTable,
} from './tables/platform.ts';
export type { ConsentEventsTable, PrivacyRequestsTable } from './tables/privacy.ts';
export type { ScoringModelsTable } from './tables/scoring.ts';
export type { WorkflowRunsTable, WorkflowStepsTable } from './tables/workflows.ts';
export type { UnitOfWork } from './unit-of-work.ts';
export { dbOf } from './unit-of-work.ts';
export { workspacePage, workspaceRow, workspaceRows } from './workspace-row.ts';
export type { WriteTurns, WriteTurnsStats } from './write-turns.ts';
export { createWriteTurns, createWriteTurnsMemory, writeTurnsStats } from './write-turns.ts';
