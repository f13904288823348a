import { createSseParser } from './sse.ts';
import type { ChatMessage, ChatOutcome, ChatState, ChatUpdate, PageContext } from './types.ts';

/** The parts of an RFC 9457 problem document the widget reads. */
interface Problem {
  title?: string;
  detail?: string;
  code?: string;
  errors?: { field: string; reason: string }[];
}

/** An RFC 9457 problem (or a network failure, status 0) turned into something the UI can explain. */
export class ApiError extends Error {
  readonly status: number;
  /** Leadloop's stable error code (`conflict`, `rate_limited`, ...), when the server sent one. */
  readonly code: string | undefined;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: { field: string; reason: string }[];
  /** Milliseconds to wait before retrying, from `Retry-After` on 429/503. */
  readonly retryAfterMs: number | undefined;

  constructor(status: number, problem: Problem, retryAfterMs?: number) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = typeof problem.code === 'string' ? problem.code : undefined;
    this.title = problem.title ?? '';
    this.detail = problem.detail;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
    this.retryAfterMs = retryAfterMs;
  }
}

/** Callbacks for a streamed turn; a JSON answer calls `message` for each message, then `done`. */
interface TurnHandlers {
  typing(): void;
  delta(messageId: string, text: string): void;
  message(message: ChatMessage): void;
  done(state: ChatState, outcome: ChatOutcome | null): void;
}

export interface ChatApi {
  start(body: { playbook?: string; locale?: string; context: PageContext }): Promise<ChatUpdate>;
  /**
   * Sends one visitor message. Rejects with `ApiError` when the server refused it (nothing
   * happened), or `StreamError` when the answer broke off midway (the turn may have happened).
   */
  send(sessionId: string, text: string, handlers: TurnHandlers): Promise<void>;
  /** Messages after `after` (all of them without it). */
  poll(sessionId: string, after?: string): Promise<ChatUpdate>;
  /**
   * Follows the conversation live (a person's messages arrive as they are written) until the server
   * ends the stream or `signal` aborts. Rejects with `ApiError` when refused, `StreamError` when cut.
   */
  follow(
    sessionId: string,
    after: string | undefined,
    handlers: {
      message(message: ChatMessage): void;
      state(state: ChatState, outcome: ChatOutcome | null, agent: { name: string } | undefined): void;
    },
    signal: AbortSignal,
  ): Promise<void>;
}

/** Seconds or an HTTP date, as `Retry-After` allows; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

async function failure(response: Response): Promise<ApiError> {
  let problem: Problem = {};
  try {
    const body: unknown = await response.json();
    if (body && typeof body === 'object') problem = body;
  } catch {
    // Not JSON (a proxy's HTML page, say): the status alone decides the message.
  }
  return new ApiError(response.status, problem, parseRetryAfter(response.headers.get('retry-after')));
}

/** A midway failure: the turn may have been processed, so the caller recovers by polling, not resending. */
export class StreamError extends Error {
  constructor(cause: unknown) {
    super('the reply stream broke off', { cause });
    this.name = 'StreamError';
  }
}

/**
 * Reads a `text/event-stream` body to its end, handing each event's JSON payload to `onEvent`
 * (events whose data is not JSON are skipped). A handler that throws `StreamError` ends the read.
 */
async function readEventStream(
  body: NonNullable<Response['body']>,
  onEvent: (event: string, payload: Record<string, unknown>) => void,
): Promise<void> {
  const parser = createSseParser(({ event, data }) => {
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(data);
    } catch {
      return;
    }
    onEvent(event, payload);
  });
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    parser.push(value);
  }
  parser.end();
}

/** The widget's HTTP client: credential-less CORS requests to the widget's own origin only. */
export function createChatApi(options: { origin: string; widgetKey: string; fetch?: typeof fetch }): ChatApi {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const base = `${options.origin}/v1/chat/sessions`;

  const request = async (url: string, init: RequestInit): Promise<Response> => {
    let response: Response;
    try {
      response = await doFetch(url, { ...init, mode: 'cors', credentials: 'omit', cache: 'no-store' });
    } catch (cause) {
      throw new ApiError(0, { detail: String(cause) });
    }
    if (!response.ok) throw await failure(response);
    return response;
  };
  const json = async (response: Response): Promise<ChatUpdate> => {
    try {
      return (await response.json()) as ChatUpdate;
    } catch {
      throw new ApiError(502, { title: 'Unreadable answer' });
    }
  };

  return {
    async start(body) {
      const response = await request(base, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ widgetKey: options.widgetKey, ...body }),
      });
      return json(response);
    },

    async poll(sessionId, after) {
      const query = after ? `?after=${encodeURIComponent(after)}` : '';
      const response = await request(`${base}/${encodeURIComponent(sessionId)}/messages${query}`, {
        method: 'GET',
        headers: { 'x-widget-key': options.widgetKey, accept: 'application/json' },
      });
      return json(response);
    },

    async follow(sessionId, after, handlers, signal) {
      const query = after ? `?after=${encodeURIComponent(after)}` : '';
      const response = await request(`${base}/${encodeURIComponent(sessionId)}/stream${query}`, {
        method: 'GET',
        headers: { 'x-widget-key': options.widgetKey, accept: 'text/event-stream' },
        signal,
      });
      if (!response.body) throw new StreamError(new Error('no stream'));
      try {
        await readEventStream(response.body, (event, payload) => {
          if (event === 'message') handlers.message(payload as unknown as ChatMessage);
          else if (event === 'state')
            handlers.state(
              payload.state as ChatState,
              (payload.outcome ?? null) as ChatOutcome | null,
              payload.agent as { name: string } | undefined,
            );
        });
      } catch (cause) {
        if (signal.aborted) return;
        throw new StreamError(cause);
      }
    },

    async send(sessionId, text, handlers) {
      const response = await request(`${base}/${encodeURIComponent(sessionId)}/messages`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          'x-widget-key': options.widgetKey,
        },
        body: JSON.stringify({ text }),
      });
      const type = response.headers.get('content-type') ?? '';
      if (!type.includes('text/event-stream') || !response.body) {
        const update = await json(response);
        for (const message of update.messages) handlers.message(message);
        handlers.done(update.state, update.outcome);
        return;
      }
      let finished = false;
      try {
        await readEventStream(response.body, (event, payload) => {
          if (event === 'typing') handlers.typing();
          else if (event === 'delta') handlers.delta(String(payload.messageId), String(payload.text ?? ''));
          else if (event === 'message') handlers.message(payload as unknown as ChatMessage);
          else if (event === 'done') {
            finished = true;
            handlers.done(payload.state as ChatState, (payload.outcome ?? null) as ChatOutcome | null);
          } else if (event === 'error') throw new StreamError(payload);
        });
      } catch (cause) {
        throw cause instanceof StreamError ? cause : new StreamError(cause);
      }
      if (!finished) throw new StreamError(new Error('the stream ended before done'));
    },
  };
}
