import { z } from 'zod';

/** Per-workspace settings, stored as JSON on the workspace row. */
export const workspaceSettingsSchema = z
  .object({
    rateLimit: z
      .object({
        /** Sustained requests per second for ingestion routes. */
        perSecond: z.number().int().positive().max(100_000),
        /** Requests allowed in a burst above the sustained rate. */
        burst: z.number().int().positive().max(1_000_000),
      })
      .default({ perSecond: 5_000, burst: 10_000 }),
  })
  .strict();

export type WorkspaceSettings = z.infer<typeof workspaceSettingsSchema>;

export function parseSettings(json: string): WorkspaceSettings {
  return workspaceSettingsSchema.parse(JSON.parse(json || '{}'));
}
