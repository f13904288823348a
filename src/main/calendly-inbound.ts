import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { LeadloopError, parseInput } from '../core/index.ts';

/**
 * Calendly's webhook signature (developer.calendly.com, "Webhook signatures"): the header
 * `Calendly-Webhook-Signature: t=<seconds>,v1=<hex>` where v1 is HMAC-SHA256, keyed with the
 * subscription's signing key, of `<t>.<raw body>`. A delivery older (or newer) than the tolerance
 * is refused, so a captured request cannot be replayed later; within it, a replay changes nothing
 * (bookings are idempotent on the invitee URI, and a cancellation is final).
 */
const CALENDLY_TOLERANCE_SECONDS = 180;
const CALENDLY_SIGNATURE_HEADER = 'calendly-webhook-signature';
/** The name of the workspace's credential (kind `webhook_secret`) holding the signing key. */
export const CALENDLY_CREDENTIAL = 'calendly';

const FIELD = `header.${CALENDLY_SIGNATURE_HEADER}`;

const refuse = (reason: string) =>
  new LeadloopError('signature_invalid', 'the Calendly signature does not verify for this workspace', {
    issues: [{ field: FIELD, reason }],
  });

/** Reads `t=…,v1=…` (several v1 during a key rotation); null when the header is not of that shape. */
function parseHeader(header: string): { t: number; v1: string[] } | null {
  let t: number | null = null;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const [name, value = ''] = part.trim().split('=', 2);
    if (name === 't' && /^\d{1,12}$/.test(value)) t = Number(value);
    else if (name === 'v1' && /^[0-9a-f]{64}$/i.test(value)) v1.push(value.toLowerCase());
  }
  return t === null || v1.length === 0 ? null : { t, v1 };
}

export function signCalendly(key: string, t: number, body: string): string {
  return `t=${t},v1=${createHmac('sha256', key).update(`${t}.${body}`).digest('hex')}`;
}

/**
 * Checks the header's shape and age before the key is looked up (a malformed or stale delivery
 * costs nothing), then the HMAC in constant time. Throws `signature_invalid` naming the header.
 */
export async function verifyCalendly(
  header: string | undefined,
  body: string,
  nowMs: number,
  signingKey: () => Promise<string | null>,
): Promise<{ t: number; v1: string }> {
  if (!header) throw refuse('is required: Calendly signs every delivery with the subscription’s signing key');
  const parsed = parseHeader(header);
  if (!parsed) throw refuse('must read t=<seconds>,v1=<64 hex digits>');
  const skew = Math.floor(nowMs / 1000) - parsed.t;
  if (Math.abs(skew) > CALENDLY_TOLERANCE_SECONDS)
    throw refuse(
      `t is ${Math.abs(skew)}s ${skew > 0 ? 'old' : 'ahead'}; the tolerance is ${CALENDLY_TOLERANCE_SECONDS}s`,
    );
  const key = await signingKey();
  if (!key) throw refuse(`no signing key is stored for this workspace (credential "${CALENDLY_CREDENTIAL}")`);
  const expected = Buffer.from(createHmac('sha256', key).update(`${parsed.t}.${body}`).digest('hex'));
  for (const v1 of parsed.v1) {
    const offered = Buffer.from(v1);
    if (offered.length === expected.length && timingSafeEqual(offered, expected)) return { t: parsed.t, v1 };
  }
  throw refuse('does not match the body signed with this workspace’s key');
}

/** The fields of Calendly's invitee webhook the meeting needs; the rest is passed over. */
const deliverySchema = z.object({
  event: z.enum(['invitee.created', 'invitee.canceled']),
  payload: z.object({
    /** The invitee's URI: one booking of one person (a reschedule makes a new invitee). */
    uri: z.url().max(500),
    email: z.string().trim().min(3).max(320),
    scheduled_event: z.object({ start_time: z.iso.datetime({ offset: true }) }),
  }),
});

export type CalendlyDelivery = z.infer<typeof deliverySchema>;

/** Parses the verified body; problem+json names the field (`body.payload.email`, …). */
export function parseCalendly(body: string): CalendlyDelivery {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new LeadloopError('malformed_json', 'the request body is not valid JSON', {
      issues: [{ field: 'body', reason: error instanceof Error ? error.message : 'invalid JSON' }],
    });
  }
  return parseInput(deliverySchema, parsed, 'body');
}
