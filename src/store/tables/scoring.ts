// Outcomes, trained model versions, lead scores and scoring state.
// Portable shapes (see ../schema.ts): epoch-millisecond times, JSON as text, 0/1 booleans.

export interface LeadOutcomesTable {
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

export interface ScoringModelsTable {
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

export interface LeadScoresTable {
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

export interface ScoringStateTable {
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
