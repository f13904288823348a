// The consent ledger, data-subject requests, subject keys, suppressions, retention and request signals.
// Portable shapes (see ../schema.ts): epoch-millisecond times, JSON as text, 0/1 booleans.

/** Append-only consent ledger: one row per grant or withdrawal of one purpose; never updated. */
export interface ConsentEventsTable {
  id: string;
  workspace_id: string;
  lead_id: string;
  /** email_marketing | phone | sms | profiling | sale_or_share | processing, or a workspace's own. */
  purpose: string;
  /** grant | withdraw. */
  action: string;
  notice_version: string | null;
  /** sha256 of the notice text shown, when known. */
  notice_hash: string | null;
  /** form | chat | import | api | preference_page | gpc | objection | suppression | request. */
  method: string;
  /** Where it was captured: the event source, `preference_page`, a request id. */
  source: string;
  /** 1 when the browser sent Global Privacy Control. */
  gpc: number;
  /** A reference (event, session or request id), never personal data. */
  evidence: string | null;
  occurred_at: number;
  recorded_at: number;
}

export interface PrivacyRequestsTable {
  id: string;
  workspace_id: string;
  /** access | erasure | rectification | restriction | objection | opt_out. */
  type: string;
  /** gdpr | ccpa | other. */
  jurisdiction: string;
  /** received | in_progress | completed | rejected. */
  status: string;
  /** 1: filed on hold (identity to verify); carried out or rejected by hand, never by the resume. */
  held: number;
  /** api | cli | preference_page | delete_route | retention. */
  origin: string;
  /** The subject as given (email/phone/lead id), sealed; cleared when the request completes. */
  subject_sealed: string | null;
  /** Rectification changes, sealed; cleared when the request completes. */
  changes_sealed: string | null;
  /** JSON: the lead ids matched (references only). */
  lead_ids: string;
  /** JSON: each step taken, with per-holder counts (the execution log). */
  steps: string;
  /** JSON: the outcome (counts, reason of a rejection). */
  result: string | null;
  received_at: number;
  /** Confirmation due (CCPA: 10 business days). */
  ack_due_at: number;
  due_at: number;
  /** The latest the deadline can be extended to (GDPR +2 months, CCPA +45 days). */
  extended_due_at: number;
  completed_at: number | null;
  updated_at: number;
}

/** A random data key per subject (lead or request), sealed by the master key; deleting it shreds. */
export interface PrivacySubjectKeysTable {
  workspace_id: string;
  subject: string;
  key_sealed: string;
  created_at: number;
}

/** HMAC(pepper, normalised email or phone) of erased or objecting people; no lead id beside it. */
export interface PrivacySuppressionsTable {
  workspace_id: string;
  hash: string;
  /** email | phone. */
  kind: string;
  /** erasure | objection. */
  reason: string;
  created_at: number;
}

export interface PrivacyRetentionTable {
  workspace_id: string;
  /** JSON: RetentionPolicy. */
  policy: string;
  version: number;
  last_run_at: number | null;
  /** JSON: the last sweep's report. */
  last_report: string | null;
  updated_at: number;
}

/** Request signals (Sec-GPC) recorded at acceptance, applied when the event's lead is known. */
export interface PrivacySignalsTable {
  workspace_id: string;
  event_id: string;
  gpc: number;
  created_at: number;
}
