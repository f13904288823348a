import { z } from 'zod';

/** Zod runs refinements even after `url()` failed, so this must not throw on a non-URL. */
function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

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
    widget: z
      .object({
        /** Origins (`https://www.example.com`) allowed to embed the chat widget; empty means any. */
        allowedOrigins: z
          .array(z.url().refine(isOrigin, 'must be an origin like https://www.example.com'))
          .max(100),
      })
      .default({ allowedOrigins: [] }),
    chat: z
      .object({
        /** Seconds a visitor who asked for a person waits before the bot says nobody is free and offers a follow-up. */
        handoffTimeoutSeconds: z.number().int().min(10).max(86_400),
      })
      .default({ handoffTimeoutSeconds: 120 }),
    privacy: z
      .object({
        /**
         * The privacy notice shown at collection: the widget links it, with its version, at the
         * consent step, and the consent recorded there carries the version and a sha256.
         */
        notice: z
          .object({
            version: z.string().trim().min(1).max(64),
            url: z.url({ protocol: /^https?$/ }),
            /** The notice's text; only used for its sha256 (without it the hash covers version and URL). */
            text: z.string().min(1).max(50_000).optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

export type WorkspaceSettings = z.infer<typeof workspaceSettingsSchema>;
/** Settings as a client sends them: omitted groups take their defaults. */
export type WorkspaceSettingsInput = z.input<typeof workspaceSettingsSchema>;

export function parseSettings(json: string): WorkspaceSettings {
  return workspaceSettingsSchema.parse(JSON.parse(json || '{}'));
}
