import type { FastifyRequest } from 'fastify';
import { LeadloopError } from '../core/index.ts';

/** A request header's value; one sent more than once (Node keeps some as a list) counts by its first. */
export function requestHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Standard Webhooks message ids are short; a long one would only bloat the idempotency table. */
const WEBHOOK_ID = /^[\x21-\x7e]{1,255}$/;

/**
 * The Standard Webhooks headers of a signed request (lead webhooks and workflow hooks), for the
 * signature check. A `webhook-id` that is not 1 to 255 visible ASCII characters is refused here
 * (`validation_failed` on `header.webhook-id`), before the signature is looked at.
 */
export function webhookHeaders(request: FastifyRequest): {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
} {
  const id = requestHeader(request, 'webhook-id');
  if (id !== undefined && !WEBHOOK_ID.test(id))
    throw new LeadloopError('validation_failed', 'the webhook-id header is not a message id', {
      issues: [{ field: 'header.webhook-id', reason: 'must be 1 to 255 visible ASCII characters' }],
    });
  return {
    id,
    timestamp: requestHeader(request, 'webhook-timestamp'),
    signature: requestHeader(request, 'webhook-signature'),
  };
}
