import { z } from 'zod';
import { ruleSetSchema } from '../../scoring/index.ts';
import type { ListedApiKey } from '../../tenants/index.ts';
import { workspaceSettingsSchema } from '../../tenants/index.ts';
import { actorNames } from '../actor-names.ts';
import type { HttpDeps } from '../deps.ts';
import { actorOf, type DeclareRoute, workspaceOf } from '../route.ts';
import { idParam, iso, isoOrNull } from '../schemas.ts';

const storedRuleSetSchema = ruleSetSchema.extend({
  version: z.number().int(),
  updatedAt: z.iso.datetime().nullable(),
});

const apiKeySchema = z.object({
  id: z.string(),
  scope: z.enum(['admin', 'ingest', 'read', 'advise']),
  label: z.string(),
  createdAt: z.iso.datetime(),
  createdBy: z
    .string()
    .nullable()
    .describe('`user:<id>`, `api_key:<id>` or `cli:<name>`; null for keys made before this was recorded'),
  createdByName: z
    .string()
    .nullable()
    .describe("The creating user's name (else e-mail) or key's label; null for other creators"),
  lastUsedAt: z.iso.datetime().nullable().describe('When it last authenticated, to the minute'),
  revokedAt: z.iso.datetime().nullable(),
});

const apiKeyJson = (key: ListedApiKey, nameOf: (actor: string | null) => string | null) => ({
  ...key,
  createdByName: nameOf(key.createdBy),
  createdAt: iso(key.createdAt),
  lastUsedAt: isoOrNull(key.lastUsedAt),
  revokedAt: isoOrNull(key.revokedAt),
});

export function registerAdminRoutes(route: DeclareRoute, deps: HttpDeps): void {
  const { tenants, rules, queue } = deps;

  route({
    method: 'GET',
    url: '/v1/workspace',
    operationId: 'getWorkspace',
    summary: "The key's workspace and its settings",
    tag: 'Workspace',
    auth: 'read',
    responses: { 200: { description: 'The workspace' } },
    async handler({ principal }) {
      const ctx = workspaceOf(principal);
      const workspace = await tenants.getWorkspace(ctx.workspaceId);
      return { ...workspace, createdAt: iso(workspace?.createdAt ?? 0) };
    },
  });

  route({
    method: 'PUT',
    url: '/v1/workspace/settings',
    operationId: 'updateWorkspaceSettings',
    summary: 'Replace the workspace settings (ingestion rate limit)',
    tag: 'Workspace',
    auth: 'admin',
    body: workspaceSettingsSchema,
    responses: { 200: { description: 'The updated workspace' } },
    async handler({ principal, body }) {
      const ctx = workspaceOf(principal);
      const workspace = await tenants.updateSettings(ctx.workspaceId, body, actorOf(principal));
      return { ...workspace, createdAt: iso(workspace.createdAt) };
    },
  });

  route({
    method: 'POST',
    url: '/v1/api-keys',
    operationId: 'createApiKey',
    summary: 'Create an API key for this workspace (shown once)',
    tag: 'Workspace',
    auth: 'admin',
    body: z
      .object({ scope: z.enum(['admin', 'ingest', 'read', 'advise']), label: z.string().max(100).optional() })
      .strict(),
    status: 201,
    responses: {
      201: {
        description: 'The new key',
        schema: z.object({ id: z.string(), key: z.string(), scope: z.string() }),
      },
    },
    async handler({ principal, body }) {
      const ctx = workspaceOf(principal);
      const created = await tenants.createApiKey({
        workspaceId: ctx.workspaceId,
        scope: body.scope,
        label: body.label,
        actor: actorOf(principal),
      });
      return { ...created, scope: body.scope };
    },
  });

  route({
    method: 'GET',
    url: '/v1/api-keys',
    operationId: 'listApiKeys',
    summary: "This workspace's API keys, oldest first, revoked ones included (never the key itself)",
    tag: 'Workspace',
    auth: 'admin',
    responses: {
      200: { description: 'The keys', schema: z.object({ items: z.array(apiKeySchema) }) },
    },
    async handler({ principal }) {
      const { workspaceId } = workspaceOf(principal);
      const keys = await tenants.listApiKeys(workspaceId);
      const nameOf = await actorNames(
        deps,
        workspaceId,
        keys.map((k) => k.createdBy),
      );
      return { items: keys.map((key) => apiKeyJson(key, nameOf)) };
    },
  });

  route({
    method: 'DELETE',
    url: '/v1/api-keys/:id',
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key of this workspace: it is refused from the next request on',
    description:
      "404 for a key that is not this workspace's. 409 when it would leave the workspace with no admin key and no console admin. Revoking a revoked key answers it unchanged.",
    tag: 'Workspace',
    auth: 'admin',
    params: z.object({ id: idParam('key') }).strict(),
    responses: { 200: { description: 'The revoked key', schema: apiKeySchema } },
    async handler({ principal, params }) {
      const { workspaceId } = workspaceOf(principal);
      const revoked = await tenants.revokeApiKey({ workspaceId, id: params.id, actor: actorOf(principal) });
      return apiKeyJson(revoked, await actorNames(deps, workspaceId, [revoked.createdBy]));
    },
  });

  route({
    method: 'POST',
    url: '/v1/webhook-secrets/rotate',
    operationId: 'rotateWebhookSecret',
    summary: 'Rotate the webhook signing secret; old secrets keep verifying during the overlap',
    tag: 'Workspace',
    auth: 'admin',
    body: z
      .object({
        overlapSeconds: z
          .number()
          .int()
          .min(0)
          .max(30 * 86_400)
          .default(86_400),
      })
      .strict(),
    status: 201,
    responses: {
      201: {
        description: 'The new secret',
        schema: z.object({ id: z.string(), secret: z.string(), previousExpiresAt: z.iso.datetime() }),
      },
    },
    async handler({ principal, body }) {
      const ctx = workspaceOf(principal);
      const rotated = await tenants.rotateSecret({
        workspaceId: ctx.workspaceId,
        overlapSeconds: body.overlapSeconds,
        actor: actorOf(principal),
      });
      return { ...rotated, previousExpiresAt: iso(rotated.previousExpiresAt) };
    },
  });

  route({
    method: 'GET',
    url: '/v1/scoring/rules',
    operationId: 'getScoringRules',
    summary: "The workspace's point rules and qualification threshold",
    tag: 'Scoring',
    auth: 'read',
    responses: {
      200: { description: 'Rules (version 0 = the built-in B2B defaults)', schema: storedRuleSetSchema },
    },
    async handler({ principal }) {
      const stored = await rules.current(workspaceOf(principal));
      return { ...stored, updatedAt: stored.updatedAt === null ? null : iso(stored.updatedAt) };
    },
  });

  route({
    method: 'PUT',
    url: '/v1/scoring/rules',
    operationId: 'putScoringRules',
    summary: 'Replace the point rules and threshold (applies to leads processed from now on)',
    tag: 'Scoring',
    auth: 'admin',
    body: ruleSetSchema,
    responses: { 200: { description: 'The stored rules', schema: storedRuleSetSchema } },
    async handler({ principal, body }) {
      const stored = await rules.put(workspaceOf(principal), body, actorOf(principal));
      return { ...stored, updatedAt: stored.updatedAt === null ? null : iso(stored.updatedAt) };
    },
  });

  route({
    method: 'GET',
    url: '/v1/jobs/dead',
    operationId: 'listDeadJobs',
    summary: 'Dead-lettered jobs of this workspace',
    tag: 'Jobs',
    auth: 'admin',
    query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }).strict(),
    responses: { 200: { description: 'Dead jobs, newest first' } },
    async handler({ principal, query }) {
      const ctx = workspaceOf(principal);
      const dead = await queue.listDead({ workspaceId: ctx.workspaceId, limit: query.limit });
      return {
        items: dead.map(({ workspaceId: _ws, updatedAt, ...rest }) => ({
          ...rest,
          updatedAt: iso(updatedAt),
        })),
        nextCursor: null,
      };
    },
  });

  route({
    method: 'POST',
    url: '/v1/jobs/dead/replay',
    operationId: 'replayDeadJobs',
    summary: 'Put dead jobs of this workspace back in the queue (all, or the given ids)',
    tag: 'Jobs',
    auth: 'admin',
    body: z.object({ jobIds: z.array(z.string().max(64)).max(1000).optional() }).strict(),
    responses: {
      200: { description: 'How many were replayed', schema: z.object({ replayed: z.number().int() }) },
    },
    async handler({ principal, body }) {
      const ctx = workspaceOf(principal);
      return { replayed: await queue.replay({ workspaceId: ctx.workspaceId, jobIds: body.jobIds }) };
    },
  });
}
