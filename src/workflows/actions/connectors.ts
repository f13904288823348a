import type { EgressPolicy } from './egress.ts';
import { isRetryableStatus, OutboundError, type OutboundResponse, type SafeHttp } from './safe-http.ts';

/**
 * Signs a Standard Webhooks payload. Declared here (the consumer) and wired in `src/main` to the
 * signer Leadloop's own webhook intake verifies with, so receivers verify ours the same way.
 */
export type WebhookSigner = (secret: string, id: string, timestampSeconds: number, body: string) => string;

/** What an effect step hands back: a short, non-personal summary stored as the step's output. */
export interface EffectResult {
  status: number;
  summary: Record<string, unknown>;
}

function failIfBad(response: OutboundResponse, what: string): void {
  if (response.status >= 200 && response.status < 300) return;
  throw new OutboundError(
    `${what} answered ${response.status}: ${response.body.slice(0, 200)}`,
    isRetryableStatus(response.status),
  );
}

export interface ConnectorDeps {
  http: SafeHttp;
  policy: EgressPolicy;
  signal?: AbortSignal;
}

/**
 * An outgoing webhook signed with Standard Webhooks: `webhook-id` is the idempotency key (run id +
 * step id), so a receiver that dedupes on it sees a retried step once.
 */
export async function sendSignedWebhook(
  deps: ConnectorDeps & { sign: WebhookSigner; nowMs: number },
  input: { url: string; secret: string; idempotencyKey: string; payload: unknown },
): Promise<EffectResult> {
  const body = JSON.stringify(input.payload);
  const timestamp = Math.floor(deps.nowMs / 1000);
  const response = await deps.http.send(
    deps.policy,
    {
      method: 'POST',
      url: input.url,
      headers: {
        'content-type': 'application/json',
        'webhook-id': input.idempotencyKey,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': deps.sign(input.secret, input.idempotencyKey, timestamp, body),
      },
      body,
    },
    deps.signal,
  );
  failIfBad(response, 'the webhook endpoint');
  return { status: response.status, summary: { url: new URL(input.url).host } };
}

/** A plain HTTP request step; the idempotency key travels as `Idempotency-Key`. */
export async function sendHttpRequest(
  deps: ConnectorDeps,
  input: {
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    url: string;
    headers?: Record<string, string>;
    body?: unknown;
    idempotencyKey: string;
  },
): Promise<EffectResult & { body: string }> {
  const body = input.body === undefined ? undefined : JSON.stringify(input.body);
  const response = await deps.http.send(
    deps.policy,
    {
      method: input.method,
      url: input.url,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...input.headers,
        'idempotency-key': input.idempotencyKey,
      },
      ...(body !== undefined ? { body } : {}),
    },
    deps.signal,
  );
  failIfBad(response, `${new URL(input.url).host}`);
  return {
    status: response.status,
    body: response.body,
    summary: { host: new URL(input.url).host, truncated: response.truncated },
  };
}

/**
 * Slack and Microsoft Teams incoming webhooks. Slack takes `{ text }` (mrkdwn); Teams takes a
 * message whose attachment is an Adaptive Card. Neither accepts an idempotency header, so the
 * engine's effect row is what keeps a retried step from posting twice.
 */
export async function sendChatMessage(
  deps: ConnectorDeps,
  input: { channel: 'slack' | 'teams'; webhookUrl: string; text: string },
): Promise<EffectResult> {
  const payload =
    input.channel === 'slack'
      ? { text: input.text }
      : {
          type: 'message',
          attachments: [
            {
              contentType: 'application/vnd.microsoft.card.adaptive',
              content: {
                $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
                type: 'AdaptiveCard',
                version: '1.4',
                body: [{ type: 'TextBlock', text: input.text, wrap: true }],
              },
            },
          ],
        };
  const response = await deps.http.send(
    deps.policy,
    {
      method: 'POST',
      url: input.webhookUrl,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    },
    deps.signal,
  );
  failIfBad(response, `the ${input.channel} webhook`);
  return { status: response.status, summary: { channel: input.channel } };
}

export interface CrmRecord {
  email: string;
  properties: Record<string, string | number | boolean | null>;
}

/**
 * HubSpot: `POST /crm/v3/objects/contacts/batch/upsert` with `idProperty: "email"` and a private
 * app token. An upsert by a unique property is idempotent by nature: a retried step updates the
 * same contact.
 */
export async function upsertHubspotContact(
  deps: ConnectorDeps,
  input: { baseUrl?: string; token: string; record: CrmRecord; idempotencyKey: string },
): Promise<EffectResult> {
  const base = input.baseUrl ?? 'https://api.hubapi.com';
  const response = await deps.http.send(
    deps.policy,
    {
      method: 'POST',
      url: `${base}/crm/v3/objects/contacts/batch/upsert`,
      headers: { authorization: `Bearer ${input.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [
          {
            idProperty: 'email',
            id: input.record.email,
            properties: { ...input.record.properties, email: input.record.email },
            objectWriteTraceId: input.idempotencyKey,
          },
        ],
      }),
    },
    deps.signal,
  );
  failIfBad(response, 'HubSpot');
  const parsed = safeJson(response.body) as { results?: { id?: string; new?: boolean }[] } | null;
  const first = parsed?.results?.[0];
  return {
    status: response.status,
    summary: { crm: 'hubspot', id: first?.id ?? null, created: first?.new ?? null },
  };
}

/**
 * Salesforce: `PATCH /services/data/vXX.X/sobjects/Lead/<externalIdField>/<value>` creates (201)
 * or updates (200/204) the Lead whose external id matches; the body must not repeat that field.
 */
export async function upsertSalesforceLead(
  deps: ConnectorDeps,
  input: {
    instanceUrl: string;
    token: string;
    apiVersion?: string;
    externalIdField?: string;
    record: CrmRecord;
  },
): Promise<EffectResult> {
  const field = input.externalIdField ?? 'Email';
  const version = input.apiVersion ?? 'v61.0';
  const { [field]: _omit, ...fields } = input.record.properties;
  const body = field === 'Email' ? fields : { ...fields, Email: input.record.email };
  const value = field === 'Email' ? input.record.email : String(input.record.properties[field] ?? '');
  if (!value) throw new OutboundError(`the record has no value for the external id field ${field}`, false);
  const response = await deps.http.send(
    deps.policy,
    {
      method: 'PATCH',
      url: `${input.instanceUrl}/services/data/${version}/sobjects/Lead/${encodeURIComponent(field)}/${encodeURIComponent(value)}`,
      headers: { authorization: `Bearer ${input.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    },
    deps.signal,
  );
  failIfBad(response, 'Salesforce');
  const parsed = safeJson(response.body) as { id?: string } | null;
  return {
    status: response.status,
    summary: { crm: 'salesforce', id: parsed?.id ?? null, created: response.status === 201 },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
