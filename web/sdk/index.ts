/**
 * Leadloop's typed client: `openapi-fetch` over the types generated from the OpenAPI document.
 *
 * ```ts
 * import { createLeadloopClient } from './web/sdk/index.ts';
 * const leadloop = createLeadloopClient({ baseUrl: 'http://localhost:3000', apiKey: process.env.LEADLOOP_KEY });
 * const { data, error } = await leadloop.GET('/v1/leads', { params: { query: { status: 'qualified' } } });
 * ```
 */
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.d.ts';

export type { components, paths };
export type LeadloopClient = Client<paths>;

export interface LeadloopClientOptions {
  /** Where the server is; '' for the same origin (the console). */
  baseUrl: string;
  /** An API key (machines). Without it, the browser's session cookie is used (the console). */
  apiKey?: string;
  /** The session's CSRF token, sent on every request that changes something. */
  csrfToken?: () => string | null;
  fetch?: typeof fetch;
}

export function createLeadloopClient(options: LeadloopClientOptions): LeadloopClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    credentials: 'same-origin',
  });
  const auth: Middleware = {
    onRequest({ request }) {
      if (options.apiKey) request.headers.set('authorization', `Bearer ${options.apiKey}`);
      const token = options.csrfToken?.();
      if (token && request.method !== 'GET') request.headers.set('x-csrf-token', token);
      return request;
    },
  };
  client.use(auth);
  return client;
}
