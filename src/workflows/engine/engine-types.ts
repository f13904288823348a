export interface StartRunInput {
  workflowId: string;
  /** A pinned version; default the workflow's active version. */
  version?: number;
  trigger: string;
  leadId: string | null;
  /** One run per workflow and key: the trigger occurrence (`lead.qualified:<event id>`). */
  dedupeKey: string;
  input?: Record<string, unknown>;
}

export type StartRun = (
  db: import('../../store/index.ts').Db,
  workspaceId: string,
  input: StartRunInput,
) => Promise<{ runId: string; created: boolean } | null>;
