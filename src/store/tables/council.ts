// The council's decisions, agents and router statistics.
// Portable shapes (see ../schema.ts): epoch-millisecond times, JSON as text, 0/1 booleans.

export interface CouncilDecisionsTable {
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

export interface CouncilAgentsTable {
  workspace_id: string;
  agent_id: string;
  /** JSON: the workspace's override or added agent, as validated. */
  definition: string;
  created_at: number;
  updated_at: number;
}

export interface CouncilRouterStatsTable {
  workspace_id: string;
  /** JSON: RouterStats (Beta counts per agent combination). */
  stats: string;
  updated_at: number;
}
