import { z } from 'zod';
import type { HttpDeps } from '../deps.ts';
import { admitInbound } from '../inbound-admit.ts';
import { type DeclareRoute, workspaceOf } from '../route.ts';

const header = z.string().max(4000);

/**
 * Replies to workflow e-mail and meetings booked: what the reply and meeting metrics count.
 * Called by the workspace's mail provider (an inbound-parse webhook) and calendar, with a key of
 * scope `ingest` (the write scope) or `admin`.
 */
export function registerEngagementRoutes(route: DeclareRoute, deps: HttpDeps): void {
  const { engagements } = deps;
  if (!engagements) return;

  route({
    method: 'POST',
    url: '/v1/email/inbound',
    operationId: 'receiveEmailReply',
    summary:
      'A reply to a workflow e-mail, as an inbound-parse webhook posts it (Mailgun/SendGrid-like fields)',
    description:
      'Matched to the sent message by `inReplyTo`, then `references` (newest first), within the caller’s workspace. ' +
      'Records `email.replied` (run, step, workflow, lead) once per sent message; the body and addresses are not stored. ' +
      'No match: 404, nothing recorded.',
    tag: 'Workflows',
    auth: 'ingest',
    body: z
      .object({
        from: z.string().trim().min(3).max(320),
        to: z.string().trim().min(3).max(2000),
        subject: z.string().max(2000).optional(),
        inReplyTo: header.optional(),
        references: header.optional(),
        text: z.string().max(200_000).optional(),
        html: z.string().max(400_000).optional(),
        messageId: z.string().max(1000).optional(),
      })
      .strict(),
    responses: {
      200: {
        description: 'The sent message the reply answers; `replayed` when it was already counted replied',
        schema: z.object({
          runId: z.string(),
          stepKey: z.string(),
          workflowId: z.string(),
          leadId: z.string().nullable(),
          replayed: z.boolean(),
        }),
      },
    },
    async handler({ principal, body }) {
      return engagements.recordReply(workspaceOf(principal).workspaceId, {
        inReplyTo: body.inReplyTo,
        references: body.references,
      });
    },
  });

  route({
    method: 'POST',
    url: '/v1/meetings',
    operationId: 'recordMeeting',
    summary:
      'A meeting booked with a lead (from a calendar integration), counted for the workflow that led to it',
    description:
      'Without `workflowId`, the meeting counts for the workflow whose e-mail reached the lead last. ' +
      'With `externalId` (the calendar’s booking id), a redelivery counts once.',
    tag: 'Workflows',
    auth: 'ingest',
    body: z
      .object({
        leadId: z.string().min(1).max(100),
        startsAt: z.iso.datetime({ offset: true }),
        workflowId: z.string().min(1).max(100).optional(),
        externalId: z.string().min(1).max(500).optional(),
      })
      .strict(),
    responses: {
      200: {
        description: 'The meeting, recorded (or `replayed`: already recorded)',
        schema: z.object({ leadId: z.string(), workflowId: z.string().nullable(), replayed: z.boolean() }),
      },
    },
    async handler({ principal, body }) {
      return engagements.recordMeeting(workspaceOf(principal).workspaceId, {
        leadId: body.leadId,
        startsAt: Date.parse(body.startsAt),
        workflowId: body.workflowId,
        externalId: body.externalId,
      });
    },
  });

  route({
    method: 'POST',
    url: '/v1/meetings/calendly/:workspaceId',
    operationId: 'receiveCalendlyWebhook',
    summary: 'A Calendly webhook delivery (invitee.created, invitee.canceled): a meeting booked or canceled',
    description:
      'Subscribe this URL in Calendly with a signing key, and store the same key as the workspace’s credential `calendly` ' +
      '(kind `webhook_secret`, PUT /v1/workflow-credentials/calendly). The `Calendly-Webhook-Signature` header ' +
      '(`t=<seconds>,v1=<hex HMAC-SHA256 of "t.body">`) is checked before anything but the key is read: unsigned, ' +
      'wrongly signed or older than 180 s answers 401 (and counts against the caller’s address). ' +
      '`invitee.created` records a meeting for the lead with the invitee’s e-mail (counted in the `meetings` metric ' +
      'for the workflow whose e-mail reached the lead last); `invitee.canceled` cancels it. Idempotent on the invitee URI ' +
      '(`payload.uri`): a redelivery is `replayed` and changes nothing, and a canceled booking stays canceled. ' +
      'No lead with that e-mail: 200 with `recorded: false` and nothing stored (Calendly would retry an error).',
    tag: 'Workflows',
    auth: 'webhook',
    params: z.object({ workspaceId: z.string().regex(/^ws_[0-9A-Z]{26}$/) }),
    rawBody: true,
    headers: [
      {
        name: 'Calendly-Webhook-Signature',
        description: 't=<seconds since the epoch>,v1=<hex HMAC-SHA256 of "t.body" with the signing key>',
        required: true,
      },
    ],
    responses: {
      200: {
        description: 'What the delivery did',
        schema: z.object({
          event: z.enum(['invitee.created', 'invitee.canceled']),
          invitee: z.string(),
          leadId: z.string().nullable(),
          workflowId: z.string().nullable(),
          recorded: z.boolean(),
          replayed: z.boolean(),
          note: z.string(),
        }),
      },
    },
    async handler({ params, rawBody, request }) {
      const value = request.headers['calendly-webhook-signature'];
      return engagements.recordCalendly(
        params.workspaceId,
        { signature: Array.isArray(value) ? value[0] : value, rawBody },
        () => admitInbound(deps, params.workspaceId),
      );
    },
  });
}
