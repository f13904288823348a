export type {
  EventSubmission,
  EventWriter,
  EventWriterOptions,
  IdempotencyScope,
  SubmissionOutcome,
} from './event-writer.ts';
export { createEventWriter, fingerprint } from './event-writer.ts';
export type { IngestService } from './ingest-service.ts';
export { createIngestService, parseJsonBody } from './ingest-service.ts';
export type { ConsentInput, LeadInput } from './lead-schema.ts';
export { acceptedSchema, consentSchema, leadInputSchema, utmSchema } from './lead-schema.ts';
export type { NormalisedLead } from './normalise.ts';
export { isFreeEmailDomain, normaliseEmail, normaliseLead, normalisePhone } from './normalise.ts';
export type { SignatureFailure, SignatureHeaders } from './webhook-signature.ts';
export { SIGNATURE_TOLERANCE_SECONDS, signWebhook, verifyWebhook } from './webhook-signature.ts';
