// Chat sessions, each workspace's knowledge and playbooks.
// Portable shapes (see ../schema.ts): epoch-millisecond times, JSON as text, 0/1 booleans.

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
export interface ChatKnowledgeTable {
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

export interface PlaybooksTable {
  workspace_id: string;
  id: string;
  version: number;
  /** JSON: a playbook definition. */
  definition: string;
  updated_at: number;
}
