import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { LeadloopError } from '../../core/index.ts';
import {
  credentialInputSchema,
  importN8nWorkflow,
  isN8nWorkflow,
  type WorkflowDetail,
  type WorkflowSummary,
  workflowJsonSchema,
  workspaceWorkflowSettingsSchema,
} from '../../workflows/index.ts';
import type { HttpDeps } from '../deps.ts';
import { actorOf, type RouteCatalog, registerRoute, workspaceOf } from '../route.ts';

const workflowId = z.string().regex(/^wf_[0-9A-Z]{26}$/, 'must be an id starting with wf_');
const runId = z.string().regex(/^wfr_[0-9A-Z]{26}$/, 'must be an id starting with wfr_');
const credentialName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'must be letters, digits, ".", "_" or "-" (at most 100)');
const documentBody = z
  .record(z.string(), z.unknown())
  .describe('A workflow document; its schema is GET /v1/workflows/schema.');

const findingSchema = z.object({
  rule: z.string(),
  path: z.array(z.string()),
  step: z.string(),
  message: z.string(),
});
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
const verificationSchema = z.object({
  ok: z.boolean(),
  findings: z.array(findingSchema),
  issues: z.array(z.object({ code: z.string(), path: z.string(), message: z.string() })),
});

const iso = (ms: number) => new Date(ms).toISOString();
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

const NOT_WIRED = () => new LeadloopError('unavailable', 'workflows are not wired in this process');

export function registerWorkflowRoutes(app: FastifyInstance, catalog: RouteCatalog, deps: HttpDeps): void {
  const { tenants } = deps;
  const wf = () => {
    if (!deps.workflows) throw NOT_WIRED();
    return deps.workflows;
  };
  const tag = 'workflows';

  registerRoute(app, catalog, tenants, {
    method: 'GET',
    url: '/v1/workflows/schema',
    operationId: 'getWorkflowSchema',
    summary: 'The JSON Schema of a workflow document',
    tag,
    auth: 'read',
    responses: {
      200: { description: 'JSON Schema (draft 2020-12)', schema: z.record(z.string(), z.unknown()) },
    },
    handler: async ({ principal }) => {
      workspaceOf(principal);
      return workflowJsonSchema();
    },
  });

  registerRoute(app, catalog, tenants, {
    method: 'POST',
    url: '/v1/workflows/verify',
    operationId: 'verifyWorkflow',
    summary: 'Validate a workflow document and prove its compliance guards',
    description:
      'Answers `{ ok, findings: [{ rule, path, step, message }] }`; a document that does not validate answers 400 naming the fields.',
    tag,
    auth: 'read',
    body: documentBody,
    responses: { 200: { description: 'Verification', schema: verificationSchema } },
    handler: async ({ principal, body }) => {
      workspaceOf(principal);
      const result = wf().service.verify(body);
      if (!result.verification)
        throw new LeadloopError('validation_failed', 'the workflow is not valid', {
          issues: result.issues.map((i) => ({
            field: `body.${i.path}`.replace(/\.$/, ''),
            reason: `${i.message} (${i.code})`,
          })),
        });
      return { ok: result.ok, findings: result.verification.findings, issues: result.issues };
    },
  });

  registerRoute(app, catalog, tenants, {
    method: 'POST',
    url: '/v1/workflows/generate',
    operationId: 'generateWorkflow',
    summary: 'Draft a verified workflow from a plain-language goal',
    description:
      'Answers `{ workflow, explanation, verification, findings }` as a draft (nothing is stored or activated). A goal that cannot be met compliantly answers 422 with the reason.',
    tag,
    auth: 'admin',
    body: z
      .object({
        goal: z.string().trim().min(5).max(2000),
        constraints: z.record(z.string(), z.unknown()).optional(),
      })
      .strict(),
    responses: {
      200: {
        description: 'Draft',
        schema: z.object({
          workflow: z.record(z.string(), z.unknown()),
          explanation: z.array(z.object({ step: z.string(), reason: z.string() })),
          verification: z.object({ ok: z.boolean(), findings: z.array(findingSchema) }).passthrough(),
          findings: z.array(findingSchema),
          source: z.record(z.string(), z.unknown()),
        }),
      },
    },
    handler: async ({ principal, body, request, reply }) => {
      const ws = workspaceOf(principal);
      const controller = new AbortController();
      request.raw.once('close', () => controller.abort());
      const result = await wf().generate(ws.workspaceId, body as never, controller.signal);
      if (!result.ok) {
        reply.status(422).header('content-type', 'application/problem+json; charset=utf-8');
        return {
          type: 'https://leadloop.dev/problems/goal_refused',
          title: 'The goal cannot be met compliantly',
          status: 422,
          detail: result.error.reason,
          instance: request.url,
          code: 'validation_failed',
          errors: [{ field: 'body.goal', reason: result.error.reason }],
          requestId: request.id,
        };
      }
      const { workflow, explanation, verification, findings, source } = result.value;
      return { workflow, explanation, verification, findings, source };
    },
  });

  registerRoute(app, catalog, tenants, {
    method: 'POST',
    url: '/v1/workflows/import/n8n',
    operationId: 'importN8nWorkflows',
    summary: 'Import n8n workflow JSON (one workflow or an array) as inactive workflows',
    description:
      'Each workflow is converted (Code and Function nodes are never executed: they become opaque steps the verifier refuses until replaced) and stored as version 1, inactive. `?dryRun=true` stores nothing. The report lists mapped, approximated and unmapped nodes.',
    tag,
    auth: 'admin',
    query: z.object({ dryRun: z.enum(['true', 'false']).default('false') }),
    body: z.union([z.record(z.string(), z.unknown()), z.array(z.record(z.string(), z.unknown())).max(100)]),
    responses: {
      200: {
        description: 'Import report',
        schema: z.object({
          items: z.array(
            z.object({
              index: z.number().int(),
              ok: z.boolean(),
              workflowId: z.string().nullable(),
              reason: z.string().nullable(),
              report: z.unknown(),
            }),
          ),
        }),
      },
    },
    handler: async ({ principal, body, query }) => {
      const ws = workspaceOf(principal);
      const inputs = Array.isArray(body) ? body : [body];
      const items = [];
      for (const [index, input] of inputs.entries()) {
        if (!isN8nWorkflow(input)) {
          items.push({
            index,
            ok: false,
            workflowId: null,
            reason: 'not n8n workflow JSON (needs "nodes" and "connections")',
            report: null,
          });
          continue;
        }
        const converted = importN8nWorkflow(input);
        if (!converted.ok) {
          items.push({
            index,
            ok: false,
            workflowId: null,
            reason: converted.reason,
            report: converted.report ?? null,
          });
          continue;
        }
        const workflowId =
          query.dryRun === 'true'
            ? null
            : (await wf().service.create(ws, converted.workflow, actorOf(principal))).id;
        items.push({ index, ok: true, workflowId, reason: null, report: converted.report });
      }
      return { items };
    },
  });

  registerRoute(app, catalog, tenants, {
    method: 'POST',
    url: '/v1/workflows',
    operationId: 'createWorkflow',
    summary: 'Create a workflow (version 1, inactive)',
    tag,
    auth: 'admin',
    body: documentBody,
    responses: { 201: { description: 'Created', schema: detailSchema } },
    handler: async ({ principal, body, reply }) => {
      const created = await wf().service.create(workspaceOf(principal), body, actorOf(principal));
      reply.status(201);
      return detailJson(created);
    },
  });

  registerRoute(app, catalog, tenants, {
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

  registerRoute(app, catalog, tenants, {
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

  registerRoute(app, catalog, tenants, {
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

  registerRoute(app, catalog, tenants, {
    method: 'DELETE',
    url: '/v1/workflows/:id',
    operationId: 'deleteWorkflow',
    summary: 'Delete a workflow (versions and run history stay for the audit trail)',
    tag,
    auth: 'admin',
    params: z.object({ id: workflowId }),
    responses: { 204: { description: 'Deleted' } },
    handler: async ({ principal, params, reply }) => {
      await wf().service.remove(workspaceOf(principal), params.id, actorOf(principal));
      reply.status(204);
      return null;
    },
  });

  registerRoute(app, catalog, tenants, {
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

  registerRoute(app, catalog, tenants, {
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

  registerRoute(app, catalog, tenants, {
    method: 'POST',
    url: '/v1/workflows/:id/runs',
    operationId: 'runWorkflow',
    summary: 'Run a workflow now, for a lead or none',
    tag,
    auth: 'admin',
    params: z.object({ id: workflowId }),
    body: z
      .object({
        leadId: z
          .string()
          .regex(/^lead_[0-9A-Z]{26}$/, 'must be an id starting with lead_')
          .nullable()
          .default(null),
        data: z
          .record(z.string(), z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]))
          .optional(),
      })
      .strict(),
    responses: {
      202: { description: 'Started', schema: z.object({ runId: z.string(), version: z.number().int() }) },
    },
    handler: async ({ principal, params, body, reply }) => {
      const started = await wf().service.run(
        workspaceOf(principal),
        params.id,
        { leadId: body.leadId, ...(body.data ? { data: body.data } : {}) },
        actorOf(principal),
      );
      reply.status(202);
      return started;
    },
  });

  registerRoute(app, catalog, tenants, {
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

  registerRoute(app, catalog, tenants, {
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

  registerRoute(app, catalog, tenants, {
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

  registerRoute(app, catalog, tenants, {
    method: 'GET',
    url: '/v1/workflow-settings',
    operationId: 'getWorkflowSettings',
    summary: 'Egress allow-list, sender identity and limits of workflows',
    tag,
    auth: 'admin',
    responses: { 200: { description: 'Settings', schema: workspaceWorkflowSettingsSchema } },
    handler: async ({ principal }) => wf().read((db) => wf().settings.get(db, workspaceOf(principal))),
  });

  registerRoute(app, catalog, tenants, {
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
  registerRoute(app, catalog, tenants, {
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

  registerRoute(app, catalog, tenants, {
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

  registerRoute(app, catalog, tenants, {
    method: 'DELETE',
    url: '/v1/workflow-credentials/:name',
    operationId: 'deleteWorkflowCredential',
    summary: 'Delete a credential',
    tag,
    auth: 'admin',
    params: z.object({ name: credentialName }),
    responses: { 204: { description: 'Deleted' } },
    handler: async ({ principal, params, reply }) => {
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
      reply.status(204);
      return null;
    },
  });
}
