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

/** The CRM objects a `crm_upsert` step writes (the DSL's names). */
export type CrmObject = 'contact' | 'lead' | 'company' | 'deal';

const HUBSPOT_PATH: Record<CrmObject, string> = {
  // HubSpot's contacts are its people; a Leadloop lead is written as one (as n8n's node does).
  contact: 'contacts',
  lead: 'contacts',
  company: 'companies',
  deal: 'deals',
};

/**
 * HubSpot: `POST /crm/v3/objects/<object>/batch/upsert` with a private app token. Contacts are
 * keyed by e-mail. Companies and deals have no natural unique key, so they are keyed by the step's
 * idempotency key in a unique-value property the account creates (`keyProperty`, default
 * `leadloop_key`): a retried step updates the record its first attempt made instead of adding one.
 */
export async function upsertHubspotRecord(
  deps: ConnectorDeps,
  input: {
    baseUrl?: string;
    token: string;
    object: CrmObject;
    keyProperty?: string;
    record: CrmRecord;
    idempotencyKey: string;
  },
): Promise<EffectResult> {
  const base = input.baseUrl ?? 'https://api.hubapi.com';
  const byEmail = HUBSPOT_PATH[input.object] === 'contacts';
  const key = input.keyProperty ?? 'leadloop_key';
  const row = byEmail
    ? {
        idProperty: 'email',
        id: input.record.email,
        properties: { ...input.record.properties, email: input.record.email },
      }
    : {
        idProperty: key,
        id: input.idempotencyKey,
        properties: { ...input.record.properties, [key]: input.idempotencyKey },
      };
  const response = await deps.http.send(
    deps.policy,
    {
      method: 'POST',
      url: `${base}/crm/v3/objects/${HUBSPOT_PATH[input.object]}/batch/upsert`,
      headers: { authorization: `Bearer ${input.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ ...row, objectWriteTraceId: input.idempotencyKey }] }),
    },
    deps.signal,
  );
  failIfBad(response, 'HubSpot');
  const parsed = safeJson(response.body) as { results?: { id?: string; new?: boolean }[] } | null;
  const first = parsed?.results?.[0];
  return {
    status: response.status,
    summary: { crm: 'hubspot', object: input.object, id: first?.id ?? null, created: first?.new ?? null },
  };
}

const SALESFORCE_OBJECT: Record<CrmObject, string> = {
  lead: 'Lead',
  contact: 'Contact',
  company: 'Account',
  deal: 'Opportunity',
};

/**
 * Salesforce: `PATCH /services/data/vXX.X/sobjects/<Object>/<externalIdField>/<value>` creates (201)
 * or updates (200/204) the record whose external id matches; the body must not repeat that field.
 * Leads and contacts match on `Email` (an idLookup field) unless the credential names an external
 * id field; accounts and opportunities have no e-mail, so they match on the step's idempotency key
 * in the credential's external id field (default `Leadloop_Key__c`, created by the account).
 */
export async function upsertSalesforceRecord(
  deps: ConnectorDeps,
  input: {
    instanceUrl: string;
    token: string;
    apiVersion?: string;
    object: CrmObject;
    externalIdField?: string;
    record: CrmRecord;
    idempotencyKey: string;
  },
): Promise<EffectResult> {
  const person = input.object === 'lead' || input.object === 'contact';
  const field = input.externalIdField ?? (person ? 'Email' : 'Leadloop_Key__c');
  const version = input.apiVersion ?? 'v61.0';
  const { [field]: _omit, ...fields } = input.record.properties;
  const body = field === 'Email' || !person ? fields : { ...fields, Email: input.record.email };
  const value = !person
    ? input.idempotencyKey
    : field === 'Email'
      ? input.record.email
      : String(input.record.properties[field] ?? '');
  if (!value) throw new OutboundError(`the record has no value for the external id field ${field}`, false);
  const sobject = SALESFORCE_OBJECT[input.object];
  const response = await deps.http.send(
    deps.policy,
    {
      method: 'PATCH',
      url: `${input.instanceUrl}/services/data/${version}/sobjects/${sobject}/${encodeURIComponent(field)}/${encodeURIComponent(value)}`,
      headers: { authorization: `Bearer ${input.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    },
    deps.signal,
  );
  failIfBad(response, 'Salesforce');
  const parsed = safeJson(response.body) as { id?: string } | null;
  return {
    status: response.status,
    summary: {
      crm: 'salesforce',
      object: input.object,
      id: parsed?.id ?? null,
      created: response.status === 201,
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
