import { z } from 'zod';
import type { Clock } from '../../core/index.ts';
import type { Db } from '../../store/index.ts';
import { fromJson, workspaceRow } from '../../store/index.ts';
import type { WorkspaceRef } from '../ports.ts';

/** A workspace's workflow settings: where steps may send, who e-mail comes from, limits. */
export const workspaceWorkflowSettingsSchema = z
  .object({
    /** Private hosts, addresses or CIDRs steps may reach (`127.0.0.1`, `10.0.0.0/8`, `crm.internal`). */
    egressAllow: z.array(z.string().min(1).max(255)).max(100).default([]),
    sender: z
      .object({
        from: z.string().min(3).max(320),
        replyTo: z.string().min(3).max(320).optional(),
        postalAddress: z.string().min(10).max(500),
      })
      .strict()
      .nullable()
      .default(null),
    /** Base URL recipients unsubscribe at (`…/v1/unsubscribe/<token>` is appended). */
    unsubscribeBaseUrl: z.url().nullable().default(null),
    /** Runs of one workflow executing at once; more wait their turn. */
    concurrencyPerWorkflow: z.number().int().min(1).max(10_000).default(100),
    /** Calls per second per connector (e-mail, http, webhook, chat, crm) for this workspace. */
    ratePerConnector: z.number().min(0.1).max(10_000).default(50),
    /** Step outputs are cut to this many bytes of JSON (run history stays small). */
    maxStepOutputBytes: z.number().int().min(256).max(65_536).default(4096),
  })
  .strict();

export type WorkspaceWorkflowSettings = z.infer<typeof workspaceWorkflowSettingsSchema>;

/**
 * Keys stored settings may hold that the schema no longer has: `runRetentionDays` was never
 * honoured (finished runs follow the privacy retention policy's `workflowRunsDays`), so it was
 * removed; stored rows that carry it must still parse rather than fall back to the defaults.
 */
const RETIRED_KEYS = ['runRetentionDays'];

function withoutRetiredKeys(stored: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(stored).filter(([key]) => !RETIRED_KEYS.includes(key)));
}

const DEFAULT_WORKSPACE_WORKFLOW_SETTINGS: WorkspaceWorkflowSettings = workspaceWorkflowSettingsSchema.parse(
  {},
);

export interface SettingsStore {
  get(db: Db, ctx: WorkspaceRef): Promise<WorkspaceWorkflowSettings>;
  put(db: Db, ctx: WorkspaceRef, settings: WorkspaceWorkflowSettings): Promise<void>;
}

export function createSettingsStore(options: { clock: Clock }): SettingsStore {
  return {
    async get(db, ctx) {
      const row = await workspaceRow(db, 'workflow_settings', ctx.workspaceId, {}, ['settings']);
      if (!row) return DEFAULT_WORKSPACE_WORKFLOW_SETTINGS;
      const parsed = workspaceWorkflowSettingsSchema.safeParse(
        withoutRetiredKeys(fromJson<Record<string, unknown>>(row.settings, {})),
      );
      return parsed.success ? parsed.data : DEFAULT_WORKSPACE_WORKFLOW_SETTINGS;
    },
    async put(db, ctx, settings) {
      const now = options.clock.now();
      // Validated here too, so a caller bypassing the route cannot store settings `get` would ignore.
      const json = JSON.stringify(workspaceWorkflowSettingsSchema.parse(settings));
      await db
        .insertInto('workflow_settings')
        .values({ workspace_id: ctx.workspaceId, settings: json, updated_at: now })
        .onConflict((oc) => oc.column('workspace_id').doUpdateSet({ settings: json, updated_at: now }))
        .execute();
    },
  };
}
