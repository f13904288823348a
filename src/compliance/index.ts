export type { AuditEntry, AuditProblem, AuditRecord, AuditVerification } from './audit-chain.ts';
export { GENESIS_HASH, hashAuditEntry, verifyChain } from './audit-chain.ts';
export type { AuditKeys } from './audit-keys.ts';
export { createAuditKeys } from './audit-keys.ts';
export type { AuditLog, AuditLogOptions, AuditReseal } from './audit-log.ts';
export { createAuditLog } from './audit-log.ts';
export type { AuditCheckpoint } from './audit-verify.ts';
export { parseCheckpoint } from './audit-verify.ts';
