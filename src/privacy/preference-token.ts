import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { err, ok, type Result } from '../core/index.ts';

/** What a preference link carries: opaque ids only, no personal data. */
export interface PreferenceClaims {
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

/** HMAC-SHA256 over `(workspace, lead, expiry, nonce)` with a key derived from the master key. */
export function createPreferenceTokens(options: {
  masterKey: Uint8Array;
  clock: { now(): number };
}): PreferenceTokens {
  const key = Buffer.from(
    hkdfSync('sha256', Buffer.from(options.masterKey), Buffer.alloc(0), 'leadloop preference link', 32),
  );
  const sign = (body: string) => createHmac('sha256', key).update(body).digest('base64url');
  return {
    issue(claims, ttlMs) {
      const expiresAt = options.clock.now() + ttlMs;
      const body = Buffer.from(
        JSON.stringify({
          w: claims.workspaceId,
          l: claims.leadId,
          e: expiresAt,
          n: randomBytes(6).toString('base64url'),
        }),
      ).toString('base64url');
      return { token: `${body}.${sign(body)}`, expiresAt };
    },
    verify(token) {
      const parts = token.split('.');
      if (parts.length !== 2 || !parts[0] || !parts[1] || token.length > 600) return err('malformed');
      const [body, signature] = parts as [string, string];
      const expected = Buffer.from(sign(body));
      const given = Buffer.from(signature);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return err('bad_signature');
      let claims: { w?: unknown; l?: unknown; e?: unknown };
      try {
        claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      } catch {
        return err('malformed');
      }
      if (typeof claims.w !== 'string' || typeof claims.l !== 'string' || typeof claims.e !== 'number')
        return err('malformed');
      if (claims.e < options.clock.now()) return err('expired');
      return ok({ workspaceId: claims.w, leadId: claims.l, expiresAt: claims.e });
    },
  };
}
