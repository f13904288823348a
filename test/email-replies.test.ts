import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useTestApp } from './support/app.ts';
import { call } from './support/http.ts';
import { leadRow, workflowRunRow, workflowStepRow } from './support/rows.ts';
import { DIALECTS, testWorkspace } from './support/runtime.ts';

for (const dialect of DIALECTS) {
  describe(`replies and meetings from workflow e-mail (${dialect})`, () => {
    const app = useTestApp(dialect);
    const ws = { a: { id: '', key: '' }, b: { id: '', key: '' } };
    const messageOf = (run: string, step: string) => `<${run}.${step}@mail.example.com>`;

    /** A workflow run for a lead that sent one e-mail, as the engine records it. */
    async function sent(workspaceId: string, run: string, workflow: string, lead: string) {
      const at = app.runtime.clock.now() - 60_000;
      await app.runtime.inspect
        .insertInto('workflow_runs')
        .values(workflowRunRow(run, workspaceId, workflow, lead, at))
        .execute();
      const output = { messageId: messageOf(run, 'hello'), accepted: 1 };
      await app.runtime.inspect
        .insertInto('workflow_steps')
        .values(workflowStepRow(workspaceId, run, { id: 'hello', type: 'send_email', output }, at))
        .execute();
    }

    before(async () => {
      for (const name of ['a', 'b'] as const) {
        const made = await testWorkspace(app.runtime, `Replies ${name}`, `Org replies ${name}`);
        ws[name] = { id: made.workspaceId, key: made.apiKey };
        const at = app.runtime.clock.now();
        await app.runtime.inspect
          .insertInto('leads')
          .values([1, 2].map((n) => leadRow(`lead_${name}${n}`, made.workspaceId, at)))
          .execute();
      }
      await sent(ws.a.id, 'wfr_A1', 'wf_news', 'lead_a1');
      await sent(ws.a.id, 'wfr_A2', 'wf_news', 'lead_a2');
      await sent(ws.a.id, 'wfr_A3', 'wf_promo', 'lead_a1');
      await sent(ws.b.id, 'wfr_B1', 'wf_news', 'lead_b1');
    });

    const reply = (key: string, body: Record<string, unknown>) =>
      call(app.http.app, 'POST', '/v1/email/inbound', {
        key,
        body: {
          from: 'Lead <lead@example.com>',
          to: 'sales@mail.example.com',
          subject: 'Re: hello',
          ...body,
        },
      });
    const metric = async (key: string, name: string, segment: string) => {
      const res = await call(
        app.http.app,
        'GET',
        `/v1/analytics/metrics?metric=${name}&segment=${encodeURIComponent(segment)}&window=1d`,
        { key },
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const points = res.body.points as { value: number | null; count: number }[];
      return { points, segments: res.body.segments as string[] };
    };
    const sum = (points: { value: number | null }[]) => points.reduce((a, p) => a + (p.value ?? 0), 0);

    it('matches a reply by In-Reply-To or References, counts each sent message replied once, and never another workspace’s', async () => {
      const first = await reply(ws.a.key, {
        inReplyTo: messageOf('wfr_A1', 'hello'),
        text: 'Yes, let us talk on Tuesday',
      });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.deepEqual(first.body, {
        runId: 'wfr_A1',
        stepKey: 'hello',
        workflowId: 'wf_news',
        leadId: 'lead_a1',
        replayed: false,
      });
      const again = await reply(ws.a.key, { references: `<x@y> ${messageOf('wfr_A1', 'hello')}` });
      assert.equal(again.body.replayed, true);
      const promo = await reply(ws.a.key, {
        inReplyTo: '<unknown@elsewhere>',
        references: `${messageOf('wfr_A3', 'hello')} <other@x>`,
      });
      assert.equal(promo.body.workflowId, 'wf_promo');

      // Workspace B's message, offered with A's key, and A's with B's: nothing matches.
      const foreign = await reply(ws.a.key, { inReplyTo: messageOf('wfr_B1', 'hello') });
      assert.equal(foreign.status, 404);
      assert.equal((foreign.body.errors as { field: string }[])[0]?.field, 'body.inReplyTo');
      assert.equal((await reply(ws.b.key, { inReplyTo: messageOf('wfr_A2', 'hello') })).status, 404);
      // A forged id naming A's run but not its message does not match either.
      assert.equal((await reply(ws.a.key, { inReplyTo: '<wfr_A2.hello@forged.example>' })).status, 404);

      const events = await app.runtime.inspect
        .selectFrom('domain_events')
        .select(['workspace_id', 'subject', 'data'])
        .where('type', '=', 'email.replied')
        .execute();
      assert.equal(events.length, 2, 'two messages replied, each once; nothing for the misses');
      assert.ok(events.every((e) => e.workspace_id === ws.a.id));
      assert.ok(
        events.every((e) => !String(e.data).includes('Tuesday')),
        'the body is not stored',
      );

      const rate = await metric(ws.a.key, 'reply_rate', 'workflow:wf_news');
      assert.equal(sum(rate.points), 0.5, 'one reply over two sends');
      assert.equal(
        (await metric(ws.a.key, 'reply_rate', 'workflow:wf_promo')).points.find((p) => p.count > 0)?.value,
        1,
      );
      const replies = await metric(ws.a.key, 'replies', 'all');
      assert.equal(sum(replies.points), 2);
      assert.ok(replies.segments.includes('workflow:wf_news'));
      assert.equal(sum((await metric(ws.b.key, 'replies', 'all')).points), 0);
    });

    it('answers bad input with problem+json naming the field', async () => {
      const none = await reply(ws.a.key, { text: 'hi' });
      assert.equal(none.status, 400, JSON.stringify(none.body));
      assert.match(JSON.stringify(none.body), /body\.inReplyTo/);
      const missing = await call(app.http.app, 'POST', '/v1/email/inbound', {
        key: ws.a.key,
        body: { to: 'x@y.z', inReplyTo: '<a@b>' },
      });
      assert.equal(missing.status, 400);
      assert.match(JSON.stringify(missing.body), /from/);
      const badTime = await call(app.http.app, 'POST', '/v1/meetings', {
        key: ws.a.key,
        body: { leadId: 'lead_a1', startsAt: 'tomorrow' },
      });
      assert.equal(badTime.status, 400);
      assert.match(JSON.stringify(badTime.body), /startsAt/);
    });

    it('records meetings for a lead, attributed to the last workflow that e-mailed it, once per booking id', async () => {
      const startsAt = new Date(app.runtime.clock.now() + 86_400_000).toISOString();
      const booked = await call(app.http.app, 'POST', '/v1/meetings', {
        key: ws.a.key,
        body: { leadId: 'lead_a2', startsAt, externalId: 'cal_1' },
      });
      assert.equal(booked.status, 200, JSON.stringify(booked.body));
      assert.deepEqual(booked.body, { leadId: 'lead_a2', workflowId: 'wf_news', replayed: false });
      const replayed = await call(app.http.app, 'POST', '/v1/meetings', {
        key: ws.a.key,
        body: { leadId: 'lead_a2', startsAt, externalId: 'cal_1' },
      });
      assert.equal(replayed.body.replayed, true);
      const named = await call(app.http.app, 'POST', '/v1/meetings', {
        key: ws.a.key,
        body: { leadId: 'lead_a1', startsAt, workflowId: 'wf_promo' },
      });
      assert.equal(named.body.workflowId, 'wf_promo');
      // Another workspace's lead is not found, and nothing is recorded.
      const foreign = await call(app.http.app, 'POST', '/v1/meetings', {
        key: ws.b.key,
        body: { leadId: 'lead_a1', startsAt },
      });
      assert.equal(foreign.status, 404);
      assert.match(JSON.stringify(foreign.body), /body\.leadId/);
      assert.equal(sum((await metric(ws.a.key, 'meetings', 'all')).points), 2);
      assert.equal(sum((await metric(ws.a.key, 'meetings', 'workflow:wf_news')).points), 1);
      assert.equal(sum((await metric(ws.b.key, 'meetings', 'all')).points), 0);
    });
  });
}
