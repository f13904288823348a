import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ApiError, createChatApi, parseRetryAfter, StreamError } from '../../web/widget/api.ts';
import { pageContext } from '../../web/widget/context.ts';
import { stringsFor } from '../../web/widget/i18n.ts';
import { createSseParser, type SseEvent } from '../../web/widget/sse.ts';
import type { ChatMessage } from '../../web/widget/types.ts';

// The widget's DOM-free parts, in Node: no browser needed.

const parseAll = (chunks: string[]): SseEvent[] => {
  const events: SseEvent[] = [];
  const parser = createSseParser((event) => events.push(event));
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return events;
};

const splitAt = (text: string, cuts: number[]): string[] => {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(text.slice(from, point));
    from = point;
  }
  chunks.push(text.slice(from));
  return chunks;
};

describe('SSE parser', () => {
  it('reads named events, multi-line data and comments, with any line ending', () => {
    const stream =
      ': keep-alive\r\nevent: typing\r\ndata: {}\r\n\r\nevent: delta\ndata: {"a":\ndata: 1}\n\nevent:done\rdata:{"state":"active"}\r\r';
    assert.deepEqual(parseAll([stream]), [
      { event: 'typing', data: '{}' },
      { event: 'delta', data: '{"a":\n1}' },
      { event: 'done', data: '{"state":"active"}' },
    ]);
  });

  it('gives the same events however the stream is cut into chunks', () => {
    const stream =
      'event: typing\r\ndata: {}\r\n\r\nevent: delta\r\ndata: {"messageId":"m1","text":"Hi "}\r\n\r\nevent: done\r\ndata: {}\r\n\r\n';
    const whole = parseAll([stream]);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
        assert.deepEqual(parseAll(splitAt(stream, cuts)), whole);
      }),
    );
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates', () => {
    assert.equal(parseRetryAfter('7'), 7000);
    assert.equal(
      parseRetryAfter('Thu, 01 Jan 2099 00:00:10 GMT', Date.parse('2099-01-01T00:00:00Z')),
      10_000,
    );
    assert.equal(parseRetryAfter(null), undefined);
    assert.equal(parseRetryAfter('soon'), undefined);
  });
});

describe('page context', () => {
  it('keeps UTM parameters, drops the rest of the query and the fragment, and passes GPC', () => {
    const context = pageContext(
      { href: 'https://www.acme.example/pricing?utm_source=ads&utm_term=crm&email=a%40b.c&token=x#plans' },
      'https://search.example/',
      true,
    );
    assert.deepEqual(context, {
      pageUrl: 'https://www.acme.example/pricing?utm_source=ads&utm_term=crm',
      referrer: 'https://search.example/',
      utm: { source: 'ads', term: 'crm' },
      gpc: true,
    });
    assert.deepEqual(pageContext({ href: 'https://www.acme.example/' }, '', undefined), {
      pageUrl: 'https://www.acme.example/',
      gpc: false,
    });
  });
});

describe('widget strings', () => {
  it('follow the browser language and fall back to English', () => {
    assert.equal(stringsFor('de-AT').send, 'Senden');
    assert.equal(stringsFor('pt-BR').send, 'Send');
    assert.equal(stringsFor(undefined).send, 'Send');
  });
});

describe('chat API client', () => {
  const message: ChatMessage = { id: 'm3', role: 'bot', text: 'Hi there', at: '2026-11-28T10:00:00.000Z' };

  const fakeFetch =
    (response: () => Response, seen: { url: string; init: RequestInit }[] = []): typeof fetch =>
    async (input, init) => {
      seen.push({ url: String(input), init: init ?? {} });
      return response();
    };

  it('sends the widget key and asks for a stream; calls back per event', async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const body = [
      'event: typing\ndata: {}\n\n',
      'event: delta\ndata: {"messageId":"m3","text":"Hi "}\n\n',
      `event: message\ndata: ${JSON.stringify(message)}\n\n`,
      'event: done\ndata: {"state":"active","outcome":null}\n\n',
    ].join('');
    const api = createChatApi({
      origin: 'https://leadloop.example',
      widgetKey: 'pk_test',
      fetch: fakeFetch(() => new Response(body, { headers: { 'content-type': 'text/event-stream' } }), seen),
    });
    const calls: unknown[] = [];
    await api.send('chat_1', 'hello', {
      typing: () => calls.push('typing'),
      delta: (id, text) => calls.push(['delta', id, text]),
      message: (m) => calls.push(['message', m.id]),
      done: (state, outcome) => calls.push(['done', state, outcome]),
    });
    assert.deepEqual(calls, ['typing', ['delta', 'm3', 'Hi '], ['message', 'm3'], ['done', 'active', null]]);
    assert.equal(seen[0]?.url, 'https://leadloop.example/v1/chat/sessions/chat_1/messages');
    const headers = seen[0]?.init.headers as Record<string, string>;
    assert.equal(headers['x-widget-key'], 'pk_test');
    assert.equal(headers.accept, 'text/event-stream');
    assert.equal(seen[0]?.init.credentials, 'omit');
  });

  it('accepts a plain JSON answer to a turn', async () => {
    const api = createChatApi({
      origin: 'https://leadloop.example',
      widgetKey: 'pk_test',
      fetch: fakeFetch(() =>
        Response.json({ sessionId: 'chat_1', state: 'taken_over', outcome: null, messages: [message] }),
      ),
    });
    const calls: unknown[] = [];
    await api.send('chat_1', 'hello', {
      typing: () => calls.push('typing'),
      delta: () => calls.push('delta'),
      message: (m) => calls.push(m.id),
      done: (state) => calls.push(state),
    });
    assert.deepEqual(calls, ['m3', 'taken_over']);
  });

  it('turns problem+json into an ApiError with the field errors and Retry-After', async () => {
    const api = createChatApi({
      origin: 'https://leadloop.example',
      widgetKey: 'pk_test',
      fetch: fakeFetch(
        () =>
          new Response(
            JSON.stringify({
              title: 'Too many requests',
              code: 'rate_limited',
              errors: [{ field: 'ip', reason: 'over the limit' }],
            }),
            { status: 429, headers: { 'content-type': 'application/problem+json', 'retry-after': '3' } },
          ),
      ),
    });
    const error = await api.poll('chat_1').catch((e: unknown) => e);
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 429);
    assert.equal(error.code, 'rate_limited');
    assert.equal(error.retryAfterMs, 3000);
    assert.deepEqual(error.errors, [{ field: 'ip', reason: 'over the limit' }]);
  });

  it('reports a network failure as status 0 and a stream without done as a StreamError', async () => {
    const offline = createChatApi({
      origin: 'https://leadloop.example',
      widgetKey: 'pk_test',
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    const error = await offline.start({ context: {} }).catch((e: unknown) => e);
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 0);

    const cut = createChatApi({
      origin: 'https://leadloop.example',
      widgetKey: 'pk_test',
      fetch: fakeFetch(
        () =>
          new Response('event: typing\ndata: {}\n\n', { headers: { 'content-type': 'text/event-stream' } }),
      ),
    });
    const noop = () => {};
    const broken = await cut
      .send('chat_1', 'hi', { typing: noop, delta: noop, message: noop, done: noop })
      .catch((e: unknown) => e);
    assert.ok(broken instanceof StreamError);
  });
});
