/**
 * Privacy: the append-only consent ledger and its derived state (the `consentState` port other
 * capabilities read), data-subject requests (access, erasure, rectification, restriction,
 * objection, opt-out) with deadlines, erasure through a registry of personal-data holders with
 * crypto-shredding and a suppression list, retention policies, and the signed preference page.
 *
 * @example
 * const privacy = createPrivacy({ store, clock, ids, audit, queue, masterKey, normalise, retentionTargets });
 * privacy.holders.register(columnHolder({ name: 'leads', table: 'leads', column: 'id', match: 'lead' }));
 * await privacy.requests.submit(ctx, { type: 'erasure', subject: { email }, jurisdiction: 'gdpr' }, { actor, origin: 'api' });
 */

export { createConsentLeadFilter } from './consent-filter.ts';
export type {
  ConsentEntry,
  ConsentEntryInput,
  ConsentState,
  ConsentStateReader,
} from './consent-ledger.ts';

export { exportCsv } from './export-bundle.ts';
export type { HolderRegistry, SubjectScope } from './holders.ts';
export { columnHolder, mentionHolder } from './holders.ts';
export type { Privacy } from './privacy-service.ts';
export { createPrivacy, preferenceActionSchema } from './privacy-service.ts';

export { CONSENT_METHODS, purposeSchema } from './purposes.ts';
export type { PrivacyRequest, RequestInput } from './request-schema.ts';
export { REQUEST_STATUSES, requestInputSchema } from './request-schema.ts';
export type { ErasureHooks } from './requests.ts';
export type { RetentionTargets } from './retention.ts';
export { retentionPolicySchema } from './retention.ts';
export type { ContactNormaliser } from './subject-scope.ts';
