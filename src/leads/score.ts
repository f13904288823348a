/** One reason in a lead's score: a point rule, a chat answer or a model's line. */
export interface ScoreLine {
  ruleId: string;
  description: string;
  points: number;
}

/** A lead's score with its reasons and the threshold it was held against. */
export interface ScoreResult {
  score: number;
  breakdown: ScoreLine[];
  qualified: boolean;
  threshold: number;
}

/** The score lines contributed so far while one event is processed; the `score` stage sums them. */
export interface ScoringDraft {
  model: string;
  threshold: number;
  lines: ScoreLine[];
  /** Set by a stage that qualifies the lead whatever its points (a model's threshold, a playbook). */
  qualifiedBy: string | null;
  /**
   * Set by a predictive stage: the model version and its probability for this lead, carried on
   * `lead.scored` (figures only) so the live score distribution can be compared with the model's
   * training scores.
   */
  prediction?: { version: number; probability: number };
}
