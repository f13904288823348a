/** Ingestion: signed webhooks and the lead API, validated and made durable by the event writer. */

export { acceptedSchema } from './accepted-schema.ts';
export type {
  StoredOutcome,
  StoreElsewhere,
  SubmissionOutcome,
  SubmissionRecord,
  SubmissionWriter,
} from './event-writer.ts';
export { createSubmissionWriter, fingerprint, storeSubmissions } from './event-writer.ts';
export type { IngestService } from './ingest-service.ts';
export { createIngestService, eventIdOf } from './ingest-service.ts';

export { signWebhook, verifyWebhook } from './webhook-signature.ts';
