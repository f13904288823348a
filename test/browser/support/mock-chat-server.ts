import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BUILT_IN_PLAYBOOKS,
  createDialogEngine,
  type Reply,
  type SessionState,
} from '../../../src/chat/index.ts';
import { systemClock } from '../../../src/core/index.ts';

/**
 * A stand-in for the chat API's HTTP contract, for fast widget-only browser tests: the real dialog
 * engine behind a small node:http server, plus what tests need to provoke (problem+json failures,
 * 429 with Retry-After, a stream that breaks midway, a human takeover). It serves `/widget.js` and
 * the API on one origin and the demo page on another, so every request the widget makes is
 * cross-origin, as on a customer's site.
 */

interface WireMessage {
  id: string;
  role: 'bot' | 'visitor' | 'agent';
  text: string;
  quickReplies?: string[];
  link?: { url: string; label: string };
  at: string;
}

interface MockSession {
  id: string;
  state: SessionState;
  messages: WireMessage[];
}

type Route = 'start' | 'send' | 'poll';

export interface InjectedFailure {
  status: number;
  problem?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** Send this many SSE events, then drop the connection (the turn itself is processed). */
  breakStreamAfterEvents?: number;
}

export interface RecordedRequest {
  method: string;
  url: string;
  origin: string | undefined;
  headers: Record<string, string | string[] | undefined>;
}

export interface MockChatServer {
  /** Origin serving `/widget.js` and `/v1/chat/...`. */
  apiOrigin: string;
  /** Another origin serving the demo page at `/demo`, with the script tag pointing at `apiOrigin`. */
  siteOrigin: string;
  widgetKey: string;
  workspaceId: string;
  meetingUrl: string;
  /** Bodies of `POST /v1/chat/sessions`, in order. */
  starts: Record<string, unknown>[];
  requests: RecordedRequest[];
  sessions: Map<string, MockSession>;
  /** The next request to that route fails as given. */
  failNext(route: Route, failure: InjectedFailure): void;
  /** Forgets failures that no request consumed. */
  clearFailures(): void;
  takeOver(sessionId: string, agentName: string): void;
  agentSay(sessionId: string, text: string): void;
  release(sessionId: string): Promise<void>;
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const type = status >= 400 ? 'application/problem+json' : 'application/json';
  res.writeHead(status, { 'content-type': type, ...headers });
  res.end(JSON.stringify(body));
};

const problem = (res: ServerResponse, status: number, title: string, detail: string, field?: string) =>
  json(res, status, {
    type: 'about:blank',
    title,
    status,
    detail,
    errors: field ? [{ field, reason: detail }] : [],
  });

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const value: unknown = text ? JSON.parse(text) : {};
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startMockChatServer(options: {
  widgetFile: string;
  demoFile: string;
}): Promise<MockChatServer> {
  const engine = createDialogEngine({ clock: systemClock });
  const meetingUrl = 'https://cal.example.com/tidewater/intro';
  const playbook = { ...BUILT_IN_PLAYBOOKS.bant, meetingUrl };
  const widgetKey = 'pk_mock_0123456789';
  const workspaceId = 'ws_mock';
  const sessions = new Map<string, MockSession>();
  const failures = new Map<Route, InjectedFailure[]>();
  const starts: Record<string, unknown>[] = [];
  const requests: RecordedRequest[] = [];
  let counter = 0;
  const nextId = (prefix: string) => `${prefix}_${(++counter).toString(36).padStart(6, '0')}`;

  const wire = (reply: Reply): WireMessage => ({
    id: nextId('msg'),
    role: 'bot',
    text: reply.text,
    ...(reply.quickReplies ? { quickReplies: reply.quickReplies } : {}),
    ...(reply.link ? { link: { url: reply.link, label: 'Book a meeting' } } : {}),
    at: new Date().toISOString(),
  });
  const status = (session: MockSession) => ({
    sessionId: session.id,
    state: session.state.takenOver ? 'taken_over' : session.state.phase === 'ended' ? 'ended' : 'active',
    outcome: session.state.outcome,
  });
  const takeFailure = (route: Route) => failures.get(route)?.shift();

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const sessionMatch = /^\/v1\/chat\/sessions\/([^/]+)\/messages$/.exec(url.pathname);
    const route: Route | null =
      url.pathname === '/v1/chat/sessions' && req.method === 'POST'
        ? 'start'
        : sessionMatch && req.method === 'POST'
          ? 'send'
          : sessionMatch && req.method === 'GET'
            ? 'poll'
            : null;
    if (!route) return problem(res, 404, 'Not Found', `no route ${req.method} ${url.pathname}`);
    const failure = takeFailure(route);
    if (failure && failure.breakStreamAfterEvents === undefined)
      return json(res, failure.status, failure.problem ?? { title: 'Failure' }, failure.headers);

    if (route === 'start') {
      const body = await readJson(req);
      starts.push(body);
      if (body.widgetKey !== widgetKey)
        return problem(res, 401, 'Unauthorized', 'unknown widget key', 'body.widgetKey');
      const id = nextId('chat');
      const context = (body.context ?? {}) as Record<string, unknown>;
      const started = await engine.start(playbook, {
        sessionId: id,
        ...(typeof body.locale === 'string' ? { locale: body.locale } : {}),
        ...context,
      });
      const session: MockSession = { id, state: started.state, messages: started.replies.map(wire) };
      sessions.set(id, session);
      return json(res, 201, { ...status(session), messages: session.messages });
    }

    if (req.headers['x-widget-key'] !== widgetKey)
      return problem(res, 401, 'Unauthorized', 'missing or unknown widget key', 'header.x-widget-key');
    const session = sessions.get(decodeURIComponent(sessionMatch![1]!));
    if (!session) return problem(res, 404, 'Not Found', 'no such chat session', 'path.id');

    if (route === 'poll') {
      const after = url.searchParams.get('after');
      const index = after ? session.messages.findIndex((m) => m.id === after) : -1;
      return json(res, 200, { ...status(session), messages: session.messages.slice(index + 1) });
    }

    const body = await readJson(req);
    if (session.state.phase === 'ended')
      return json(res, 409, {
        title: 'Conflict',
        status: 409,
        code: 'conflict',
        detail: 'this conversation has ended; start a new one',
        errors: [{ field: 'path.id', reason: 'the session has ended' }],
      });
    const text = typeof body.text === 'string' ? body.text : '';
    if (!text.trim()) return problem(res, 400, 'Bad Request', 'must not be empty', 'body.text');
    if (text.length > 2000)
      return problem(res, 413, 'Payload Too Large', 'at most 2000 characters', 'body.text');
    session.messages.push({ id: nextId('msg'), role: 'visitor', text, at: new Date().toISOString() });
    const turn = await engine.handle(session.state, text);
    session.state = turn.state;
    const replies = turn.replies.map(wire);
    session.messages.push(...replies);

    if (!String(req.headers.accept ?? '').includes('text/event-stream'))
      return json(res, 200, { ...status(session), messages: replies });

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    let sent = 0;
    const event = async (name: string, data: unknown) => {
      if (failure?.breakStreamAfterEvents !== undefined && sent >= failure.breakStreamAfterEvents) {
        res.socket?.destroy();
        throw new Error('stream broken on purpose');
      }
      sent++;
      res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
      await sleep(8);
    };
    try {
      await event('typing', {});
      await sleep(150);
      for (const message of replies) {
        const words = message.text.match(/\S+\s*/g) ?? [];
        for (let i = 0; i < words.length; i += 3)
          await event('delta', { messageId: message.id, text: words.slice(i, i + 3).join('') });
        await event('message', message);
      }
      await event('done', { state: status(session).state, outcome: session.state.outcome });
      res.end();
    } catch {
      // The connection was dropped on purpose; the turn stays processed.
    }
  };

  const widget = () => readFileSync(options.widgetFile);
  const handler = (site: boolean) => (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://mock');
    requests.push({
      method: req.method ?? '',
      url: url.pathname + url.search,
      origin: req.headers.origin,
      headers: req.headers,
    });
    if (site) {
      if (url.pathname !== '/demo') return problem(res, 404, 'Not Found', 'no such page');
      const html = readFileSync(options.demoFile, 'utf8')
        .replaceAll('__WORKSPACE_ID__', workspaceId)
        .replaceAll('__WIDGET_KEY__', widgetKey)
        .replace('src="/widget.js"', `src="${apiOrigin}/widget.js"`);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(html);
    }
    // CORS as the real server does it with an empty allow-list: any origin, preflight answered.
    res.setHeader('access-control-allow-origin', req.headers.origin ?? '*');
    res.setHeader('vary', 'origin');
    res.setHeader('access-control-expose-headers', 'retry-after');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': 'content-type, x-widget-key, accept',
        'access-control-max-age': '600',
      });
      return res.end();
    }
    if (url.pathname === '/widget.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' });
      return res.end(widget());
    }
    api(req, res, url).catch((error: unknown) => {
      if (!res.headersSent) problem(res, 500, 'Internal Server Error', String(error));
    });
  };

  const listen = (server: Server, host: string) =>
    new Promise<number>((resolve) =>
      server.listen(0, host, () => resolve((server.address() as AddressInfo).port)),
    );
  const apiServer = createServer(handler(false));
  const siteServer = createServer(handler(true));
  // Two ports make two origins, so the widget's requests are cross-origin (CORS, preflight) as on a customer's site.
  const apiOrigin = `http://127.0.0.1:${await listen(apiServer, '127.0.0.1')}`;
  const siteOrigin = `http://127.0.0.1:${await listen(siteServer, '127.0.0.1')}`;

  const agent = { id: 'usr_mock_agent', name: 'Sam' };
  const mustGet = (id: string) => {
    const session = sessions.get(id);
    if (!session) throw new Error(`no mock session ${id}`);
    return session;
  };

  return {
    apiOrigin,
    siteOrigin,
    widgetKey,
    workspaceId,
    meetingUrl,
    starts,
    requests,
    sessions,
    failNext(route, failure) {
      failures.set(route, [...(failures.get(route) ?? []), failure]);
    },
    clearFailures() {
      failures.clear();
    },
    takeOver(sessionId, agentName) {
      const session = mustGet(sessionId);
      session.state = engine.takeOver(session.state, { ...agent, name: agentName }).state;
    },
    agentSay(sessionId, text) {
      const session = mustGet(sessionId);
      session.state = engine.agentMessage(session.state, agent, text).state;
      session.messages.push({ id: nextId('msg'), role: 'agent', text, at: new Date().toISOString() });
    },
    async release(sessionId) {
      const session = mustGet(sessionId);
      const turn = await engine.release(session.state);
      session.state = turn.state;
      session.messages.push(...turn.replies.map(wire));
    },
    async close() {
      apiServer.closeAllConnections();
      siteServer.closeAllConnections();
      await Promise.all([
        new Promise((resolve) => apiServer.close(resolve)),
        new Promise((resolve) => siteServer.close(resolve)),
      ]);
    },
  };
}
