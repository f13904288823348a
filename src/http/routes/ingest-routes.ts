import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { LeadloopError } from '../../core/index.ts';
import { acceptedSchema, type SubmissionOutcome } from '../../ingest/index.ts';
import { leadInputSchema } from '../../leads/index.ts';
import type { Workspace } from '../../tenants/index.ts';
import type { HttpDeps } from '../deps.ts';
import { requestHeader, webhookHeaders } from '../request-headers.ts';
import { type DeclareRoute, workspaceOf } from '../route.ts';
import { idParam } from '../schemas.ts';

function answer(reply: FastifyReply, outcome: SubmissionOutcome, replayHeader: string): string {
  reply.status(outcome.status).header('content-type', 'application/json');
  if (outcome.kind === 'replayed') reply.header(replayHeader, 'true');
  return outcome.body;
}

export function registerIngestRoutes(route: DeclareRoute, deps: HttpDeps): void {
  const { tenants, ingest, lifecycle, rateLimiter, metrics } = deps;

  function ready(): void {
    if (lifecycle.state() !== 'ready') {
      throw new LeadloopError(
        'unavailable',
        `the server is ${lifecycle.state()}; nothing was stored, retry shortly`,
        { retryAfterSeconds: 5 },
      );
    }
  }

  /**
   * Charges the workspace's bucket: only ever after its key or signature was verified. The webhook
   * path passes the workspace the ingest service already read; the API path reads it here.
   */
  async function admit(workspaceId: string, known?: Workspace): Promise<void> {
    const workspace = known ?? (await tenants.getWorkspace(workspaceId));
    if (!workspace)
      throw new LeadloopError('not_found', `workspace ${workspaceId} does not exist`, {
        issues: [{ field: 'path.workspaceId', reason: 'no such workspace' }],
      });
    const taken = rateLimiter.take(`ingest:${workspaceId}`, workspace.settings.rateLimit);
    if (!taken.allowed) {
      throw new LeadloopError(
        'rate_limited',
        `workspace ${workspaceId} is over its ingestion rate of ${workspace.settings.rateLimit.perSecond}/s`,
        { retryAfterSeconds: taken.retryAfterSeconds },
      );
    }
  }

  route({
    method: 'POST',
    url: '/v1/webhooks/:workspaceId/leads',
    operationId: 'ingestWebhook',
    summary: 'Submit a lead by signed webhook',
    description:
      'Signed per the Standard Webhooks spec: `webhook-signature: v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">` with the workspace secret (base64 after `whsec_`), timestamps within 300 s. A replayed `webhook-id` returns the original answer and stores nothing. The event is durable before the 202.',
    tag: 'Ingestion',
    auth: 'webhook',
    params: z.object({ workspaceId: idParam('ws') }),
    body: leadInputSchema,
    rawBody: true,
    headers: [
      { name: 'webhook-id', description: 'Unique message id; the idempotency key', required: true },
      { name: 'webhook-timestamp', description: 'Seconds since the epoch', required: true },
      {
        name: 'webhook-signature',
        description: 'v1,<base64 signature> (several, space-separated, during rotation)',
        required: true,
      },
    ],
    responses: { 202: { description: 'Accepted and durable', schema: acceptedSchema } },
    async handler({ params, rawBody, request, reply }) {
      ready();
      const headers = webhookHeaders(request);
      const outcome = await ingest.acceptWebhook({
        admit: (workspace) => admit(params.workspaceId, workspace),
        workspaceId: params.workspaceId,
        headers,
        rawBody,
      });
      if (outcome.kind === 'accepted') metrics.eventsAccepted.inc({ source: 'webhook' });
      if (outcome.kind === 'accepted' && requestHeader(request, 'sec-gpc') === '1')
        await deps.privacy.recordGpcSignal(params.workspaceId, outcome.eventId);
      return answer(reply, outcome, 'webhook-replayed');
    },
  });

  route({
    method: 'POST',
    url: '/v1/leads',
    operationId: 'createLead',
    summary: 'Submit a lead',
    description:
      'Accepts a lead for processing (normalise, dedupe, score). With `Idempotency-Key`: the same key and body return the original answer, the same key with another body 422, and a key whose first request is still in flight 409. The event is durable before the 202.',
    tag: 'Ingestion',
    auth: 'ingest',
    body: leadInputSchema,
    rawBody: true,
    headers: [{ name: 'Idempotency-Key', description: 'Makes retries safe (IETF draft semantics)' }],
    responses: { 202: { description: 'Accepted and durable', schema: acceptedSchema } },
    async handler({ principal, rawBody, request, reply }) {
      const ctx = workspaceOf(principal);
      ready();
      await admit(ctx.workspaceId);
      const raw = request.headers['idempotency-key'];
      const key = Array.isArray(raw) ? raw[0] : raw;
      if (key !== undefined && (key.length === 0 || key.length > 255)) {
        throw new LeadloopError(
          'validation_failed',
          'the Idempotency-Key header must be 1 to 255 characters',
          { issues: [{ field: 'header.idempotency-key', reason: 'must be 1 to 255 characters' }] },
        );
      }
      const outcome = await ingest.acceptLead({
        workspaceId: ctx.workspaceId,
        source: 'api',
        rawBody,
        idempotencyKey: key,
      });
      if (outcome.kind === 'accepted') metrics.eventsAccepted.inc({ source: 'api' });
      // Global Privacy Control: an opt-out of sale/share, applied once the event's lead is known.
      if (outcome.kind === 'accepted' && request.headers['sec-gpc'] === '1')
        await deps.privacy.recordGpcSignal(ctx.workspaceId, outcome.eventId);
      return answer(reply, outcome, 'idempotent-replayed');
    },
  });
}
