import { z } from 'zod';
import type { Clock, SecretBox } from '../../core/index.ts';
import type { Db } from '../../store/index.ts';
import { workspaceRow } from '../../store/index.ts';
import type { WorkspaceRef } from '../ports.ts';

/**
 * What a credential may hold, by kind. Values are sealed with the secret box, bound to the workspace
 * and the credential's name (a row copied to another workspace or renamed does not open), and never
 * leave this module except to the step that uses them: listings show names and kinds only.
 */
export const credentialInputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('webhook_secret'), secret: z.string().min(16).max(200) }).strict(),
  z.object({ kind: z.literal('bearer_token'), token: z.string().min(1).max(4000) }).strict(),
  z.object({ kind: z.literal('chat_webhook'), url: z.url().max(2000) }).strict(),
  z
    .object({
      kind: z.literal('google_oauth'),
      /** The OAuth client (Google Cloud console) the refresh token was issued to. */
      clientId: z.string().min(1).max(500),
      clientSecret: z.string().min(1).max(500),
      refreshToken: z.string().min(1).max(2000),
      /** The current access token and when it expires (ms); refreshed and stored back when due. */
      accessToken: z.string().min(1).max(4000).optional(),
      expiresAt: z.number().int().min(0).optional(),
      /** The token endpoint; default Google's (`https://oauth2.googleapis.com/token`). */
      tokenUrl: z.url().optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('hubspot'),
      token: z.string().min(1).max(4000),
      baseUrl: z.url().optional(),
      /** A unique-value property that keys companies and deals (contacts are keyed by e-mail). */
      keyProperty: z
        .string()
        .regex(/^[a-z][a-z0-9_]{0,99}$/)
        .optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('salesforce'),
      token: z.string().min(1).max(4000),
      instanceUrl: z.url(),
      externalIdField: z
        .string()
        .regex(/^[A-Za-z][A-Za-z0-9_]{0,79}$/)
        .optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('twilio'),
      accountSid: z.string().regex(/^AC[0-9A-Za-z]{8,64}$/, 'a Twilio account sid starts with AC'),
      authToken: z.string().min(1).max(200),
      from: z
        .string()
        .min(1)
        .max(64)
        .describe('E.164 number, alphanumeric sender id or messaging service sid (MG…)'),
      baseUrl: z.url().optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('pipedrive'),
      token: z.string().min(1).max(4000),
      /** The company domain's API root (`https://acme.pipedrive.com/api`); default the public API. */
      baseUrl: z.url().optional(),
      /**
       * The API key (40-hex hash) of a text custom field on deals and leads that also keeps the
       * step's idempotency key, found through Pipedrive's search. Optional: without it a retried
       * deal or lead creation is found by its `origin_id` among the person's deals or leads.
       */
      keyField: z.string().min(1).max(100).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('google_sheets'),
      /** An OAuth access token with the spreadsheets scope. */
      token: z.string().min(1).max(4000),
      baseUrl: z.url().optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('airtable'),
      /** A personal access token with `data.records:read` / `data.records:write` on the base. */
      token: z.string().min(1).max(4000),
      baseUrl: z.url().optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('header'),
      name: z.string().min(1).max(100),
      value: z.string().min(1).max(4000),
    })
    .strict(),
]);

type CredentialInput = z.infer<typeof credentialInputSchema>;
type CredentialKind = CredentialInput['kind'];

interface CredentialSummary {
  name: string;
  kind: CredentialKind;
  createdAt: number;
  updatedAt: number;
}

export interface CredentialStore {
  put(db: Db, ctx: WorkspaceRef, name: string, input: CredentialInput): Promise<CredentialSummary>;
  list(db: Db, ctx: WorkspaceRef): Promise<CredentialSummary[]>;
  remove(db: Db, ctx: WorkspaceRef, name: string): Promise<boolean>;
  /** For the step that uses it; null when missing or of another kind. */
  reveal<K extends CredentialKind>(
    db: Db,
    ctx: WorkspaceRef,
    name: string,
    kind: K,
  ): Promise<Extract<CredentialInput, { kind: K }> | null>;
}

const contextOf = (workspaceId: string, name: string) => `workflow-credential:${workspaceId}:${name}`;

export function createCredentialStore(options: { box: SecretBox; clock: Clock }): CredentialStore {
  const { box, clock } = options;
  return {
    async put(db, ctx, name, input) {
      const now = clock.now();
      const sealed = box.seal(JSON.stringify(input), contextOf(ctx.workspaceId, name));
      await db
        .insertInto('workflow_credentials')
        .values({
          workspace_id: ctx.workspaceId,
          name,
          kind: input.kind,
          sealed,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) =>
          oc.columns(['workspace_id', 'name']).doUpdateSet({ kind: input.kind, sealed, updated_at: now }),
        )
        .execute();
      const row = await db
        .selectFrom('workflow_credentials')
        .select(['created_at'])
        .where('workspace_id', '=', ctx.workspaceId)
        .where('name', '=', name)
        .executeTakeFirstOrThrow();
      return { name, kind: input.kind, createdAt: Number(row.created_at), updatedAt: now };
    },
    async list(db, ctx) {
      const rows = await db
        .selectFrom('workflow_credentials')
        .select(['name', 'kind', 'created_at', 'updated_at'])
        .where('workspace_id', '=', ctx.workspaceId)
        .orderBy('name')
        .execute();
      return rows.map((r) => ({
        name: r.name,
        kind: r.kind as CredentialKind,
        createdAt: Number(r.created_at),
        updatedAt: Number(r.updated_at),
      }));
    },
    async remove(db, ctx, name) {
      const result = await db
        .deleteFrom('workflow_credentials')
        .where('workspace_id', '=', ctx.workspaceId)
        .where('name', '=', name)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async reveal(db, ctx, name, kind) {
      const row = await workspaceRow(db, 'workflow_credentials', ctx.workspaceId, { name }, [
        'kind',
        'sealed',
      ]);
      if (!row || row.kind !== kind) return null;
      const value = JSON.parse(box.open(row.sealed, contextOf(ctx.workspaceId, name))) as CredentialInput;
      return value.kind === kind ? (value as Extract<CredentialInput, { kind: typeof kind }>) : null;
    },
  };
}
