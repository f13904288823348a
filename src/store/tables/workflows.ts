// Workflows, versions, runs and steps, credentials, settings, schedules, inbound hooks and message templates.
// Portable shapes (see ../schema.ts): epoch-millisecond times, JSON as text, 0/1 booleans.

export interface WorkflowsTable {
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

export interface WorkflowVersionsTable {
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

export interface WorkflowCredentialsTable {
  workspace_id: string;
  name: string;
  kind: string;
  /** SecretBox-sealed JSON; the plaintext never reaches the database or a response. */
  sealed: string;
  created_at: number;
  updated_at: number;
}

export interface WorkflowSettingsTable {
  workspace_id: string;
  /** JSON: WorkflowSettings (egress allow-list, sender identity, limits). */
  settings: string;
  updated_at: number;
}

export interface WorkflowSchedulesTable {
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

export interface WorkflowHooksTable {
  workspace_id: string;
  /** The endpoint's path segment, unique per workspace. */
  path: string;
  workflow_id: string;
  /** SecretBox-sealed Standard Webhooks secret (`whsec_…`). */
  sealed_secret: string;
  created_at: number;
}

/** A workspace's e-mail or SMS template (migration 042); its content lives in its versions. */
export interface MessageTemplatesTable {
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
export interface MessageTemplateVersionsTable {
  workspace_id: string;
  template_id: string;
  version: number;
  content: string;
  created_by: string;
  created_at: number;
}
