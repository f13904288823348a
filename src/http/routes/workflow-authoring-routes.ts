import { z } from 'zod';
import { LeadloopError } from '../../core/index.ts';
import { importN8nWorkflow, isN8nWorkflow, workflowJsonSchema } from '../../workflows/index.ts';
import type { HttpDeps } from '../deps.ts';
import { actorOf, type DeclareRoute, workspaceOf } from '../route.ts';
import { documentBody, workflowsOf } from './workflow-route-schemas.ts';

const findingSchema = z.object({
  rule: z.string(),
  path: z.array(z.string()),
  step: z.string(),
  message: z.string(),
});
const verificationSchema = z.object({
  ok: z.boolean(),
  findings: z.array(findingSchema),
  issues: z.array(z.object({ code: z.string(), path: z.string(), message: z.string() })),
});

/** Writing workflows: the schema, verification, generation from a description, n8n import. */
export function registerWorkflowAuthoringRoutes(route: DeclareRoute, deps: HttpDeps): void {
  const wf = () => workflowsOf(deps);
  const tag = 'workflows';

  route({
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

  route({
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

  route({
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

  route({
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
}
