import { z } from 'zod';
import type { HttpDeps } from '../deps.ts';
import { admitInbound } from '../inbound-admit.ts';
import { webhookHeaders } from '../request-headers.ts';
import { type DeclareRoute, workspaceOf } from '../route.ts';
import { workflowId, workflowsOf } from './workflow-route-schemas.ts';

const hookSchema = z.object({
  path: z.string(),
  workflowId: z.string(),
  url: z.string(),
  secret: z.string().describe('Standard Webhooks secret (whsec_…) the sender signs with'),
});

/** Each workflow's own inbound endpoint (`webhook` trigger) and how its owner reads the endpoint's secret. */
export function registerWorkflowHookRoutes(route: DeclareRoute, deps: HttpDeps): void {
  route({
    method: 'POST',
    url: '/v1/hooks/:workspaceId/:path',
    operationId: 'receiveWorkflowHook',
    summary: 'Start a run of a workflow through its own signed endpoint',
    description:
      "Signed per Standard Webhooks with the endpoint's secret (GET /v1/workflows/{id}/hooks). The signature is checked before anything else: failed ones count against the caller's address (401, then 429), and only a verified call is charged to the workspace's rate limit (429 over it); the body must be a JSON object and becomes the run's `trigger.body` (a string `leadId` naming a lead of the workspace makes it the run's lead). The run is committed before the 202; a replayed `webhook-id` answers with the same run and starts nothing.",
    tag: 'workflows',
    auth: 'webhook',
    params: z.object({
      workspaceId: z.string().regex(/^ws_[0-9A-Z]{26}$/),
      path: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
    }),
    rawBody: true,
    headers: [
      { name: 'webhook-id', description: 'Unique message id; the idempotency key', required: true },
      { name: 'webhook-timestamp', description: 'Seconds since the epoch', required: true },
      { name: 'webhook-signature', description: 'v1,<base64 signature>', required: true },
    ],
    status: 202,
    responses: {
      202: {
        description: 'The run is stored and queued',
        schema: z.object({ runId: z.string(), replayed: z.boolean() }),
      },
    },
    async handler({ params, rawBody, request }) {
      // The webhook-id is checked before anything else, as the lead webhook does.
      const headers = webhookHeaders(request);
      return workflowsOf(deps).receiveHook(params.workspaceId, params.path, headers, rawBody, () =>
        admitInbound(deps, params.workspaceId),
      );
    },
  });

  route({
    method: 'GET',
    url: '/v1/workflows/:id/hooks',
    operationId: 'listWorkflowHooks',
    summary: "A workflow's inbound endpoints with their signing secrets",
    description:
      'An endpoint exists for each `webhook` trigger once the workflow was activated; its secret stays the same across versions.',
    tag: 'workflows',
    auth: 'admin',
    params: z.object({ id: workflowId }),
    responses: { 200: { description: 'Endpoints', schema: z.object({ items: z.array(hookSchema) }) } },
    handler: async ({ principal, params }) => {
      const ws = workspaceOf(principal);
      await workflowsOf(deps).service.get(ws, params.id);
      return { items: await workflowsOf(deps).hooksOf(ws.workspaceId, params.id) };
    },
  });
}
