import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createManualClock } from '../src/core/index.ts';
import { useTestApp } from './support/app.ts';
import { call } from './support/http.ts';
import { DIALECTS, eventually, testWorkspace } from './support/runtime.ts';

const T0 = Date.parse('2026-12-06T10:00:00Z');

for (const dialect of DIALECTS) {
  describe(`funnel metrics: speed-to-lead, hand-off wait, chat drop-off, conversions (${dialect})`, () => {
    const clock = createManualClock(T0);
    const app = useTestApp(dialect, { runtime: { clock } });
    let ws: { workspaceId: string; apiKey: string; widgetKey: string };

    before(async () => {
      ws = await testWorkspace(app.runtime, 'Funnel');
      app.runtime.startWorkers(2);
    });

    const metric = async (name: string, segment = 'all') => {
      const res = await call(
        app.http.app,
        'GET',
        `/v1/analytics/metrics?metric=${name}&segment=${encodeURIComponent(segment)}&window=1d&from=2026-12-06T00:00:00Z&to=2026-12-07T00:00:00Z`,
        { key: ws.apiKey },
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const point = (res.body.points as { value: number | null; count: number }[])[0];
      return {
        value: point?.value ?? null,
        count: point?.count ?? 0,
        segments: res.body.segments as string[],
      };
    };
    const leadsOf = async () =>
      ((await call(app.http.app, 'GET', '/v1/leads?limit=50', { key: ws.apiKey })).body.items ?? []) as {
        id: string;
        status: string;
      }[];

    it('measures speed-to-lead from acceptance to qualification, even when the lead qualifies later', async () => {
      // The first submission does not qualify; five minutes later the threshold falls and the
      // same lead, submitted again, qualifies: 300 s after it was accepted.
      await call(app.http.app, 'PUT', '/v1/scoring/rules', {
        key: ws.apiKey,
        body: { threshold: 1000, rules: [] },
      });
      const body = { email: 'ada@funnel-corp.example.com', company: 'Funnel Corp', source: 'web' };
      assert.equal((await call(app.http.app, 'POST', '/v1/leads', { key: ws.apiKey, body })).status, 202);
      await eventually(async () => ((await leadsOf()).length === 1 ? true : undefined));
      clock.advance(300_000);
      await call(app.http.app, 'PUT', '/v1/scoring/rules', {
        key: ws.apiKey,
        body: { threshold: 0, rules: [] },
      });
      assert.equal((await call(app.http.app, 'POST', '/v1/leads', { key: ws.apiKey, body })).status, 202);
      await eventually(async () => ((await leadsOf())[0]?.status === 'qualified' ? true : undefined));

      const p50 = await metric('speed_to_lead_p50');
      assert.equal(p50.count, 1);
      // Quarter-octave bins: within 19% of the true 300 s.
      assert.ok(p50.value !== null && p50.value > 300 / 1.19 && p50.value <= 300 * 1.19, String(p50.value));
      const web = await metric('speed_to_lead_p90', 'source:web');
      assert.equal(web.count, 1);
    });

    it('counts conversions and their value from recorded outcomes, once even when sent twice', async () => {
      const [lead] = await leadsOf();
      assert.ok(lead);
      for (let i = 0; i < 2; i++) {
        const res = await call(app.http.app, 'POST', `/v1/leads/${lead.id}/outcome`, {
          key: ws.apiKey,
          body: { converted: true, value: 1200 },
        });
        assert.equal(res.status, 200, JSON.stringify(res.body));
      }
      assert.deepEqual(await metric('conversions').then((m) => [m.value, m.count]), [1, 1]);
      assert.equal((await metric('value')).value, 1200);
      assert.equal((await metric('conversion_rate')).value, 1);
    });

    const startChat = async () => {
      const started = await call(app.http.app, 'POST', '/v1/chat/sessions', {
        body: { widgetKey: ws.widgetKey },
      });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      return started.body.sessionId as string;
    };
    const say = (sessionId: string, text: string) =>
      call(app.http.app, 'POST', `/v1/chat/sessions/${sessionId}/messages`, {
        body: { text },
        headers: { 'x-widget-key': ws.widgetKey },
      });

    it('measures the wait from a hand-off request to a person joining', async () => {
      const sessionId = await startChat();
      await say(sessionId, 'Can I talk to a real person please?');
      clock.advance(90_000);
      const taken = await call(app.http.app, 'POST', `/v1/chat/sessions/${sessionId}/takeover`, {
        key: ws.apiKey,
        body: { agent: { id: 'u_dana', name: 'Dana' } },
      });
      assert.equal(taken.status, 200, JSON.stringify(taken.body));
      const wait = await metric('handoff_wait_p50');
      assert.equal(wait.count, 1);
      assert.ok(wait.value !== null && wait.value > 90 / 1.19 && wait.value <= 90 * 1.19, String(wait.value));
      assert.ok(
        wait.segments.some((s) => s.startsWith('playbook:')),
        JSON.stringify(wait.segments),
      );
    });

    it('counts a chat that stops at a question as drop-off at that question', async () => {
      const sessionId = await startChat();
      const left = await say(sessionId, 'bye');
      assert.equal(left.status, 200, JSON.stringify(left.body));
      const session = await call(app.http.app, 'GET', `/v1/chat/sessions/${sessionId}`, { key: ws.apiKey });
      assert.equal(session.status, 200);
      const overall = await metric('chat_dropoff');
      assert.deepEqual([overall.value, overall.count], [1, 1]);
      const question = overall.segments.find((s) => s.startsWith('question:'));
      assert.ok(question, `a per-question segment: ${JSON.stringify(overall.segments)}`);
      const atQuestion = await metric('chat_dropoff', question);
      assert.deepEqual([atQuestion.value, atQuestion.count], [1, 1]);
      assert.equal((await metric('chats_ended')).value, 1);
    });
  });
}
