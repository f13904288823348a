import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import type { Result } from '../core/index.ts';
import { assertNever, err, ok } from '../core/index.ts';

/** Standard Webhooks (standardwebhooks.com): tolerance either side of now, in seconds. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type SignatureFailure =
  | { reason: 'missing_header'; header: 'webhook-id' | 'webhook-timestamp' | 'webhook-signature' }
  | { reason: 'bad_timestamp' }
  | { reason: 'timestamp_too_old' | 'timestamp_in_future'; skewSeconds: number }
  | { reason: 'no_v1_signature' }
  | { reason: 'no_match' };

/**
 * Secrets as `KeyObject`s, imported once: `createHmac` with a `Buffer` key imports it again on
 * every call, about 15 µs of the HTTP thread's CPU per webhook (five times the MAC itself).
 * Bounded like the tenants' secret cache, whose entries these mirror.
 */
const keys = new Map<string, KeyObject>();

function secretKey(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    if (keys.size >= 10_000) keys.clear();
    key = createSecretKey(Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64'));
    keys.set(secret, key);
  }
  return key;
}

function mac(secret: string, id: string, timestamp: number, body: string | Buffer): Buffer {
  return createHmac('sha256', secretKey(secret)).update(`${id}.${timestamp}.`).update(body).digest();
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` */
export function signWebhook(secret: string, id: string, timestamp: number, body: string | Buffer): string {
  return `v1,${mac(secret, id, timestamp, body).toString('base64')}`;
}

export interface SignatureHeaders {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
}

/**
 * Verifies a Standard Webhooks signature against any of the given secrets (several during a
 * rotation overlap). The header may carry several space-separated signatures; one match is enough.
 * Comparison is constant-time.
 */
export function verifyWebhook(
  headers: SignatureHeaders,
  body: string | Buffer,
  secrets: readonly string[],
  nowMs: number,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): Result<{ id: string; timestamp: number }, SignatureFailure> {
  if (!headers.id) return err({ reason: 'missing_header', header: 'webhook-id' });
  if (!headers.timestamp) return err({ reason: 'missing_header', header: 'webhook-timestamp' });
  if (!headers.signature) return err({ reason: 'missing_header', header: 'webhook-signature' });
  if (!/^\d{1,12}$/.test(headers.timestamp)) return err({ reason: 'bad_timestamp' });
  const timestamp = Number(headers.timestamp);
  const skew = Math.floor(nowMs / 1000) - timestamp;
  if (skew > toleranceSeconds) return err({ reason: 'timestamp_too_old', skewSeconds: skew });
  if (skew < -toleranceSeconds) return err({ reason: 'timestamp_in_future', skewSeconds: -skew });

  const offered = headers.signature
    .split(' ')
    .filter((part) => part.startsWith('v1,'))
    .map((part) => Buffer.from(part.slice(3), 'base64'));
  if (offered.length === 0) return err({ reason: 'no_v1_signature' });
  for (const secret of secrets) {
    const expected = mac(secret, headers.id, timestamp, body);
    for (const candidate of offered) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) {
        return ok({ id: headers.id, timestamp });
      }
    }
  }
  return err({ reason: 'no_match' });
}

export function describeSignatureFailure(failure: SignatureFailure): { field: string; reason: string } {
  switch (failure.reason) {
    case 'missing_header':
      return { field: `header.${failure.header}`, reason: 'is required for signed webhooks' };
    case 'bad_timestamp':
      return { field: 'header.webhook-timestamp', reason: 'must be integer seconds since the Unix epoch' };
    case 'timestamp_too_old':
      return {
        field: 'header.webhook-timestamp',
        reason: `is ${failure.skewSeconds}s old; the tolerance is ${SIGNATURE_TOLERANCE_SECONDS}s`,
      };
    case 'timestamp_in_future':
      return {
        field: 'header.webhook-timestamp',
        reason: `is ${failure.skewSeconds}s in the future; the tolerance is ${SIGNATURE_TOLERANCE_SECONDS}s`,
      };
    case 'no_v1_signature':
      return { field: 'header.webhook-signature', reason: 'has no "v1,<base64>" signature' };
    case 'no_match':
      return {
        field: 'header.webhook-signature',
        reason: 'does not match the body signed with any active secret of this workspace',
      };
    default: {
      return assertNever(failure, 'failure');
    }
  }
}
