export type { AuditEntry, AuditProblem, AuditRecord } from './audit-chain.ts';
export { hashAuditEntry } from './audit-chain.ts';

export { createAuditKeys } from './audit-keys.ts';
export type { AuditLog } from './audit-log.ts';
export { createAuditLog } from './audit-log.ts';
export type { AuditCheckpoint } from './audit-verify.ts';
export { parseCheckpoint } from './audit-verify.ts';
