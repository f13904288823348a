// Streaming metric rollups and how far each workspace's stream is rolled up.
// Portable shapes (see ../schema.ts): epoch-millisecond times, JSON as text, 0/1 booleans.

/** Per-minute metric rollups (migration 060): a window is the sum of its minutes. */
export interface MetricRollupsTable {
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
export interface MetricCursorsTable {
  workspace_id: string;
  seq: number;
  updated_at: number;
}
