import type { ConnectorDeps, EffectResult } from './connectors.ts';
import { isRetryableStatus, OutboundError } from './safe-http.ts';

/** What a `twilio` credential holds: the account, its auth token and the sending number (or messaging service). */
export interface TwilioAccount {
  accountSid: string;
  authToken: string;
  /** An E.164 number, an alphanumeric sender id, or a messaging service (`MG…`). */
  from: string;
  /** For tests and regional edges; default `https://api.twilio.com`. */
  baseUrl?: string;
}

const escapeXml = (text: string) =>
  text.replace(/[<>&'"]/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', "'": 'apos', '"': 'quot' }[c]};`);

/**
 * Twilio's REST API (2010-04-01): an SMS is `POST /Accounts/{sid}/Messages.json` and an automated
 * call `POST /Accounts/{sid}/Calls.json` whose TwiML says the text, both form-encoded with HTTP
 * Basic authentication (account sid : auth token). Twilio takes no idempotency key on these
 * endpoints: the engine's memo row is what keeps a retried step from texting twice. The key still
 * goes out (`I-Idempotency-Key`) so that a relay in between can dedupe on it.
 */
export async function sendTwilioMessage(
  deps: ConnectorDeps,
  input: {
    account: TwilioAccount;
    channel: 'sms' | 'call';
    to: string;
    text: string;
    idempotencyKey: string;
  },
): Promise<EffectResult> {
  const { account } = input;
  const base = (account.baseUrl ?? 'https://api.twilio.com').replace(/\/$/, '');
  const form = new URLSearchParams({ To: input.to });
  if (account.from.startsWith('MG') && input.channel === 'sms') form.set('MessagingServiceSid', account.from);
  else form.set('From', account.from);
  if (input.channel === 'sms') form.set('Body', input.text);
  else form.set('Twiml', `<Response><Say>${escapeXml(input.text)}</Say></Response>`);
  const resource = input.channel === 'sms' ? 'Messages' : 'Calls';
  const response = await deps.http.send(
    deps.policy,
    {
      method: 'POST',
      url: `${base}/2010-04-01/Accounts/${encodeURIComponent(account.accountSid)}/${resource}.json`,
      headers: {
        authorization: `Basic ${Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        'i-idempotency-key': input.idempotencyKey,
      },
      body: form.toString(),
    },
    deps.signal,
  );
  let parsed: { sid?: string; status?: string; code?: number; message?: string } | null = null;
  try {
    parsed = JSON.parse(response.body);
  } catch {}
  if (response.status < 200 || response.status >= 300)
    throw new OutboundError(
      `Twilio answered ${response.status}${parsed?.code ? ` (error ${parsed.code})` : ''}: ${(parsed?.message ?? response.body).slice(0, 200)}`,
      isRetryableStatus(response.status),
    );
  return {
    status: response.status,
    summary: {
      provider: 'twilio',
      channel: input.channel,
      sid: parsed?.sid ?? null,
      state: parsed?.status ?? null,
    },
  };
}
