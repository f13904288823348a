import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { LeadloopError, type SecretBox } from '../../core/index.ts';
import type { HttpDeps } from '../deps.ts';
import { type DeclareRoute, workspaceOf } from '../route.ts';

/** Open streams one key may hold; more is a client bug or an attempt to tie up the server. */
const MAX_STREAMS_PER_KEY = 10;

/**
 * Event ids are sealed positions bound to the workspace: the domain event sequence is shared by
 * all tenants, so a bare number would show each tenant the others' volume, and a cursor taken from
 * one workspace does not open in another.
 */
function cursorCodec(box: SecretBox, workspaceId: string) {
  const context = `sse-cursor:${workspaceId}`;
  return {
    seal: (seq: number) => box.seal(String(seq), context),
    open(id: string, field: string): number {
      try {
        const seq = Number(box.open(id, context));
        if (Number.isSafeInteger(seq) && seq >= 0) return seq;
      } catch {
        // A cursor of another workspace, a number from before, or garbage: all the same answer.
      }
      throw new LeadloopError('validation_failed', 'not an event id of this stream', {
        issues: [{ field, reason: 'must be an id this workspace’s stream sent' }],
      });
    },
  };
}

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

export function registerStreamRoute(route: DeclareRoute, deps: HttpDeps, open: Set<ServerResponse>): void {
  const { events, secretBox } = deps;
  const perKey = new Map<string, number>();
  const pollMs = deps.ssePollMs ?? 1000;
  route({
    method: 'GET',
    url: '/v1/events/stream',
    operationId: 'streamEvents',
    summary:
      'Server-sent events: lead.*, chat.*, alert.opened/acknowledged/resolved, metrics.evaluated, optimiser.adjusted/adjustment_settled, email.replied, meeting.booked',
    tag: 'Events',
    auth: 'read',
    query: z
      .object({
        after: z.string().max(200).optional().describe('An event id to resume after, or 0 for the beginning'),
      })
      .strict(),
    headers: [{ name: 'Last-Event-ID', description: 'Resume after this event id' }],
    responses: {
      200: {
        description: `An event stream; event ids are opaque cursors (at most ${MAX_STREAMS_PER_KEY} open streams per key)`,
        contentType: 'text/event-stream',
      },
    },
    async handler({ principal, query, request, reply }) {
      const ctx = workspaceOf(principal);
      const keyId = principal?.keyId ?? '';
      const cursors = cursorCodec(secretBox, ctx.workspaceId);
      const lastEventId = request.headers['last-event-id'];
      let cursor: number;
      if (typeof lastEventId === 'string' && lastEventId !== '')
        cursor = cursors.open(lastEventId, 'header.last-event-id');
      else if (query.after === '0') cursor = 0;
      else if (query.after !== undefined) cursor = cursors.open(query.after, 'query.after');
      else cursor = await events.latestSeq(ctx.workspaceId);
      const streams = perKey.get(keyId) ?? 0;
      if (streams >= MAX_STREAMS_PER_KEY)
        throw new LeadloopError('rate_limited', `this key already has ${streams} open event streams`, {
          retryAfterSeconds: 5,
        });
      perKey.set(keyId, streams + 1);
      reply.hijack();
      const res = reply.raw;
      writeEventStreamHead(res, request.id);
      res.write('retry: 2000\n: connected\n\n');
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
                  `id: ${cursors.seal(event.seq)}\nevent: ${event.type}\ndata: ${JSON.stringify({ ...payload, at: new Date(event.at).toISOString() })}\n\n`,
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
        const left = (perKey.get(keyId) ?? 1) - 1;
        if (left > 0) perKey.set(keyId, left);
        else perKey.delete(keyId);
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
