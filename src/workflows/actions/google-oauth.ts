import type { ConnectorDeps } from './connectors.ts';
import { isRetryableStatus, OutboundError } from './safe-http.ts';

/**
 * Google OAuth access tokens from a stored refresh token (RFC 6749 §6, as Google's token endpoint
 * takes it: `POST https://oauth2.googleapis.com/token`, form-encoded `grant_type=refresh_token`,
 * `client_id`, `client_secret`, `refresh_token`; the answer's `access_token` and `expires_in`).
 * A token is reused until a minute before it expires. Nothing here logs or returns the secrets:
 * errors name the endpoint's `error` code only.
 */

const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
/** Refresh this long before expiry, so a token does not lapse during the request it is used for. */
const EARLY_MS = 60_000;

export interface GoogleOAuth {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  accessToken?: string;
  expiresAt?: number;
  tokenUrl?: string;
}

/** The access token to use; `refreshed` carries the new one (to be stored back) when it was refreshed. */
export async function googleAccessToken(
  deps: ConnectorDeps & { nowMs: number },
  credential: GoogleOAuth,
): Promise<{ token: string; refreshed?: { accessToken: string; expiresAt: number } }> {
  if (credential.accessToken && (credential.expiresAt ?? 0) - EARLY_MS > deps.nowMs)
    return { token: credential.accessToken };
  const response = await deps.http.send(
    deps.policy,
    {
      method: 'POST',
      url: credential.tokenUrl ?? GOOGLE_TOKEN_URL,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: credential.clientId,
        client_secret: credential.clientSecret,
        refresh_token: credential.refreshToken,
      }).toString(),
    },
    deps.signal,
  );
  let parsed: { access_token?: unknown; expires_in?: unknown; error?: unknown } = {};
  try {
    parsed = JSON.parse(response.body) as typeof parsed;
  } catch {}
  if (response.status < 200 || response.status >= 300 || typeof parsed.access_token !== 'string') {
    const code = typeof parsed.error === 'string' ? parsed.error.slice(0, 60) : 'no access_token';
    // invalid_grant (revoked or expired refresh token) and invalid_client will not heal on retry.
    const hint =
      response.status === 400 || response.status === 401 ? ': the credential needs a new refresh token' : '';
    throw new OutboundError(
      `the Google token endpoint answered ${response.status} (${code})${hint}`,
      isRetryableStatus(response.status),
    );
  }
  const seconds = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : 3600;
  return {
    token: parsed.access_token,
    refreshed: { accessToken: parsed.access_token, expiresAt: deps.nowMs + seconds * 1000 },
  };
}
