import type { Generated } from 'kysely';

// Organisations, workspaces and their keys; submissions, jobs, leads and their history; domain events and the audit trail.
// Portable shapes (see ../schema.ts): epoch-millisecond times, JSON as text, 0/1 booleans.

export interface OrganisationsTable {
  id: string;
  name: string;
  created_at: number;
}

export interface WorkspacesTable {
  id: string;
  organisation_id: string;
  name: string;
  /** JSON: WorkspaceSettings (rate limit, qualification threshold, ...). */
  settings: string;
  created_at: number;
}

export interface ApiKeysTable {
  id: string;
  organisation_id: string;
  /** Null for organisation-level keys. */
  workspace_id: string | null;
  scope: string;
  /** sha256 of the secret part; the key itself is shown once and never stored. */
  hash: string;
  /** The first characters, shown in listings so a person can tell keys apart. */
  prefix: string;
  label: string;
  created_at: number;
  /** The actor that created it (`user:<id>`, `api_key:<id>`, …); null on keys older than migration 023. */
  created_by: string | null;
  /** When it last authenticated, written at most once a minute. */
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface WebhookSecretsTable {
  id: string;
  workspace_id: string;
  /** `whsec_` + base64; HMAC needs the secret itself, so it is stored (see docs/decisions). */
  secret: string;
  created_at: number;
  /** Set when rotated out: the old secret keeps verifying until then (overlap window). */
  expires_at: number | null;
}

export interface SubmissionsTable {
  id: string;
  workspace_id: string;
  type: string;
  source: string;
  /** JSON of the accepted body; the only copy of the raw submission. */
  payload: string;
  status: string;
  lead_id: string | null;
  error: string | null;
  attempts: number;
  created_at: number;
  processed_at: number | null;
}

/**
 * The old name of {@link SubmissionsTable}, kept while the pipeline files (reworked by the
 * throughput change) still use it; remove once they say `SubmissionsTable`.
 */
export type EventsTable = SubmissionsTable;

export interface IdempotencyKeysTable {
  workspace_id: string;
  scope: string;
  key: string;
  request_hash: string;
  response_status: number;
  response_body: string;
  created_at: number;
}

export interface JobsTable {
  id: string;
  workspace_id: string;
  name: string;
  /** JSON of ids only; never personal data. */
  payload: string;
  /**
   * `queued` (due at run_at; with Redis: in the outbox, not yet sent), `sent` (handed to Redis),
   * `active` (claimed under a lease), `dead` (out of attempts). A completed job is deleted.
   */
  status: string;
  attempts: number;
  max_attempts: number;
  run_at: number;
  locked_until: number | null;
  locked_by: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface LeadsTable {
  id: string;
  workspace_id: string;
  email: string | null;
  phone: string | null;
  name: string | null;
  company: string | null;
  company_domain: string | null;
  title: string | null;
  country: string | null;
  source: string | null;
  utm: string;
  attributes: string;
  status: string;
  score: number;
  score_breakdown: string;
  created_at: number;
  updated_at: number;
}

export interface LeadHistoryTable {
  id: Generated<number>;
  workspace_id: string;
  lead_id: string;
  event_id: string;
  action: string;
  /** JSON: { field: { from, to } } for every value that changed. */
  changes: string;
  created_at: number;
}

export interface ConsentRecordsTable {
  id: string;
  workspace_id: string;
  lead_id: string;
  event_id: string;
  purposes: string;
  text_version: string;
  given_at: number;
  method: string;
  created_at: number;
}

/** A chat's unverified claim to be an existing lead (migration 011). */
export interface IdentityClaimsTable {
  id: string;
  workspace_id: string;
  /** The chat's own lead, which claims to be `claimed_lead_id`. */
  lead_id: string;
  claimed_lead_id: string;
  event_id: string;
  /** `email` or `phone`. */
  matched_on: string;
  /** `pending`, `confirmed` or `rejected`. */
  status: string;
  created_at: number;
  decided_at: number | null;
  /** The actor (`api_key:key_...`) that confirmed or rejected it. */
  decided_by: string | null;
}

export interface ScoringRulesTable {
  workspace_id: string;
  version: number;
  /** JSON: PointRule[]. */
  rules: string;
  threshold: number;
  updated_at: number;
}

export interface DomainEventsTable {
  seq: Generated<number>;
  id: string;
  workspace_id: string;
  type: string;
  subject: string;
  /** JSON: ids and figures, no personal data. */
  data: string;
  created_at: number;
}

export interface AuditHeadsTable {
  workspace_id: string;
  seq: number;
  hash: string;
  /** HMAC of (workspace, seq, hash) with a key derived from the master key (migration 010). */
  mac: string | null;
}

export interface AuditLogTable {
  workspace_id: string;
  seq: number;
  id: string;
  at: number;
  actor_type: string;
  actor_id: string;
  action: string;
  subject: string;
  reason: string;
  /** JSON: references and figures; never copies of personal data. */
  data: string;
  prev_hash: string;
  hash: string;
  /** HMAC of (workspace, seq, hash) with a key derived from the master key (migration 010). */
  mac: string | null;
}

export interface WidgetKeysTable {
  /** `pk_...`: publishable (it ships in a script tag), so stored as is. */
  key: string;
  workspace_id: string;
  created_at: number;
  revoked_at: number | null;
}
