import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import {
  type EgressPolicy,
  EgressRefused,
  egressRefusal,
  guardedLookup,
  type LookupFunction,
} from './egress.ts';

interface OutboundRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The URL that answered, after redirects. */
  url: string;
  /** True when the body was cut at the size limit. */
  truncated: boolean;
}

/** Why a request failed; `retryable` says whether trying again later may help. */
export class OutboundError extends Error {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OutboundError';
    this.retryable = retryable;
  }
}

export interface SafeHttpOptions {
  /** Per request, redirects included. Default 10 s. */
  timeoutMs?: number;
  /** Response bodies beyond this are cut (and flagged). Default 1 MiB. */
  maxResponseBytes?: number;
  /** Default 3; each hop is checked against the egress policy again. */
  maxRedirects?: number;
  /** Injected for tests; default `dns.lookup`. */
  lookup?: LookupFunction;
}

/** An HTTP client that a workflow cannot turn against the host (see {@link EgressPolicy}). */
export interface SafeHttp {
  send(policy: EgressPolicy, request: OutboundRequest, signal?: AbortSignal): Promise<OutboundResponse>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export function createSafeHttp(options: SafeHttpOptions = {}): SafeHttp {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxResponseBytes ?? 1024 * 1024;
  const maxRedirects = options.maxRedirects ?? 3;

  function once(
    policy: EgressPolicy,
    req: OutboundRequest,
    signal: AbortSignal,
  ): Promise<{ response: IncomingMessage; body: string; truncated: boolean }> {
    const url = new URL(req.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return Promise.reject(
        new OutboundError(`${url.protocol} URLs are not allowed; use http or https`, false),
      );
    if (url.username || url.password)
      return Promise.reject(
        new OutboundError('credentials in the URL are not allowed; use a stored credential', false),
      );
    const host = url.hostname.replace(/^\[|\]$/g, '');
    // Literal addresses skip DNS (and so the lookup hook): check them here.
    if (isIP(host)) {
      const refusal = egressRefusal(policy, host, host);
      if (refusal) return Promise.reject(new OutboundError(refusal, false));
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const outgoing = send(
        url,
        {
          method: req.method,
          headers: {
            ...(req.body !== undefined ? { 'content-length': String(Buffer.byteLength(req.body)) } : {}),
            ...req.headers,
          },
          lookup: guardedLookup(policy, options.lookup) as never,
          signal,
          // One connection per request: a pooled socket would skip the lookup (and its check).
          agent: false,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          let truncated = false;
          response.on('data', (chunk: Buffer) => {
            if (truncated) return;
            if (size + chunk.length > maxBytes) {
              chunks.push(chunk.subarray(0, maxBytes - size));
              size = maxBytes;
              truncated = true;
              response.destroy();
              resolve({ response, body: Buffer.concat(chunks).toString('utf8'), truncated });
              return;
            }
            chunks.push(chunk);
            size += chunk.length;
          });
          response.on('end', () =>
            resolve({ response, body: Buffer.concat(chunks).toString('utf8'), truncated }),
          );
          response.on('error', (error) => {
            if (!truncated) reject(error);
          });
        },
      );
      outgoing.on('error', reject);
      if (req.body !== undefined) outgoing.write(req.body);
      outgoing.end();
    });
  }

  return {
    async send(policy, request, outer) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = outer ? AbortSignal.any([outer, timeout]) : timeout;
      let current = request;
      for (let hop = 0; ; hop++) {
        let result: Awaited<ReturnType<typeof once>>;
        try {
          result = await once(policy, current, signal);
        } catch (error) {
          if (error instanceof OutboundError) throw error;
          if (error instanceof EgressRefused) throw new OutboundError(error.message, false, { cause: error });
          if (timeout.aborted)
            throw new OutboundError(`no answer within ${timeoutMs} ms`, true, { cause: error });
          throw new OutboundError(`request failed: ${(error as Error).message}`, true, { cause: error });
        }
        const { response, body, truncated } = result;
        const status = response.statusCode ?? 0;
        const location = response.headers.location;
        if (REDIRECTS.has(status) && location) {
          if (hop >= maxRedirects) throw new OutboundError(`more than ${maxRedirects} redirects`, false);
          const next = new URL(location, current.url);
          // Credentials meant for one origin never follow a redirect to another.
          const sameOrigin = next.origin === new URL(current.url).origin;
          const headers = sameOrigin
            ? current.headers
            : stripHeaders(current.headers, /^(authorization|cookie)$/i);
          // 303 (and 301/302 after a POST, as browsers do) turn into a GET without a body.
          const keepMethod = status === 307 || status === 308;
          current = keepMethod
            ? { ...current, url: next.toString(), ...(headers ? { headers } : {}) }
            : {
                method: 'GET',
                url: next.toString(),
                ...(headers ? { headers: stripHeaders(headers, /^content-(type|length)$/i) } : {}),
              };
          continue;
        }
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(response.headers))
          if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
        return { status, headers, body, url: current.url, truncated };
      }
    },
  };
}

function stripHeaders(
  headers: Record<string, string> | undefined,
  drop: RegExp,
): Record<string, string> | undefined {
  if (!headers) return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (!drop.test(name)) out[name] = value;
  return out;
}

/** 408, 425, 429 and 5xx are worth retrying; other 4xx mean the request itself is wrong. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}
