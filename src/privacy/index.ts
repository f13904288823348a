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
export type {
  ConsentEntry,
  ConsentEntryInput,
  ConsentState,
  ConsentStateReader,
  PurposeState,
} from './consent-ledger.ts';
export { deriveConsentState, noticeHash } from './consent-ledger.ts';
export type { Deadlines, Jurisdiction } from './deadlines.ts';
export { addBusinessDays, addMonths, deadlinesFor, JURISDICTIONS } from './deadlines.ts';
export type { ExportBundle } from './export-bundle.ts';
export { exportCsv } from './export-bundle.ts';
export type { HolderRegistry, PersonalDataHolder, SubjectScope } from './holders.ts';
export { columnHolder, mentionHolder } from './holders.ts';
export type { PreferenceAction, Privacy, PrivacyOptions } from './privacy-service.ts';
export { createPrivacy, preferenceActionSchema } from './privacy-service.ts';
export type { SubmissionGpcReader } from './privacy-stage.ts';
export type { ConsentMethod, Purpose } from './purposes.ts';
export { CONSENT_METHODS, PURPOSES, purposeOf, purposeSchema } from './purposes.ts';
export type { PrivacyRequest, RequestInput, RequestStatus, RequestType } from './request-schema.ts';
export { REQUEST_STATUSES, REQUEST_TYPES, requestInputSchema } from './request-schema.ts';
export type { ErasureHooks } from './requests.ts';
export type { RetentionPolicy, RetentionReport, RetentionTargets } from './retention.ts';
export { DEFAULT_RETENTION, retentionPolicySchema } from './retention.ts';
export type { ContactNormaliser } from './subject-scope.ts';
