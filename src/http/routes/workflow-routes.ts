import { z } from 'zod';
import type { WorkflowDetail, WorkflowSummary } from '../../workflows/index.ts';
import type { HttpDeps } from '../deps.ts';
import { actorOf, type DeclareRoute, workspaceOf } from '../route.ts';
import { idParam, iso } from '../schemas.ts';
import { documentBody, workflowId, workflowsOf } from './workflow-route-schemas.ts';

const runId = idParam('wfr');
const summarySchema = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(['active', 'inactive']),
  latestVersion: z.number().int(),
  activeVersion: z.number().int().nullable(),
  triggers: z.array(z.string()),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
const detailSchema = summarySchema.extend({
  version: z.number().int(),
  definition: z.record(z.string(), z.unknown()),
  warnings: z.array(z.object({ code: z.string(), path: z.string(), message: z.string() })),
});
const runSchema = z.object({
  id: z.string(),
  workflowId: z.string(),
  version: z.number().int(),
  leadId: z.string().nullable(),
  trigger: z.string(),
  status: z.string(),
  error: z.string().nullable(),
  createdAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
});
const runDetailSchema = runSchema.extend({
  steps: z.array(
    z.object({
      stepKey: z.string(),
      stepId: z.string(),
      type: z.string(),
      status: z.string(),
      attempts: z.number().int(),
      output: z.unknown().describe('The step’s memoised result, truncated to the workspace’s limit.'),
      error: z.string().nullable(),
      wakeAt: z.iso.datetime().nullable(),
      startedAt: z.iso.datetime(),
      finishedAt: z.iso.datetime().nullable(),
    }),
  ),
});
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));
const summaryJson = (s: WorkflowSummary) => ({
  ...s,
  createdAt: iso(s.createdAt),
  updatedAt: iso(s.updatedAt),
});
const detailJson = (d: WorkflowDetail) => ({
  ...summaryJson(d),
  version: d.version,
  definition: d.definition,
  warnings: d.warnings,
});
const runJson = (r: { createdAt: number; finishedAt: number | null }) => ({
  ...r,
  createdAt: iso(r.createdAt),
  finishedAt: isoOrNull(r.finishedAt),
});

/** Workflows and their runs: create, read, version, activate, run, cancel. */
export function registerWorkflowRoutes(route: DeclareRoute, deps: HttpDeps): void {
  const wf = () => workflowsOf(deps);
  const tag = 'workflows';

  route({
    method: 'POST',
    url: '/v1/workflows',
    operationId: 'createWorkflow',
    summary: 'Create a workflow (version 1, inactive)',
    tag,
    auth: 'admin',
    body: documentBody,
    status: 201,
    responses: { 201: { description: 'Created', schema: detailSchema } },
    handler: async ({ principal, body }) => {
      const created = await wf().service.create(workspaceOf(principal), body, actorOf(principal));
      return detailJson(created);
    },
  });

  route({
    method: 'GET',
    url: '/v1/workflows',
    operationId: 'listWorkflows',
    summary: 'List the workspace’s workflows',
    tag,
    auth: 'read',
    responses: { 200: { description: 'Workflows', schema: z.object({ items: z.array(summarySchema) }) } },
    handler: async ({ principal }) => ({
      items: (await wf().service.list(workspaceOf(principal))).map(summaryJson),
    }),
  });

  route({
    method: 'GET',
    url: '/v1/workflows/:id',
    operationId: 'getWorkflow',
    summary: 'A workflow with its latest (or the given) version',
    tag,
    auth: 'read',
    params: z.object({ id: workflowId }),
    query: z.object({ version: z.coerce.number().int().min(1).optional() }),
    responses: { 200: { description: 'Workflow', schema: detailSchema } },
    handler: async ({ principal, params, query }) =>
      detailJson(await wf().service.get(workspaceOf(principal), params.id, query.version)),
  });

  route({
    method: 'PUT',
    url: '/v1/workflows/:id',
    operationId: 'updateWorkflow',
    summary: 'Save a new version (the active version keeps running until activated)',
    tag,
    auth: 'admin',
    params: z.object({ id: workflowId }),
    body: documentBody,
    responses: { 200: { description: 'The new version', schema: detailSchema } },
    handler: async ({ principal, params, body }) =>
      detailJson(await wf().service.update(workspaceOf(principal), params.id, body, actorOf(principal))),
  });

  route({
    method: 'DELETE',
    url: '/v1/workflows/:id',
    operationId: 'deleteWorkflow',
    summary: 'Delete a workflow (versions and run history stay for the audit trail)',
    tag,
    auth: 'admin',
    params: z.object({ id: workflowId }),
    status: 204,
    responses: { 204: { description: 'Deleted' } },
    handler: async ({ principal, params }) => {
      await wf().service.remove(workspaceOf(principal), params.id, actorOf(principal));
    },
  });

  route({
    method: 'POST',
    url: '/v1/workflows/:id/activate',
    operationId: 'activateWorkflow',
    summary: 'Verify and activate a version (default: latest)',
    description: 'A version that fails verification is not activated: 422 with `{ ok: false, findings }`.',
    tag,
    auth: 'admin',
    params: z.object({ id: workflowId }),
    body: z
      .object({ version: z.number().int().min(1).optional() })
      .strict()
      .optional(),
    responses: {
      200: { description: 'Activated', schema: detailSchema },
      422: {
        description: 'Verification failed: problem+json with ok: false and findings',
        contentType: 'application/problem+json',
      },
    },
    handler: async ({ principal, params, body, reply, request }) => {
      const ws = workspaceOf(principal);
      const detail = await wf().service.get(ws, params.id, body?.version);
      const result = wf().service.verify(detail.definition);
      if (!result.ok) {
        reply
          .status(422)
          .header('content-type', 'application/problem+json; charset=utf-8')
          .send(
            JSON.stringify({
              type: 'https://leadloop.dev/problems/verification_failed',
              title: 'The workflow fails verification',
              status: 422,
              detail: `workflow ${params.id} v${detail.version} is not activated; fix the findings first`,
              instance: request.url,
              code: 'validation_failed',
              errors: (result.verification?.findings ?? []).map((f) => ({
                field: `steps.${f.step}`,
                reason: `${f.rule}: ${f.message}`,
              })),
              requestId: request.id,
              ok: false,
              findings: result.verification?.findings ?? [],
            }),
          );
        return reply;
      }
      return detailJson(await wf().service.activate(ws, params.id, actorOf(principal), detail.version));
    },
  });

  route({
    method: 'POST',
    url: '/v1/workflows/:id/deactivate',
    operationId: 'deactivateWorkflow',
    summary: 'Stop new runs (runs in progress finish on their version)',
    tag,
    auth: 'admin',
    params: z.object({ id: workflowId }),
    responses: { 200: { description: 'Deactivated', schema: detailSchema } },
    handler: async ({ principal, params }) =>
      detailJson(await wf().service.deactivate(workspaceOf(principal), params.id, actorOf(principal))),
  });

  route({
    method: 'POST',
    url: '/v1/workflows/:id/runs',
    operationId: 'runWorkflow',
    summary: 'Run a workflow now, for a lead or none',
    tag,
    auth: 'admin',
    params: z.object({ id: workflowId }),
    body: z
      .object({
        leadId: idParam('lead').nullable().default(null),
        data: z
          .record(z.string(), z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]))
          .optional(),
      })
      .strict(),
    status: 202,
    responses: {
      202: { description: 'Started', schema: z.object({ runId: z.string(), version: z.number().int() }) },
    },
    handler: async ({ principal, params, body }) => {
      return wf().service.run(
        workspaceOf(principal),
        params.id,
        { leadId: body.leadId, ...(body.data ? { data: body.data } : {}) },
        actorOf(principal),
      );
    },
  });

  route({
    method: 'GET',
    url: '/v1/workflows/:id/runs',
    operationId: 'listWorkflowRuns',
    summary: 'Runs of a workflow, newest first',
    tag,
    auth: 'read',
    params: z.object({ id: workflowId }),
    query: z.object({
      status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(50),
      before: runId.optional(),
    }),
    responses: { 200: { description: 'Runs', schema: z.object({ items: z.array(runSchema) }) } },
    handler: async ({ principal, params, query }) => {
      const ws = workspaceOf(principal);
      await wf().service.get(ws, params.id);
      const items = await wf().service.listRuns(ws, {
        workflowId: params.id,
        ...(query.status ? { status: query.status } : {}),
        limit: query.limit,
        ...(query.before ? { before: query.before } : {}),
      });
      return { items: items.map(runJson) };
    },
  });

  route({
    method: 'GET',
    url: '/v1/workflow-runs/:runId',
    operationId: 'getWorkflowRun',
    summary: 'A run step by step',
    tag,
    auth: 'read',
    params: z.object({ runId }),
    responses: { 200: { description: 'Run', schema: runDetailSchema } },
    handler: async ({ principal, params }) => {
      const run = await wf().service.getRun(workspaceOf(principal), params.runId);
      return {
        ...runJson(run),
        steps: run.steps.map((s) => ({
          ...s,
          wakeAt: isoOrNull(s.wakeAt),
          startedAt: iso(s.startedAt),
          finishedAt: isoOrNull(s.finishedAt),
        })),
      };
    },
  });

  route({
    method: 'POST',
    url: '/v1/workflow-runs/:runId/cancel',
    operationId: 'cancelWorkflowRun',
    summary: 'Cancel a run (its waits and retries stop)',
    tag,
    auth: 'admin',
    params: z.object({ runId }),
    body: z.object({ reason: z.string().trim().min(3).max(500) }).strict(),
    responses: { 200: { description: 'Cancelled', schema: runSchema } },
    handler: async ({ principal, params, body }) =>
      runJson(
        await wf().service.cancelRun(workspaceOf(principal), params.runId, actorOf(principal), body.reason),
      ),
  });
}
