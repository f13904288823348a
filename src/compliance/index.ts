export type { AuditEntry, AuditLog, AuditProblem, AuditRecord, AuditVerification } from './audit-log.ts';
export { createAuditLog, GENESIS_HASH, hashAuditEntry, verifyChain } from './audit-log.ts';
