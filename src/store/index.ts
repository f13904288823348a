export { fixedChunks } from './chunks.ts';
export type { Db, Store } from './database.ts';
export { createStore } from './database.ts';
export type { DialectName } from './dialect-name.ts';
export { fromJson, toJson } from './json.ts';

export type { Slots } from './prepared.ts';
export { prepared, preparedRows } from './prepared.ts';
export { withSavepoint } from './savepoint.ts';
export type {
  AuditLogTable,
  ChatSessionsTable,
  ConsentEventsTable,
  Database,
  DomainEventsTable,
  EventsTable,
  IdentityClaimsTable,
  JobsTable,
  LeadsTable,
  OptimiserAdjustmentsTable,
  OptimiserAlertsTable,
  PrivacyRequestsTable,
  SubmissionsTable,
  WorkflowRunsTable,
  WorkflowStepsTable,
} from './schema.ts';
export { DIRECTORY_TABLES, OWNER_TABLES, TENANT_TABLES } from './schema.ts';
export type { UnitOfWork } from './unit-of-work.ts';
export { dbOf } from './unit-of-work.ts';
export type { WriteTurns, WriteTurnsStats } from './write-turns.ts';
export { createWriteTurns, createWriteTurnsMemory, writeTurnsStats } from './write-turns.ts';
