import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { signWebhook } from '../../src/ingest/index.ts';
import type { ReceivedRequest } from './sinks.ts';

export interface Json {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: Record<string, unknown> & {
    errors?: { field: string; reason: string }[];
    code?: string;
    items?: unknown[];
  };
}

export function json(response: LightMyRequestResponse): Json {
  const text = response.body;
  let body: Json['body'] = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { raw: text };
  }
  return { status: response.statusCode, headers: response.headers, body };
}

export async function call(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  options: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Json> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let payload: string | undefined;
  if (options.body !== undefined) {
    payload = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  return json(await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) }));
}

let counter = 0;

/** Sends a correctly signed Standard Webhooks request to the lead webhook of the workspace. */
export function sendWebhook(
  app: FastifyInstance,
  workspaceId: string,
  secret: string,
  body: unknown,
  options: SignedOptions = {},
): Promise<Json> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return sendSigned(app, `/v1/webhooks/${workspaceId}/leads`, secret, raw, options);
}

interface SignedOptions {
  id?: string;
  timestamp?: number;
  headers?: Record<string, string>;
}

/** POSTs `raw` to `url` as a Standard Webhooks sender holding `secret` signs it (a workflow's inbound hook, say). */
export async function sendSigned(
  app: FastifyInstance,
  url: string,
  secret: string,
  raw: string,
  options: SignedOptions = {},
): Promise<Json> {
  const id = options.id ?? `msg_${Date.now()}_${counter++}`;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return json(
    await app.inject({
      method: 'POST',
      url,
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook(secret, id, timestamp, raw),
        ...options.headers,
      },
      payload: raw,
    }),
  );
}

/** The Standard Webhooks signature headers of a received request, as `verifyWebhook` takes them. */
export function signatureOf(request: ReceivedRequest): { id: string; timestamp: string; signature: string } {
  return {
    id: request.headers['webhook-id'] as string,
    timestamp: request.headers['webhook-timestamp'] as string,
    signature: request.headers['webhook-signature'] as string,
  };
}
