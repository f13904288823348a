/** Ingestion: signed webhooks and the lead API, validated and made durable by the event writer. */

export { acceptedSchema } from './accepted-schema.ts';
export type {
  IdempotencyScope,
  Submission,
  SubmissionOutcome,
  SubmissionWriter,
  SubmissionWriterOptions,
} from './event-writer.ts';
export { createSubmissionWriter, fingerprint } from './event-writer.ts';
export type { IngestService } from './ingest-service.ts';
export { createIngestService, eventIdOf, parseJsonBody } from './ingest-service.ts';
export type { SignatureFailure, SignatureHeaders } from './webhook-signature.ts';
export { SIGNATURE_TOLERANCE_SECONDS, signWebhook, verifyWebhook } from './webhook-signature.ts';
