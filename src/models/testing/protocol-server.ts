import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP server that speaks the OpenAI Chat Completions and Anthropic Messages wire
 * protocols by replaying scripted (recorded) responses, and records every request it receives.
 * For tests only: it binds 127.0.0.1 on a random port.
 */

/** One request as the provider SDK sent it. */
interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body (undefined when the body was empty). */
  body: Record<string, unknown>;
}

/** One server-sent event: `event:` line (Anthropic names its events) and the `data:` payload. */
export interface SseEvent {
  event?: string;
  /** Serialised as JSON, except the literal string `[DONE]` (OpenAI's end marker). */
  data: unknown;
}

/**
 * Holds the stream until the promise settles: a test reads what was sent so far, then lets the rest
 * go, which proves the client showed text before the answer was complete.
 */
interface SseGate {
  until: Promise<unknown>;
}

type ScriptedResponse =
  | { status?: number; headers?: Record<string, string>; json: unknown; delayMs?: number }
  | {
      status?: number;
      headers?: Record<string, string>;
      sse: readonly (SseEvent | SseGate)[];
      delayMs?: number;
      /** Pause between events, to let a client stop reading mid-stream. */
      eventDelayMs?: number;
    }
  /** Never answers; the connection stays open until the client gives up. */
  | { hang: true };

export interface ProtocolServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Queues responses for a path, answered in order; unscripted requests get a 404 in the OpenAI error shape. */
  reply(path: string, ...responses: ScriptedResponse[]): void;
  /**
   * Answers a path's requests that no queued response is left for, from the request itself (a
   * conversation sends several kinds of call to one path: extraction, phrasing, answers).
   */
  respond(path: string, responder: (request: RecordedRequest) => ScriptedResponse): void;
  /** Requests whose client went away before a response was sent (aborted or timed out). */
  abortedRequests(): number;
  /** Forgets recorded requests and unused scripts (between tests). */
  reset(): void;
  close(): Promise<void>;
}

/** Reads a fixture from `src/models/fixtures/`. */
export function loadFixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

async function writeSse(
  res: ServerResponse,
  events: readonly (SseEvent | SseGate)[],
  eventDelayMs: number,
): Promise<void> {
  for (const event of events) {
    if (res.destroyed) return;
    if ('until' in event) {
      await event.until.catch(() => undefined);
      continue;
    }
    const data = event.data === '[DONE]' ? '[DONE]' : JSON.stringify(event.data);
    res.write(`${event.event === undefined ? '' : `event: ${event.event}\n`}data: ${data}\n\n`);
    if (eventDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, eventDelayMs));
  }
  res.end();
}

export async function startProtocolServer(): Promise<ProtocolServer> {
  const requests: RecordedRequest[] = [];
  const scripts = new Map<string, ScriptedResponse[]>();
  const responders = new Map<string, (request: RecordedRequest) => ScriptedResponse>();
  const hanging = new Set<ServerResponse>();
  let aborted = 0;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path,
        headers: req.headers,
        body: raw === '' ? {} : (JSON.parse(raw) as Record<string, unknown>),
      };
      requests.push(recorded);
      res.on('close', () => {
        hanging.delete(res);
        if (!res.writableFinished) aborted += 1;
      });
      const next = scripts.get(path)?.shift() ?? responders.get(path)?.(recorded);
      if (next === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: { message: `no scripted response for ${path}`, type: 'invalid_request_error' },
          }),
        );
        return;
      }
      if ('hang' in next) {
        hanging.add(res);
        return;
      }
      const send = () => {
        if (res.destroyed) return;
        if ('sse' in next) {
          res.writeHead(next.status ?? 200, {
            'content-type': 'text/event-stream',
            'cache-control': 'no-cache',
            ...next.headers,
          });
          void writeSse(res, next.sse, next.eventDelayMs ?? 0);
        } else {
          res.writeHead(next.status ?? 200, { 'content-type': 'application/json', ...next.headers });
          res.end(JSON.stringify(next.json));
        }
      };
      if (next.delayMs) setTimeout(send, next.delayMs);
      else send();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reply(path, ...responses) {
      scripts.set(path, [...(scripts.get(path) ?? []), ...responses]);
    },
    respond(path, responder) {
      responders.set(path, responder);
    },
    abortedRequests: () => aborted,
    reset() {
      requests.length = 0;
      scripts.clear();
      responders.clear();
      aborted = 0;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

/** An OpenAI Chat Completions stream that sends `chunks` as content deltas, with usage at the end. */
export function openAiTextStream(
  chunks: readonly (string | SseGate)[],
  usage = { prompt_tokens: 40, completion_tokens: 12 },
): (SseEvent | SseGate)[] {
  const base = {
    id: 'chatcmpl-local',
    object: 'chat.completion.chunk',
    created: 1764316815,
    model: 'gpt-4o-mini',
  };
  const delta = (content: string) => ({
    data: {
      ...base,
      choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }],
      usage: null,
    },
  });
  return [
    {
      data: {
        ...base,
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
      },
    },
    ...chunks.map((chunk) => (typeof chunk === 'string' ? delta(chunk) : chunk)),
    {
      data: {
        ...base,
        choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }],
        usage: null,
      },
    },
    {
      data: {
        ...base,
        choices: [],
        usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
      },
    },
    { data: '[DONE]' },
  ];
}

/** An Anthropic Messages stream that sends `chunks` as text deltas, with usage at the start and end. */
export function anthropicTextStream(
  chunks: readonly (string | SseGate)[],
  usage = { input_tokens: 40, output_tokens: 12 },
): (SseEvent | SseGate)[] {
  return [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: {
          id: 'msg_local',
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-5',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: usage.input_tokens, output_tokens: 1 },
        },
      },
    },
    {
      event: 'content_block_start',
      data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    },
    ...chunks.map((chunk) =>
      typeof chunk === 'string'
        ? {
            event: 'content_block_delta',
            data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: chunk } },
          }
        : chunk,
    ),
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
    {
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: usage.output_tokens },
      },
    },
    { event: 'message_stop', data: { type: 'message_stop' } },
  ];
}
