// Durable schedules and the optimiser's state, alerts, adjustments, source holds and policies.
// Portable shapes (see ../schema.ts): epoch-millisecond times, JSON as text, 0/1 booleans.

/** A durable schedule: one due row per workspace and name (migration 061). */
export interface SchedulesTable {
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
export interface OptimiserStateTable {
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
export interface SourceHoldsTable {
  workspace_id: string;
  source: string;
  adjustment_id: string;
  reason: string;
  held_at: number;
}

/** The optimiser's weights for a workflow split step's variants (migration 056). */
export interface SplitWeightsTable {
  workspace_id: string;
  workflow_id: string;
  step_id: string;
  /** JSON: variant name → share. */
  weights: string;
  adjustment_id: string;
  updated_at: number;
}

/** The order a workspace's chat asks a playbook's questions in, set by the optimiser (migration 035). */
export interface QuestionOrdersTable {
  workspace_id: string;
  playbook_id: string;
  /** JSON: the question slots, first asked first. */
  question_order: string;
  adjustment_id: string;
  updated_at: number;
}

/** A workspace's adjustment policy, JSON (migration 061). */
export interface OptimiserPoliciesTable {
  workspace_id: string;
  policy: string;
  version: number;
  updated_at: number;
}
