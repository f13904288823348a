import { z } from 'zod';
import { LeadloopError } from '../../core/index.ts';
import { exportCsv, type PrivacyRequest, REQUEST_STATUSES, requestInputSchema } from '../../privacy/index.ts';
import type { HttpDeps } from '../deps.ts';
import { actorOf, type DeclareRoute, workspaceOf } from '../route.ts';
import { idParam, iso, isoOrNull } from '../schemas.ts';

const requestParams = z.object({
  id: idParam('dsr'),
});

export const requestSchema = z.object({
  id: z.string(),
  type: z.string(),
  jurisdiction: z.string(),
  status: z.enum(REQUEST_STATUSES),
  held: z.boolean().describe('Filed on hold: waits for POST …/run or …/reject.'),
  origin: z.string(),
  leadIds: z.array(z.string()),
  steps: z.array(
    z.object({ at: z.iso.datetime(), step: z.string(), detail: z.record(z.string(), z.unknown()) }),
  ),
  result: z.record(z.string(), z.unknown()).nullable(),
  receivedAt: z.iso.datetime(),
  ackDueAt: z.iso.datetime(),
  dueAt: z.iso.datetime(),
  extendedDueAt: z.iso.datetime(),
  completedAt: z.iso.datetime().nullable(),
});

export const requestJson = (r: PrivacyRequest) => {
  const { workspaceId: _ws, ...rest } = r;
  return {
    ...rest,
    steps: r.steps.map((s) => ({ ...s, at: iso(s.at) })),
    receivedAt: iso(r.receivedAt),
    ackDueAt: iso(r.ackDueAt),
    dueAt: iso(r.dueAt),
    extendedDueAt: iso(r.extendedDueAt),
    completedAt: isoOrNull(r.completedAt),
  };
};

const reasonBody = z
  .object({
    reason: z
      .string()
      .trim()
      .min(3)
      .max(500)
      .describe('Why, without naming the person: shown in the request log; sealed in the audit trail.'),
  })
  .strict();

/** Data-subject requests: filing (run at once, or on hold), reading, the export, and the operator's run / reject / extend. */
export function registerPrivacyRequestRoutes(route: DeclareRoute, deps: HttpDeps): void {
  const { privacy } = deps;

  route({
    method: 'POST',
    url: '/v1/privacy/requests',
    operationId: 'createPrivacyRequest',
    summary:
      'File a data-subject request (access, erasure, rectification, restriction, objection, opt_out) and carry it out (or, with `hold`, keep it for the operator)',
    description:
      'The subject is matched by normalised email or phone (every lead of the workspace, merged ones included) or by lead id. An unknown subject is 404 and nothing is stored.',
    tag: 'Privacy',
    auth: 'admin',
    body: requestInputSchema,
    status: 201,
    responses: {
      201: {
        description: 'Filed (and carried out unless `hold`); `dueAt` is the legal deadline',
        schema: requestSchema,
      },
    },
    async handler({ principal, body }) {
      const request = await privacy.requests.submit(workspaceOf(principal), body, {
        actor: actorOf(principal),
        origin: 'api',
      });
      return requestJson(request);
    },
  });

  route({
    method: 'GET',
    url: '/v1/privacy/requests',
    operationId: 'listPrivacyRequests',
    summary: 'Data-subject requests, newest first',
    tag: 'Privacy',
    auth: 'admin',
    query: z
      .object({
        status: z.enum(REQUEST_STATUSES).optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      })
      .strict(),
    responses: { 200: { description: 'Requests', schema: z.object({ items: z.array(requestSchema) }) } },
    async handler({ principal, query }) {
      const items = await privacy.requests.list(workspaceOf(principal), query);
      return { items: items.map(requestJson) };
    },
  });

  route({
    method: 'GET',
    url: '/v1/privacy/requests/:id',
    operationId: 'getPrivacyRequest',
    summary: 'One data-subject request with its steps and deadlines',
    tag: 'Privacy',
    auth: 'admin',
    params: requestParams,
    responses: { 200: { description: 'The request', schema: requestSchema } },
    async handler({ principal, params }) {
      const request = await privacy.requests.get(workspaceOf(principal), params.id);
      if (!request)
        throw new LeadloopError('not_found', `privacy request ${params.id} not found in this workspace`, {
          issues: [{ field: 'path.id', reason: 'no such request in this workspace' }],
        });
      return requestJson(request);
    },
  });

  route({
    method: 'GET',
    url: '/v1/privacy/requests/:id/export',
    operationId: 'exportPrivacyRequest',
    summary: 'The access bundle: every table that holds the person, as JSON or CSV',
    tag: 'Privacy',
    auth: 'admin',
    params: requestParams,
    query: z.object({ format: z.enum(['json', 'csv']).default('json') }).strict(),
    responses: {
      200: {
        description: 'JSON bundle (or text/csv: table,row,column,value)',
        schema: z.record(z.string(), z.unknown()),
      },
    },
    async handler({ principal, params, query, reply }) {
      const bundle = await privacy.requests.exportOf(workspaceOf(principal), params.id);
      if (query.format === 'csv') {
        reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${params.id}.csv"`);
        return exportCsv(bundle);
      }
      return bundle;
    },
  });

  route({
    method: 'POST',
    url: '/v1/privacy/requests/:id/run',
    operationId: 'runPrivacyRequest',
    summary: 'Carry out a request filed on hold (after verifying who asked)',
    description: 'Idempotent: a completed request stays as it is. A rejected one is 409.',
    tag: 'Privacy',
    auth: 'admin',
    params: requestParams,
    responses: { 200: { description: 'The request, carried out', schema: requestSchema } },
    async handler({ principal, params }) {
      const ctx = workspaceOf(principal);
      const filed = await privacy.requests.get(ctx, params.id);
      if (!filed)
        throw new LeadloopError('not_found', `privacy request ${params.id} not found in this workspace`, {
          issues: [{ field: 'path.id', reason: 'no such request in this workspace' }],
        });
      if (filed.status === 'rejected')
        throw new LeadloopError('conflict', `request ${params.id} was rejected; file a new one`, {
          issues: [{ field: 'path.id', reason: 'the request is rejected' }],
        });
      return requestJson(await privacy.requests.run(ctx, params.id, actorOf(principal)));
    },
  });

  /** Rejecting and extending a request both take the operator's reason, and answer the request. */
  const withReasonRoute = (
    action: 'reject' | 'extend',
    words: { operationId: string; summary: string; description: string; done: string },
  ) =>
    route({
      method: 'POST',
      url: `/v1/privacy/requests/:id/${action}`,
      operationId: words.operationId,
      summary: words.summary,
      description: words.description,
      tag: 'Privacy',
      auth: 'admin',
      params: requestParams,
      body: reasonBody,
      responses: { 200: { description: words.done, schema: requestSchema } },
      async handler({ principal, params, body }) {
        return requestJson(
          await privacy.requests[action](workspaceOf(principal), params.id, body.reason, actorOf(principal)),
        );
      },
    });
  withReasonRoute('reject', {
    operationId: 'rejectPrivacyRequest',
    summary:
      'Reject a request not yet carried out (e.g. the identity could not be verified), with the reason',
    description:
      'The filed subject and changes are cleared at once; the request stays as the record. 409 once started.',
    done: 'The rejected request',
  });
  withReasonRoute('extend', {
    operationId: 'extendPrivacyRequest',
    summary:
      'Extend an open request’s deadline to the furthest the law allows (GDPR +2 months, CCPA +45 days)',
    description:
      'Once per request; the person must be told within the first deadline, with the reason. Leadloop does not message them: the `extended` step records `requesterNotified: false`, and the operator tells them. 409 when closed or already extended.',
    done: 'The request with its new `dueAt`',
  });
}
