import type { Generated } from 'kysely';

/*
 * Table shapes shared by SQLite and PostgreSQL. Portable choices, so both dialects return the
 * same JavaScript values: times are epoch milliseconds (bigint, parsed to number), JSON is text,
 * booleans are 0/1 integers. Every tenant table carries `workspace_id`.
 */

interface OrganisationsTable {
  id: string;
  name: string;
  created_at: number;
}

interface WorkspacesTable {
  id: string;
  organisation_id: string;
  name: string;
  /** JSON: WorkspaceSettings (rate limit, qualification threshold, ...). */
  settings: string;
  created_at: number;
}

interface ApiKeysTable {
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

interface WebhookSecretsTable {
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

interface IdempotencyKeysTable {
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

interface LeadHistoryTable {
  id: Generated<number>;
  workspace_id: string;
  lead_id: string;
  event_id: string;
  action: string;
  /** JSON: { field: { from, to } } for every value that changed. */
  changes: string;
  created_at: number;
}

interface ConsentRecordsTable {
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

interface ScoringRulesTable {
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

interface AuditHeadsTable {
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

interface WidgetKeysTable {
  /** `pk_...`: publishable (it ships in a script tag), so stored as is. */
  key: string;
  workspace_id: string;
  created_at: number;
  revoked_at: number | null;
}

export interface ChatSessionsTable {
  id: string;
  workspace_id: string;
  playbook_id: string;
  status: string;
  outcome: string | null;
  /** JSON: the dialog engine's SessionState. */
  state: string;
  /** Optimistic concurrency: each turn increments it. */
  version: number;
  /** The lead event submitted when the conversation ended. */
  event_id: string | null;
  lead_id: string | null;
  created_at: number;
  updated_at: number;
}

/** One document of a workspace's chat knowledge (migration 071). */
interface ChatKnowledgeTable {
  workspace_id: string;
  /** Order as given; the key with the workspace. */
  position: number;
  title: string;
  format: 'markdown' | 'text';
  content: string;
  /** The same for every document of one replacement. */
  revision: string;
  updated_at: number;
}

interface PlaybooksTable {
  workspace_id: string;
  id: string;
  version: number;
  /** JSON: a playbook definition. */
  definition: string;
  updated_at: number;
}

interface LeadOutcomesTable {
  workspace_id: string;
  lead_id: string;
  /** 0/1. */
  converted: number;
  value: number | null;
  occurred_at: number;
  recorded_at: number;
  updated_at: number;
  /** 1 when first recorded; +1 each time a different outcome replaces it. */
  revision: number;
  /** sha256 of the outcome as submitted: the same body again gets the same answer. */
  body_hash: string;
  source: string;
  /** Test-then-train: the champion's probability for the lead before its outcome was known. */
  probability: number | null;
  model_version: number | null;
  /** The challenger's probability, scored in shadow beside the champion. */
  challenger_probability: number | null;
  challenger_version: number | null;
}

interface ScoringModelsTable {
  workspace_id: string;
  version: number;
  id: string;
  /** champion | challenger | retired. */
  status: string;
  kind: string;
  /** JSON: the serialised ScoringModel. */
  model: string;
  /** JSON: the declared FeatureSpec. */
  feature_spec: string;
  /** JSON: figures on the validation window, the point rules' AUC there, the candidates. */
  metrics: string;
  rows: number;
  positives: number;
  reason: string;
  /** The champion this version replaced when promoted; rollback restores it. */
  replaces_version: number | null;
  trained_at: number;
  promoted_at: number | null;
  retired_at: number | null;
}

interface LeadScoresTable {
  workspace_id: string;
  lead_id: string;
  model_version: number;
  probability: number;
  points: number;
  /** JSON: ScoreFactor[] (the explanation). */
  factors: string;
  segment: string;
  threshold: number | null;
  challenger_version: number | null;
  challenger_probability: number | null;
  scored_at: number;
}

interface ScoringStateTable {
  workspace_id: string;
  /** JSON: ScoringSettings. */
  settings: string;
  settings_version: number;
  /** JSON: the thresholds last computed. */
  thresholds: string | null;
  /** JSON: the latest training attempt. */
  training: string | null;
  /** JSON: continuous-learning bookkeeping. */
  learning: string;
  updated_at: number;
}

interface CouncilDecisionsTable {
  id: string;
  workspace_id: string;
  question_type: string;
  /** The lead the question is about (lead questions only). */
  lead_id: string | null;
  /** `api` (asked through the API) or `pipeline` (the `council.next_action` job). */
  trigger: string;
  /** The job that asked, so a job run twice stores its decision once. */
  job_id: string | null;
  decision_class: string;
  confidence: number;
  /** proposed | accepted | rejected | edited | overridden. */
  status: string;
  /** JSON: the council's CouncilDecision (references and hashes; its own explanation). */
  record: string;
  /** JSON: the feedback review, when given. */
  review: string | null;
  /** JSON: human overrides (GDPR Art. 22), oldest first; the last one is in force. */
  overrides: string;
  /** `type:id` of who asked. */
  requested_by: string;
  created_at: number;
  updated_at: number;
}

interface CouncilAgentsTable {
  workspace_id: string;
  agent_id: string;
  /** JSON: the workspace's override or added agent, as validated. */
  definition: string;
  created_at: number;
  updated_at: number;
}

interface CouncilRouterStatsTable {
  workspace_id: string;
  /** JSON: RouterStats (Beta counts per agent combination). */
  stats: string;
  updated_at: number;
}

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
interface PrivacySubjectKeysTable {
  workspace_id: string;
  subject: string;
  key_sealed: string;
  created_at: number;
}

/** HMAC(pepper, normalised email or phone) of erased or objecting people; no lead id beside it. */
interface PrivacySuppressionsTable {
  workspace_id: string;
  hash: string;
  /** email | phone. */
  kind: string;
  /** erasure | objection. */
  reason: string;
  created_at: number;
}

interface PrivacyRetentionTable {
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
interface PrivacySignalsTable {
  workspace_id: string;
  event_id: string;
  gpc: number;
  created_at: number;
}

/** Per-minute metric rollups (migration 060): a window is the sum of its minutes. */
interface MetricRollupsTable {
  workspace_id: string;
  metric: string;
  /** `all` or `<dimension>:<value>`, such as `source:web`. */
  segment: string;
  /** Minutes since the epoch. */
  minute: number;
  count: number;
  total: number;
}

/** How far each workspace's domain-event stream has been rolled up. */
interface MetricCursorsTable {
  workspace_id: string;
  seq: number;
  updated_at: number;
}

/** An operator account of the console (migration 050). */
interface UsersTable {
  id: string;
  email: string;
  name: string;
  /** `scrypt$N$r$p$salt$hash`, base64url parts. */
  password_hash: string;
  failed_logins: number;
  locked_until: number | null;
  created_at: number;
  password_changed_at: number;
}

/** A user's role in one workspace (workspace_id set) or in a whole organisation (workspace_id null). */
interface UserMembershipsTable {
  user_id: string;
  workspace_id: string | null;
  organisation_id: string;
  role: string;
  created_at: number;
}

interface UserSessionsTable {
  /** sha256 of the session cookie's token. */
  id: string;
  user_id: string;
  workspace_id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

interface UserInvitationsTable {
  id: string;
  token_hash: string;
  email: string;
  workspace_id: string;
  role: string;
  invited_by: string;
  created_at: number;
  expires_at: number;
  accepted_at: number | null;
}

interface WorkflowsTable {
  id: string;
  workspace_id: string;
  name: string;
  /** inactive | active */
  status: string;
  latest_version: number;
  /** The version new runs start on while active. */
  active_version: number | null;
  /** JSON: the active version's trigger types, so the trigger stage reads no definitions. */
  triggers: string;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

interface WorkflowVersionsTable {
  workspace_id: string;
  workflow_id: string;
  version: number;
  /** JSON: the workflow definition as validated; never changed once written. */
  definition: string;
  created_by: string;
  created_at: number;
}

export interface WorkflowRunsTable {
  id: string;
  workspace_id: string;
  workflow_id: string;
  /** The version the run started on and keeps to its end. */
  version: number;
  engine_version: number;
  lead_id: string | null;
  trigger: string;
  dedupe_key: string;
  /** running | completed | failed | cancelled */
  status: string;
  /** JSON: the trigger's ids and figures (no personal data). */
  input: string;
  error: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface WorkflowStepsTable {
  workspace_id: string;
  run_id: string;
  /** The step id, suffixed with loop iterations (`send#2`): memoisation is by identity, not position. */
  step_key: string;
  step_id: string;
  type: string;
  seq: number;
  /** running | waiting | completed | failed | skipped | cancelled */
  status: string;
  attempts: number;
  /** JSON, truncated: the memoised result a resumed run reads instead of acting again. */
  output: string | null;
  error: string | null;
  wake_at: number | null;
  started_at: number;
  finished_at: number | null;
}

interface WorkflowCredentialsTable {
  workspace_id: string;
  name: string;
  kind: string;
  /** SecretBox-sealed JSON; the plaintext never reaches the database or a response. */
  sealed: string;
  created_at: number;
  updated_at: number;
}

interface WorkflowSettingsTable {
  workspace_id: string;
  /** JSON: WorkflowSettings (egress allow-list, sender identity, limits). */
  settings: string;
  updated_at: number;
}

interface WorkflowSchedulesTable {
  id: string;
  workspace_id: string;
  workflow_id: string;
  /** The active version whose schedule trigger this row fires. */
  version: number;
  /** Index of the trigger in the version's `triggers`. */
  trigger_index: number;
  cron: string;
  timezone: string;
  /** The next fire time; the fire job for it carries the same value. */
  next_at: number;
  last_fired_at: number | null;
  created_at: number;
  updated_at: number;
}

interface WorkflowHooksTable {
  workspace_id: string;
  /** The endpoint's path segment, unique per workspace. */
  path: string;
  workflow_id: string;
  /** SecretBox-sealed Standard Webhooks secret (`whsec_…`). */
  sealed_secret: string;
  created_at: number;
}

/** A workspace's e-mail or SMS template (migration 042); its content lives in its versions. */
interface MessageTemplatesTable {
  id: string;
  workspace_id: string;
  name: string;
  /** `email` or `sms`. */
  channel: string;
  latest_version: number;
  created_at: number;
  updated_at: number;
}

/** One version of a template, never changed: JSON `{ subject?, text?, html? }` (logic-less Mustache). */
interface MessageTemplateVersionsTable {
  workspace_id: string;
  template_id: string;
  version: number;
  content: string;
  created_by: string;
  created_at: number;
}

/** A durable schedule: one due row per workspace and name (migration 061). */
interface SchedulesTable {
  workspace_id: string;
  name: string;
  /** The job enqueued when due (a name of the job catalog). */
  job: string;
  every_ms: number;
  next_run_at: number;
  last_run_at: number | null;
  runs: number;
}

/** A workspace's detector state, JSON (migration 061). */
interface OptimiserStateTable {
  workspace_id: string;
  state: string;
  updated_at: number;
}

/** A detector firing with its evidence (migration 061). */
export interface OptimiserAlertsTable {
  id: string;
  workspace_id: string;
  stream: string;
  kind: string;
  status: string;
  metric: string;
  segment: string;
  summary: string;
  /** JSON: metric, window, baseline, observed, test statistic, threshold. */
  evidence: string;
  /** JSON: the council's review of the alert, when it ran. */
  review: string | null;
  opened_at: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  resolved_at: number | null;
  resolution: string | null;
}

/** A bounded change the optimiser made or proposed, with its guard (migration 061). */
export interface OptimiserAdjustmentsTable {
  id: string;
  workspace_id: string;
  kind: string;
  status: string;
  origin: string;
  alert_id: string | null;
  target: string;
  before_value: string;
  after_value: string;
  reason: string;
  /** JSON: guard metric, segment, baseline, bound, detector state. */
  guard: string;
  created_at: number;
  guard_until: number;
  settled_at: number | null;
  settlement: string | null;
}

/** A lead source held from automated actions by an optimiser pause (migration 067). */
interface SourceHoldsTable {
  workspace_id: string;
  source: string;
  adjustment_id: string;
  reason: string;
  held_at: number;
}

/** The optimiser's weights for a workflow split step's variants (migration 056). */
interface SplitWeightsTable {
  workspace_id: string;
  workflow_id: string;
  step_id: string;
  /** JSON: variant name → share. */
  weights: string;
  adjustment_id: string;
  updated_at: number;
}

/** A workspace's adjustment policy, JSON (migration 061). */
interface OptimiserPoliciesTable {
  workspace_id: string;
  policy: string;
  version: number;
  updated_at: number;
}

export interface Database {
  organisations: OrganisationsTable;
  workspaces: WorkspacesTable;
  api_keys: ApiKeysTable;
  webhook_secrets: WebhookSecretsTable;
  events: SubmissionsTable;
  idempotency_keys: IdempotencyKeysTable;
  jobs: JobsTable;
  leads: LeadsTable;
  lead_history: LeadHistoryTable;
  consent_records: ConsentRecordsTable;
  scoring_rules: ScoringRulesTable;
  domain_events: DomainEventsTable;
  audit_heads: AuditHeadsTable;
  audit_log: AuditLogTable;
  widget_keys: WidgetKeysTable;
  chat_sessions: ChatSessionsTable;
  playbooks: PlaybooksTable;
  lead_outcomes: LeadOutcomesTable;
  scoring_models: ScoringModelsTable;
  lead_scores: LeadScoresTable;
  scoring_state: ScoringStateTable;
  council_decisions: CouncilDecisionsTable;
  council_agents: CouncilAgentsTable;
  council_router_stats: CouncilRouterStatsTable;
  consent_events: ConsentEventsTable;
  privacy_requests: PrivacyRequestsTable;
  privacy_subject_keys: PrivacySubjectKeysTable;
  privacy_suppressions: PrivacySuppressionsTable;
  privacy_retention: PrivacyRetentionTable;
  privacy_signals: PrivacySignalsTable;
  metric_rollups: MetricRollupsTable;
  metric_cursors: MetricCursorsTable;
  users: UsersTable;
  user_memberships: UserMembershipsTable;
  user_sessions: UserSessionsTable;
  user_invitations: UserInvitationsTable;
  identity_claims: IdentityClaimsTable;
  workflows: WorkflowsTable;
  workflow_versions: WorkflowVersionsTable;
  workflow_runs: WorkflowRunsTable;
  workflow_steps: WorkflowStepsTable;
  workflow_credentials: WorkflowCredentialsTable;
  workflow_settings: WorkflowSettingsTable;
  workflow_schedules: WorkflowSchedulesTable;
  workflow_hooks: WorkflowHooksTable;
  message_templates: MessageTemplatesTable;
  message_template_versions: MessageTemplateVersionsTable;
  schedules: SchedulesTable;
  optimiser_state: OptimiserStateTable;
  optimiser_alerts: OptimiserAlertsTable;
  optimiser_adjustments: OptimiserAdjustmentsTable;
  optimiser_policies: OptimiserPoliciesTable;
  source_holds: SourceHoldsTable;
  split_weights: SplitWeightsTable;
  chat_knowledge: ChatKnowledgeTable;
}

/**
 * Tables holding one workspace's data. On PostgreSQL each has row-level security (migration 005);
 * the row-level security test checks every table of the schema is here or in `DIRECTORY_TABLES`.
 */
export const TENANT_TABLES = [
  'webhook_secrets',
  'events',
  'idempotency_keys',
  'jobs',
  'leads',
  'lead_history',
  'consent_records',
  'scoring_rules',
  'domain_events',
  'audit_heads',
  'audit_log',
  'chat_sessions',
  'playbooks',
  'lead_outcomes',
  'scoring_models',
  'lead_scores',
  'scoring_state',
  'council_decisions',
  'council_agents',
  'council_router_stats',
  'consent_events',
  'privacy_requests',
  'privacy_subject_keys',
  'privacy_suppressions',
  'privacy_retention',
  'privacy_signals',
  'metric_rollups',
  'metric_cursors',
  'identity_claims',
  'workflows',
  'workflow_versions',
  'workflow_runs',
  'workflow_steps',
  'workflow_credentials',
  'workflow_settings',
  'workflow_schedules',
  'workflow_hooks',
  'message_templates',
  'message_template_versions',
  'schedules',
  'optimiser_state',
  'optimiser_alerts',
  'optimiser_adjustments',
  'optimiser_policies',
  'source_holds',
  'split_weights',
  'chat_knowledge',
] as const satisfies readonly (keyof Database)[];

/**
 * Tables read before a workspace is known: they route a credential (API key hash, publishable
 * widget key, session cookie) or a URL to its workspace. They hold no lead data. On PostgreSQL the
 * key tables are reached only through definer functions (migration 012), `workspaces` and
 * `organisations` are readable with scoped writes (014), and the console's account tables have
 * row-level security with definer lookups by e-mail or token (016).
 */
export const DIRECTORY_TABLES = [
  'organisations',
  'workspaces',
  'api_keys',
  'widget_keys',
  'users',
  'user_memberships',
  'user_sessions',
  'user_invitations',
] as const satisfies readonly (keyof Database)[];

/**
 * PostgreSQL only, and only the owner's (and so the definer functions') to read: the data-scope
 * signing key (migration 013). The application's role has no privilege on them; the repositories
 * never touch them, so they are not in {@link Database}.
 */
export const OWNER_TABLES = ['scope_keys'] as const;
