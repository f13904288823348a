import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { err, LeadloopError, ok, type Result } from '../core/index.ts';

/** What a preference link carries: opaque ids only, no personal data. */
interface PreferenceClaims {
  workspaceId: string;
  leadId: string;
  /** Epoch ms. */
  expiresAt: number;
}

export type TokenProblem = 'malformed' | 'bad_signature' | 'expired';

export interface PreferenceTokens {
  issue(claims: Omit<PreferenceClaims, 'expiresAt'>, ttlMs: number): { token: string; expiresAt: number };
  verify(token: string): Result<PreferenceClaims, TokenProblem>;
}

const ULID = /^[0-9A-Z]{26}$/;

/**
 * `<workspace ulid><lead ulid><expiry, base36 seconds>.<HMAC-SHA256, first 128 bits>`: opaque ids
 * only, under 100 characters (a URL path segment), keyed by a key derived from the master key.
 */
export function createPreferenceTokens(options: {
  masterKey: Uint8Array;
  /** Earlier master keys: links they signed (already in people's mailboxes) keep working. */
  previousMasterKeys?: readonly Uint8Array[];
  clock: { now(): number };
}): PreferenceTokens {
  const keys = [options.masterKey, ...(options.previousMasterKeys ?? [])].map((master) =>
    Buffer.from(hkdfSync('sha256', Buffer.from(master), Buffer.alloc(0), 'leadloop preference link', 32)),
  );
  const signWith = (key: Buffer, body: string) =>
    createHmac('sha256', key).update(body).digest().subarray(0, 16).toString('base64url');
  const sign = (body: string) => signWith(keys[0] as Buffer, body);
  return {
    issue(claims, ttlMs) {
      const expiresAt = options.clock.now() + ttlMs;
      const ws = claims.workspaceId.replace(/^ws_/, '');
      const lead = claims.leadId.replace(/^lead_/, '');
      if (!ULID.test(ws) || !ULID.test(lead))
        throw new LeadloopError('validation_failed', 'preference links name a workspace and a lead by id');
      const body = `${ws}${lead}${Math.ceil(expiresAt / 1000).toString(36)}`;
      return { token: `${body}.${sign(body)}`, expiresAt: Math.ceil(expiresAt / 1000) * 1000 };
    },
    verify(token) {
      const match = /^([0-9A-Z]{26})([0-9A-Z]{26})([0-9a-z]{1,10})\.([A-Za-z0-9_-]{22})$/.exec(token);
      if (!match) return err('malformed');
      const [, ws, lead, exp, signature] = match as unknown as [string, string, string, string, string];
      const given = Buffer.from(signature);
      const signed = keys.some((key) => {
        const expected = Buffer.from(signWith(key, `${ws}${lead}${exp}`));
        return expected.length === given.length && timingSafeEqual(expected, given);
      });
      if (!signed) return err('bad_signature');
      const expiresAt = Number.parseInt(exp, 36) * 1000;
      if (expiresAt < options.clock.now()) return err('expired');
      return ok({ workspaceId: `ws_${ws}`, leadId: `lead_${lead}`, expiresAt });
    },
  };
}
