import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { LeadloopError } from '../../core/index.ts';
import type { HttpDeps } from '../deps.ts';
import { type RouteCatalog, registerRoute, workspaceOf } from '../route.ts';

/**
 * Server-sent events of the caller's workspace's domain events. The stream is read from the
 * database (so events written by worker processes arrive too), woken early by in-process commits.
 * `Last-Event-ID` (or `?after=`) resumes after a position; otherwise only new events are sent.
 */
/** Starts a server-sent event stream that proxies neither buffer nor cache. */
export function writeEventStreamHead(
  res: ServerResponse,
  requestId: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': requestId,
    ...headers,
  });
}

export function registerStreamRoute(
  app: FastifyInstance,
  catalog: RouteCatalog,
  deps: HttpDeps,
  open: Set<ServerResponse>,
): void {
  const { tenants, events } = deps;
  const pollMs = deps.ssePollMs ?? 1000;
  registerRoute(app, catalog, tenants, {
    method: 'GET',
    url: '/v1/events/stream',
    operationId: 'streamEvents',
    summary: 'Server-sent events: lead.created, lead.updated, lead.scored, lead.qualified',
    tag: 'Events',
    auth: 'read',
    query: z.object({ after: z.coerce.number().int().min(0).optional() }).strict(),
    headers: [{ name: 'Last-Event-ID', description: 'Resume after this event position' }],
    responses: {
      200: {
        description: 'An event stream; each event id is its position',
        contentType: 'text/event-stream',
      },
    },
    async handler({ principal, query, request, reply }) {
      const ctx = workspaceOf(principal);
      const lastEventId = request.headers['last-event-id'];
      const resume =
        typeof lastEventId === 'string' && lastEventId !== '' ? Number(lastEventId) : query.after;
      if (resume !== undefined && !Number.isSafeInteger(resume)) {
        throw new LeadloopError('validation_failed', 'Last-Event-ID must be an event position', {
          issues: [{ field: 'header.last-event-id', reason: 'must be an integer' }],
        });
      }
      let cursor = resume ?? (await events.latestSeq(ctx.workspaceId));
      reply.hijack();
      const res = reply.raw;
      writeEventStreamHead(res, request.id);
      res.write(`retry: 2000\n: connected at position ${cursor}\n\n`);
      open.add(res);
      let closed = false;
      let pumping = false;
      let again = false;
      const pump = async () => {
        if (pumping) {
          again = true;
          return;
        }
        pumping = true;
        try {
          do {
            again = false;
            for (;;) {
              const batch = await events.readSince(ctx.workspaceId, cursor, 200);
              for (const event of batch) {
                if (closed) return;
                const { workspaceId: _ws, ...payload } = event;
                res.write(
                  `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify({ ...payload, at: new Date(event.at).toISOString() })}\n\n`,
                );
                cursor = event.seq;
              }
              if (batch.length < 200) break;
            }
          } while (again && !closed);
        } catch (error) {
          request.log.warn({ err: error }, 'event stream read failed');
        } finally {
          pumping = false;
        }
      };
      const unsubscribe = events.subscribe(ctx.workspaceId, () => void pump());
      const poll = setInterval(() => void pump(), pollMs);
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      const close = () => {
        if (closed) return;
        closed = true;
        unsubscribe();
        clearInterval(poll);
        clearInterval(heartbeat);
        open.delete(res);
      };
      res.on('close', close);
      void pump();
    },
  });
}
