import { z } from 'zod';
import { LeadloopError } from '../../core/index.ts';
import { credentialInputSchema, workspaceWorkflowSettingsSchema } from '../../workflows/index.ts';
import type { HttpDeps } from '../deps.ts';
import { actorOf, type DeclareRoute, workspaceOf } from '../route.ts';
import { iso } from '../schemas.ts';
import { workflowsOf } from './workflow-route-schemas.ts';

const credentialName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'must be letters, digits, ".", "_" or "-" (at most 100)');

/** A workspace's workflow settings (egress, sender, limits) and its sealed credentials. */
export function registerWorkflowSettingsRoutes(route: DeclareRoute, deps: HttpDeps): void {
  const wf = () => workflowsOf(deps);
  const tag = 'workflows';

  route({
    method: 'GET',
    url: '/v1/workflow-settings',
    operationId: 'getWorkflowSettings',
    summary: 'Egress allow-list, sender identity and limits of workflows',
    tag,
    auth: 'admin',
    responses: { 200: { description: 'Settings', schema: workspaceWorkflowSettingsSchema } },
    handler: async ({ principal }) => wf().read((db) => wf().settings.get(db, workspaceOf(principal))),
  });

  route({
    method: 'PUT',
    url: '/v1/workflow-settings',
    operationId: 'putWorkflowSettings',
    summary: 'Replace the workflow settings (omitted fields take defaults)',
    tag,
    auth: 'admin',
    body: workspaceWorkflowSettingsSchema,
    responses: { 200: { description: 'Settings', schema: workspaceWorkflowSettingsSchema } },
    handler: async ({ principal, body }) => {
      const ws = workspaceOf(principal);
      await wf().transaction(async (trx) => {
        await wf().settings.put(trx, ws, body);
        await deps.audit.append(trx, ws.workspaceId, {
          actor: actorOf(principal),
          action: 'workflow.settings_changed',
          subject: ws.workspaceId,
          reason: 'workflow settings replaced',
          data: { egressAllow: body.egressAllow.length },
        });
      });
      return body;
    },
  });

  const credentialSummary = z.object({
    name: z.string(),
    kind: z.string(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  });
  route({
    method: 'GET',
    url: '/v1/workflow-credentials',
    operationId: 'listWorkflowCredentials',
    summary: 'Names and kinds of stored credentials (never their values)',
    tag,
    auth: 'admin',
    responses: {
      200: { description: 'Credentials', schema: z.object({ items: z.array(credentialSummary) }) },
    },
    handler: async ({ principal }) => ({
      items: (await wf().read((db) => wf().credentials.list(db, workspaceOf(principal)))).map((c) => ({
        ...c,
        createdAt: iso(c.createdAt),
        updatedAt: iso(c.updatedAt),
      })),
    }),
  });

  route({
    method: 'PUT',
    url: '/v1/workflow-credentials/:name',
    operationId: 'putWorkflowCredential',
    summary: 'Store a credential, sealed at rest; the value is never returned',
    tag,
    auth: 'admin',
    params: z.object({ name: credentialName }),
    body: credentialInputSchema,
    responses: { 200: { description: 'Stored', schema: credentialSummary } },
    handler: async ({ principal, params, body }) => {
      const ws = workspaceOf(principal);
      const stored = await wf().transaction(async (trx) => {
        const summary = await wf().credentials.put(trx, ws, params.name, body);
        await deps.audit.append(trx, ws.workspaceId, {
          actor: actorOf(principal),
          action: 'workflow.credential_stored',
          subject: params.name,
          reason: `credential of kind ${body.kind} stored (sealed)`,
        });
        return summary;
      });
      return { ...stored, createdAt: iso(stored.createdAt), updatedAt: iso(stored.updatedAt) };
    },
  });

  route({
    method: 'DELETE',
    url: '/v1/workflow-credentials/:name',
    operationId: 'deleteWorkflowCredential',
    summary: 'Delete a credential',
    tag,
    auth: 'admin',
    params: z.object({ name: credentialName }),
    status: 204,
    responses: { 204: { description: 'Deleted' } },
    handler: async ({ principal, params }) => {
      const ws = workspaceOf(principal);
      const removed = await wf().transaction(async (trx) => {
        const done = await wf().credentials.remove(trx, ws, params.name);
        if (done)
          await deps.audit.append(trx, ws.workspaceId, {
            actor: actorOf(principal),
            action: 'workflow.credential_deleted',
            subject: params.name,
            reason: 'credential deleted',
          });
        return done;
      });
      if (!removed)
        throw new LeadloopError('not_found', `credential ${params.name} not found in this workspace`, {
          issues: [{ field: 'path.name', reason: 'no such credential' }],
        });
    },
  });
}
