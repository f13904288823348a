import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createManualClock } from '../src/core/index.ts';
import type { HttpApp } from '../src/http/index.ts';
import { call } from './support/http.ts';
import { DIALECTS, startTestApp, stopTestApp, type TestRuntime, testWorkspace } from './support/runtime.ts';

const ACTOR = { type: 'system', id: 'test' } as const;

/** Reads server-sent events from a live stream until `until` holds or the deadline passes. */
async function readEvents(
  response: Response,
  until: (events: { event: string; data: Record<string, unknown> }[]) => boolean,
  timeoutMs = 20_000,
) {
  const events: { event: string; data: Record<string, unknown> }[] = [];
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const deadline = Date.now() + timeoutMs;
  let pending = reader.read();
  while (!until(events)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`stream did not deliver in time; got ${JSON.stringify(events)}`);
    const next = await Promise.race([pending, new Promise<null>((r) => setTimeout(() => r(null), left))]);
    if (next === null) continue;
    if (next.done) break;
    pending = reader.read();
    buffer += decoder.decode(next.value, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) });
    }
  }
  await reader.cancel().catch(() => {});
  return events;
}

for (const dialect of DIALECTS) {
  describe(`chat hand-off to a person (${dialect})`, () => {
    let runtime: TestRuntime;
    let http: HttpApp;
    let base: string;
    let ws: { workspaceId: string; apiKey: string; widgetKey: string };

    before(async () => {
      // A stream that only polled would wait a minute: what arrives sooner was pushed.
      ({ runtime, http } = await startTestApp(dialect, { ssePollMs: 60_000 }));
      ws = await testWorkspace(runtime, 'Hand-off');
      await http.app.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(http.app.server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await stopTestApp({ runtime, http });
    });

    const start = async () => {
      const started = await call(http.app, 'POST', '/v1/chat/sessions', {
        body: { widgetKey: ws.widgetKey },
      });
      assert.equal(started.status, 201);
      return started.body.sessionId as string;
    };
    const say = (sessionId: string, text: string) =>
      call(http.app, 'POST', `/v1/chat/sessions/${sessionId}/messages`, {
        body: { text },
        headers: { 'x-widget-key': ws.widgetKey },
      });

    it('tells operators at once: a domain event, an audit entry and the waiting list', async () => {
      const sessionId = await start();
      const before = await call(http.app, 'GET', '/v1/chat/sessions?status=waiting', { key: ws.apiKey });
      assert.ok(!JSON.stringify(before.body).includes(sessionId));
      await say(sessionId, 'Can I talk to a real person please?');

      const waiting = await call(http.app, 'GET', '/v1/chat/sessions?status=waiting', { key: ws.apiKey });
      assert.equal(waiting.status, 200);
      const item = (
        waiting.body.items as { id: string; waiting: boolean; waitingSince: string | null }[]
      ).find((i) => i.id === sessionId);
      assert.ok(item, 'the session is listed as waiting');
      assert.equal(item.waiting, true);
      assert.ok(item.waitingSince);

      const eventsOf = () =>
        runtime.inspect
          .selectFrom('domain_events')
          .select(['type', 'data'])
          .where('subject', '=', sessionId)
          .orderBy('seq')
          .execute();
      const requested = (await eventsOf()).filter((e) => e.type === 'chat.handoff_requested');
      assert.equal(requested.length, 1);
      assert.ok(!String(requested[0]?.data).includes('person'), 'no transcript text in the event');
      const audit = await runtime.inspect
        .selectFrom('audit_log')
        .select(['action', 'subject'])
        .where('action', '=', 'chat.handoff_requested')
        .where('subject', '=', sessionId)
        .execute();
      assert.equal(audit.length, 1);

      // Asking again does not file a second request.
      await say(sessionId, 'human please');
      assert.equal((await eventsOf()).filter((e) => e.type === 'chat.handoff_requested').length, 1);
    });

    it('streams the person’s reply to the widget as it is written, named, after a state change that names them', async () => {
      const sessionId = await start();
      await say(sessionId, 'I would like to speak to a human');
      const stream = await fetch(`${base}/v1/chat/sessions/${sessionId}/stream`, {
        headers: { 'x-widget-key': ws.widgetKey, accept: 'text/event-stream' },
      });
      assert.equal(stream.status, 200);
      assert.match(stream.headers.get('content-type') ?? '', /text\/event-stream/);
      const reading = readEvents(stream, (events) =>
        events.some((e) => e.event === 'message' && e.data.text === 'Hi, Dana here. How can I help?'),
      );
      // Let the stream send what exists before the person joins.
      await new Promise((r) => setTimeout(r, 100));
      const agent = { id: 'u_dana', name: 'Dana' };
      assert.equal(
        (
          await call(http.app, 'POST', `/v1/chat/sessions/${sessionId}/takeover`, {
            key: ws.apiKey,
            body: { agent },
          })
        ).status,
        200,
      );
      await call(http.app, 'POST', `/v1/chat/sessions/${sessionId}/agent-messages`, {
        key: ws.apiKey,
        body: { agent, text: 'Hi, Dana here. How can I help?' },
      });
      const events = await reading;
      const takenOver = events.findIndex((e) => e.event === 'state' && e.data.state === 'taken_over');
      const reply = events.findIndex((e) => e.event === 'message' && e.data.role === 'agent');
      assert.ok(takenOver >= 0 && reply > takenOver, 'the state change comes before the reply');
      assert.deepEqual(events[takenOver]?.data.agent, { name: 'Dana' });
      assert.equal(events[reply]?.data.author, 'Dana');

      const listed = await call(http.app, 'GET', '/v1/chat/sessions?status=waiting', { key: ws.apiKey });
      assert.ok(!JSON.stringify(listed.body).includes(sessionId), 'a taken-over chat no longer waits');
      const live = await call(http.app, 'GET', '/v1/chat/sessions?status=live', { key: ws.apiKey });
      const item = (live.body.items as { id: string; agent: unknown }[]).find((i) => i.id === sessionId);
      assert.deepEqual(item?.agent, agent);
      const types = (
        await runtime.inspect
          .selectFrom('domain_events')
          .select('type')
          .where('subject', '=', sessionId)
          .orderBy('seq')
          .execute()
      ).map((e) => e.type);
      // The start is an event too (chat starts are a metric).
      assert.deepEqual(types, ['chat.started', 'chat.handoff_requested', 'chat.taken_over']);
    });

    it('refuses a stream without the widget key, and pages the operator list with a cursor', async () => {
      const sessionId = await start();
      const refused = await fetch(`${base}/v1/chat/sessions/${sessionId}/stream`);
      assert.equal(refused.status, 401);
      assert.match(refused.headers.get('content-type') ?? '', /problem\+json/);
      const first = await call(http.app, 'GET', '/v1/chat/sessions?limit=1', { key: ws.apiKey });
      assert.equal((first.body.items as unknown[]).length, 1);
      const cursor = first.body.nextCursor as string;
      assert.ok(cursor);
      const second = await call(
        http.app,
        'GET',
        `/v1/chat/sessions?limit=1&cursor=${encodeURIComponent(cursor)}`,
        {
          key: ws.apiKey,
        },
      );
      assert.notEqual(
        (second.body.items as { id: string }[])[0]?.id,
        (first.body.items as { id: string }[])[0]?.id,
      );
      const bad = await call(http.app, 'GET', '/v1/chat/sessions?status=busy', { key: ws.apiKey });
      assert.equal(bad.status, 400);
      assert.match(JSON.stringify(bad.body), /query\.status/);
    });
  });

  describe(`chat hand-off when nobody comes (${dialect})`, () => {
    let runtime: TestRuntime;
    let http: HttpApp;
    const clock = createManualClock(Date.parse('2026-12-06T10:00:00Z'));

    before(async () => {
      ({ runtime, http } = await startTestApp(dialect, { clock }));
    });
    after(async () => {
      await stopTestApp({ runtime, http });
    });

    it('says honestly that nobody is free after the workspace hand-off time, once, and offers a follow-up', async () => {
      const a = await testWorkspace(runtime, 'Nobody home');
      await runtime.tenants.updateSettings(a.workspaceId, { chat: { handoffTimeoutSeconds: 30 } }, ACTOR);
      const started = await call(http.app, 'POST', '/v1/chat/sessions', { body: { widgetKey: a.widgetKey } });
      const sessionId = started.body.sessionId as string;
      const poll = () =>
        call(http.app, 'GET', `/v1/chat/sessions/${sessionId}/messages`, {
          headers: { 'x-widget-key': a.widgetKey },
        });
      await call(http.app, 'POST', `/v1/chat/sessions/${sessionId}/messages`, {
        body: { text: 'can i speak to a person' },
        headers: { 'x-widget-key': a.widgetKey },
      });
      clock.advance(20_000);
      assert.ok(!JSON.stringify((await poll()).body).includes('nobody from our team'));
      clock.advance(11_000);
      const told = JSON.stringify((await poll()).body.messages);
      assert.match(told, /nobody from our team is free/i);
      assert.match(told, /email/i);
      clock.advance(60_000);
      const all = (await poll()).body.messages as { text: string }[];
      assert.equal(all.filter((m) => /nobody from our team is free/i.test(m.text)).length, 1, 'said once');
      const listed = await call(http.app, 'GET', '/v1/chat/sessions?status=waiting', { key: a.apiKey });
      const item = (listed.body.items as { id: string; handoffTimedOut: boolean }[]).find(
        (i) => i.id === sessionId,
      );
      assert.equal(item?.handoffTimedOut, true, 'still waiting for a follow-up, marked as timed out');
      const audit = await runtime.inspect
        .selectFrom('audit_log')
        .select('action')
        .where('subject', '=', sessionId)
        .where('action', '=', 'chat.handoff_timed_out')
        .execute();
      assert.equal(audit.length, 1);
    });
  });
}
