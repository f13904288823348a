import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ChatTurn } from '../../chat/index.ts';
import { LeadloopError } from '../../core/index.ts';
import { utmSchema } from '../../leads/index.ts';
import type { HttpDeps } from '../deps.ts';
import { requestHeader } from '../request-headers.ts';
import { actorOf, type DeclareRoute, workspaceOf } from '../route.ts';
import { writeEventStreamHead } from './stream-route.ts';

const messageSchema = z.object({
  id: z.string(),
  role: z.enum(['bot', 'visitor', 'agent']),
  text: z.string(),
  author: z.string().optional(),
  quickReplies: z.array(z.string()).optional(),
  link: z.object({ url: z.string(), label: z.string() }).optional(),
  notice: z
    .object({ version: z.string(), url: z.string() })
    .optional()
    .describe('On the consent question: the workspace’s privacy notice, to show as a link with its version.'),
  at: z.string(),
});
const turnSchema = z.object({
  sessionId: z.string(),
  state: z.enum(['active', 'taken_over', 'ended']),
  outcome: z.enum(['qualified', 'nurture', 'disqualified']).nullable(),
  agent: z.object({ name: z.string() }).optional(),
  messages: z.array(messageSchema),
});
const listItemSchema = z.object({
  id: z.string(),
  state: z.enum(['active', 'taken_over', 'ended']),
  waiting: z.boolean(),
  waitingSince: z.string().nullable(),
  handoffTimedOut: z.boolean(),
  playbook: z.string(),
  outcome: z.enum(['qualified', 'nurture', 'disqualified']).nullable(),
  agent: z.object({ id: z.string(), name: z.string().optional() }).nullable(),
  messageCount: z.number(),
  lastMessage: z
    .object({ role: z.enum(['bot', 'visitor', 'agent']), text: z.string(), at: z.string() })
    .nullable(),
  leadId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const sessionParams = z.object({ id: z.string().regex(/^chat_[0-9A-Z]{26}$/, 'must be a chat session id') });
const agentSchema = z
  .object({ id: z.string().min(1).max(100), name: z.string().max(100).optional() })
  .strict();

/** `streams` holds the open live streams, which shutdown ends (as it ends the event stream's). */
export function registerChatRoutes(
  app: FastifyInstance,
  route: DeclareRoute,
  deps: HttpDeps,
  streams: Set<import('node:http').ServerResponse>,
): void {
  const { tenants, chat, rateLimiter } = deps;

  // The widget runs on customers' sites: answer preflights for the public chat routes, and let the
  // browser read answers (errors included); the allow-list itself is enforced per request.
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/v1/chat/sessions')) return;
    const origin = requestHeader(request, 'origin');
    // Retry-After must be readable by the widget on another origin, to time its retry after a 429.
    if (origin)
      reply
        .header('access-control-allow-origin', origin)
        .header('vary', 'origin')
        .header('access-control-expose-headers', 'retry-after');
  });
  app.options('/v1/chat/*', async (_request, reply) => {
    reply
      .status(204)
      .header('access-control-allow-methods', 'GET, POST, OPTIONS')
      .header('access-control-allow-headers', 'content-type, x-widget-key, accept')
      .header('access-control-max-age', '600');
    return '';
  });

  function limit(key: string, perSecond: number, burst: number): void {
    const taken = rateLimiter.take(key, { perSecond, burst });
    if (!taken.allowed)
      throw new LeadloopError('rate_limited', 'too many chat requests; slow down', {
        retryAfterSeconds: taken.retryAfterSeconds,
      });
  }

  async function checkOrigin(request: FastifyRequest, workspaceId: string): Promise<void> {
    const workspace = await tenants.getWorkspace(workspaceId);
    const allowed = workspace?.settings.widget.allowedOrigins ?? [];
    const origin = requestHeader(request, 'origin');
    if (allowed.length > 0 && (!origin || !allowed.includes(origin))) {
      throw new LeadloopError(
        'forbidden',
        `origin ${origin ?? '(none)'} may not use this workspace's widget`,
        { issues: [{ field: 'header.origin', reason: 'is not in the workspace allow-list' }] },
      );
    }
  }

  route({
    method: 'POST',
    url: '/v1/chat/sessions',
    operationId: 'startChat',
    summary: 'Start a qualification conversation (public: authorised by the publishable widget key)',
    description:
      'The bot speaks first: the answer carries the greeting with the AI disclosure and the first question.',
    tag: 'Chat',
    auth: 'public',
    body: z
      .object({
        widgetKey: z.string().min(1).max(100),
        playbook: z.string().max(64).optional(),
        locale: z.string().max(35).optional(),
        context: z
          .object({
            pageUrl: z.string().max(2000).optional(),
            referrer: z.string().max(2000).optional(),
            utm: utmSchema.optional(),
            gpc: z.boolean().optional(),
          })
          .strict()
          .optional(),
      })
      .strict(),
    status: 201,
    responses: { 201: { description: 'The new session and the bot’s opening messages', schema: turnSchema } },
    async handler({ body, request }) {
      limit(`chat-start:${request.ip}`, 1, 20);
      return chat.start({
        widgetKey: body.widgetKey,
        origin: requestHeader(request, 'origin'),
        playbook: body.playbook,
        locale: body.locale,
        context: body.context,
      });
    },
  });

  route({
    method: 'POST',
    url: '/v1/chat/sessions/:id/messages',
    operationId: 'sendChatMessage',
    summary:
      "Send the visitor's message; the bot's replies come back as JSON or, with Accept: text/event-stream, streamed",
    tag: 'Chat',
    auth: 'public',
    params: sessionParams,
    body: z.object({ text: z.string().max(10_000) }).strict(),
    headers: [{ name: 'x-widget-key', description: 'The publishable widget key', required: true }],
    responses: {
      200: {
        description: 'The replies of this turn (none while a person has taken over)',
        schema: turnSchema,
      },
    },
    async handler({ params, body, request, reply }) {
      limit(`chat-ip:${request.ip}`, 20, 60);
      limit(`chat-session:${params.id}`, 2, 10);
      const widgetKey = requestHeader(request, 'x-widget-key');
      const workspaceId = await chat.workspaceOfSession(params.id, widgetKey);
      if (workspaceId) await checkOrigin(request, workspaceId);
      if (!(requestHeader(request, 'accept') ?? '').includes('text/event-stream'))
        return chat.message({ sessionId: params.id, widgetKey, text: body.text });
      // The stream opens with the first text a model writes: until then a refusal (a conflict, a
      // message too long) is still an ordinary problem+json answer.
      const stream = turnStream(reply.raw, request.id, requestHeader(request, 'origin'));
      let turn: ChatTurn;
      try {
        turn = await chat.message({
          sessionId: params.id,
          widgetKey,
          text: body.text,
          onDelta: (delta) => {
            if (!stream.open) reply.hijack();
            stream.send('delta', delta);
          },
        });
      } catch (error) {
        if (!stream.open) throw error;
        request.log.warn({ err: error }, 'chat turn failed after its reply began streaming');
        stream.send('error', { detail: 'the turn failed; fetch the conversation to see what was saved' });
        stream.end();
        return undefined;
      }
      if (!stream.open) reply.hijack();
      for (const message of turn.messages) stream.send('message', message);
      stream.send('done', { state: turn.state, outcome: turn.outcome });
      stream.end();
      return undefined;
    },
  });

  route({
    method: 'GET',
    url: '/v1/chat/sessions/:id/messages',
    operationId: 'pollChatMessages',
    summary: 'Messages after a given one (the widget polls this while a person has taken over)',
    tag: 'Chat',
    auth: 'public',
    params: sessionParams,
    query: z.object({ after: z.string().max(20).optional() }).strict(),
    headers: [{ name: 'x-widget-key', description: 'The publishable widget key', required: true }],
    responses: { 200: { description: 'Messages after `after`', schema: turnSchema } },
    async handler({ params, query, request }) {
      limit(`chat-ip:${request.ip}`, 20, 60);
      const workspaceId = await chat.workspaceOfSession(params.id, requestHeader(request, 'x-widget-key'));
      if (workspaceId) await checkOrigin(request, workspaceId);
      return chat.poll({
        sessionId: params.id,
        widgetKey: requestHeader(request, 'x-widget-key'),
        after: query.after,
      });
    },
  });

  route({
    method: 'GET',
    url: '/v1/chat/sessions/:id/stream',
    operationId: 'streamChatSession',
    summary:
      'Server-sent events of one conversation for the widget: new messages (a person’s as soon as they are written) and state changes',
    description:
      'Events: `message` (a ChatMessage), `message.delta` ({ messageId, text }: a reply as a model writes it, ' +
      'before its `message`), `state` ({ state, outcome, agent? }). The event id is the message id; ' +
      '`Last-Event-ID` or `?after=` resumes after it. The stream ends after a few minutes; the widget reconnects.',
    tag: 'Chat',
    auth: 'public',
    params: sessionParams,
    query: z
      .object({
        after: z
          .string()
          .regex(/^m\d{1,9}$/, 'must be a message id such as m4')
          .optional(),
      })
      .strict(),
    headers: [{ name: 'x-widget-key', description: 'The publishable widget key', required: true }],
    responses: { 200: { description: 'An event stream', contentType: 'text/event-stream' } },
    async handler({ params, query, request, reply }) {
      limit(`chat-ip:${request.ip}`, 20, 60);
      const widgetKey = requestHeader(request, 'x-widget-key');
      const workspaceId = await chat.workspaceOfSession(params.id, widgetKey);
      if (workspaceId) await checkOrigin(request, workspaceId);
      const lastEventId = requestHeader(request, 'last-event-id');
      let after = lastEventId && /^m\d{1,9}$/.test(lastEventId) ? lastEventId : query.after;
      // Validates the key and the session before the stream opens (errors are problem+json).
      const first = await chat.poll({ sessionId: params.id, widgetKey, after });
      reply.hijack();
      const res = reply.raw;
      const origin = requestHeader(request, 'origin');
      writeEventStreamHead(
        res,
        request.id,
        origin ? { 'access-control-allow-origin': origin, vary: 'origin' } : {},
      );
      res.write('retry: 2000\n\n');
      streams.add(res);
      let closed = false;
      let lastState = '';
      const send = (turn: ChatTurn) => {
        const state = JSON.stringify({ state: turn.state, outcome: turn.outcome, agent: turn.agent });
        if (state !== lastState) {
          res.write(`event: state\ndata: ${state}\n\n`);
          lastState = state;
        }
        for (const message of turn.messages) {
          res.write(`id: ${message.id}\nevent: message\ndata: ${JSON.stringify(message)}\n\n`);
          after = message.id;
        }
      };
      send(first);
      let pumping = Promise.resolve();
      const pump = () => {
        pumping = pumping.then(async () => {
          if (closed) return;
          try {
            send(await chat.poll({ sessionId: params.id, widgetKey, after }));
          } catch (error) {
            request.log.warn({ err: error }, 'chat stream read failed');
          }
        });
      };
      // In-process changes arrive at once; another process's (a scaled-out API) within a second.
      // A model's reply shows here as it is written (`message.delta`), then whole as a `message`.
      const unsubscribe = chat.subscribe(params.id, pump, (delta) => {
        if (!closed) res.write(`event: message.delta\ndata: ${JSON.stringify(delta)}\n\n`);
      });
      const poll = setInterval(pump, deps.ssePollMs ?? 1000);
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      const end = setTimeout(() => res.end(), 5 * 60_000);
      res.on('close', () => {
        closed = true;
        streams.delete(res);
        unsubscribe();
        clearInterval(poll);
        clearInterval(heartbeat);
        clearTimeout(end);
      });
    },
  });

  route({
    method: 'GET',
    url: '/v1/chat/sessions',
    operationId: 'listChatSessions',
    summary: 'Conversations for operators: waiting for a person, live, or ended; latest activity first',
    tag: 'Chat',
    auth: 'read',
    query: z
      .object({
        status: z.enum(['waiting', 'live', 'ended']).optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
        cursor: z
          .string()
          .regex(/^\d{1,16}\|chat_[0-9A-Z]{26}$/, 'must be the nextCursor of a previous page')
          .optional(),
      })
      .strict(),
    responses: {
      200: {
        description: 'A page of conversations',
        schema: z.object({ items: z.array(listItemSchema), nextCursor: z.string().nullable() }),
      },
    },
    async handler({ principal, query }) {
      return chat.list(workspaceOf(principal), query);
    },
  });

  route({
    method: 'GET',
    url: '/v1/chat/sessions/:id',
    operationId: 'getChatSession',
    summary: 'A conversation: transcript, slots, score, consent, state and the lead it produced',
    tag: 'Chat',
    auth: 'read',
    params: sessionParams,
    responses: { 200: { description: 'The session' } },
    async handler({ principal, params }) {
      return chat.get(workspaceOf(principal), params.id);
    },
  });

  route({
    method: 'POST',
    url: '/v1/chat/sessions/:id/takeover',
    operationId: 'takeOverChat',
    summary: 'A person takes over the conversation; the bot stays silent until release',
    tag: 'Chat',
    auth: 'operate',
    params: sessionParams,
    body: z.object({ agent: agentSchema }).strict(),
    responses: { 200: { description: 'The session after takeover', schema: turnSchema } },
    async handler({ principal, params, body }) {
      return chat.takeOver(workspaceOf(principal), params.id, body.agent, actorOf(principal));
    },
  });

  route({
    method: 'POST',
    url: '/v1/chat/sessions/:id/agent-messages',
    operationId: 'sendAgentMessage',
    summary: 'The person who took over writes to the visitor',
    tag: 'Chat',
    auth: 'operate',
    params: sessionParams,
    body: z.object({ agent: agentSchema, text: z.string().min(1).max(2000) }).strict(),
    responses: { 200: { description: 'The agent message', schema: turnSchema } },
    async handler({ principal, params, body }) {
      return chat.agentMessage(workspaceOf(principal), params.id, body.agent, body.text);
    },
  });

  route({
    method: 'POST',
    url: '/v1/chat/sessions/:id/release',
    operationId: 'releaseChat',
    summary: 'Hand the conversation back to the bot',
    tag: 'Chat',
    auth: 'operate',
    params: sessionParams,
    responses: { 200: { description: 'The bot’s next messages', schema: turnSchema } },
    async handler({ principal, params }) {
      return chat.release(workspaceOf(principal), params.id, actorOf(principal));
    },
  });

  route({
    method: 'GET',
    url: '/v1/playbooks',
    operationId: 'listPlaybooks',
    summary: 'Playbooks available to this workspace: built-in (BANT, CHAMP, MEDDIC) and custom',
    tag: 'Chat',
    auth: 'read',
    responses: { 200: { description: 'Playbooks' } },
    async handler({ principal }) {
      const items = await deps.chat.listPlaybooks(workspaceOf(principal));
      return { items: items.map(({ playbook, builtIn }) => ({ ...playbook, builtIn })), nextCursor: null };
    },
  });

  route({
    method: 'PUT',
    url: '/v1/playbooks/:id',
    operationId: 'putPlaybook',
    summary:
      'Create or replace a custom playbook (ordered questions, slots, validation, re-ask messages, points, outcome rules)',
    tag: 'Chat',
    auth: 'admin',
    params: z.object({ id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be a lower-case slug') }),
    body: z.record(z.string(), z.unknown()),
    responses: { 200: { description: 'The stored playbook' } },
    async handler({ principal, params, body }) {
      if (body.id !== undefined && body.id !== params.id) {
        throw new LeadloopError('validation_failed', 'the playbook id in the body differs from the path', {
          issues: [{ field: 'body.id', reason: `must be "${params.id}" or absent` }],
        });
      }
      return deps.chat.putPlaybook(workspaceOf(principal), { ...body, id: params.id }, actorOf(principal));
    },
  });
}

/**
 * A turn's event stream, opened by its first event: `delta` ({ messageId, text }) as a model writes,
 * then `message` for each finished message (the saved text, which replaces the deltas), then `done`.
 */
function turnStream(res: import('node:http').ServerResponse, requestId: string, origin: string | undefined) {
  const stream = {
    open: false,
    send(event: string, data: unknown) {
      if (!stream.open) {
        stream.open = true;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
          'x-accel-buffering': 'no',
          'x-request-id': requestId,
          ...(origin ? { 'access-control-allow-origin': origin, vary: 'origin' } : {}),
        });
        res.write(`event: typing\ndata: {}\n\n`);
      }
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end: () => res.end(),
  };
  return stream;
}
