import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import type { HttpApp } from '../src/http/index.ts';
import { call, sendWebhook } from './support/http.ts';
import {
  DIALECTS,
  eventually,
  startAppWithWorkspace,
  stopTestApp,
  type TestRuntime,
} from './support/runtime.ts';
import { type HttpSink, startHttpSink } from './support/sinks.ts';
import { prepareWorkspace } from './support/workflow-fixtures.ts';

const ACTOR = { type: 'system' as const, id: 'test' };
/** A second workspace with its webhook secret and widget key, for the GPC channels. */
const gpcWs = { workspaceId: '', apiKey: '' };
const DAY = 86_400_000;

/** A share with a third party (an ad audience), guarded by the CCPA/GPC check the verifier requires. */
const AUDIENCE_SYNC = (sinkUrl: string) => ({
  schemaVersion: 1,
  name: 'Ad audience sync',
  triggers: [{ type: 'manual' }],
  start: 'check',
  steps: [
    {
      id: 'check',
      type: 'condition',
      when: { privacy: 'sale_share_allowed' },
      onTrue: 'share',
      onFalse: 'kept',
    },
    { id: 'kept', type: 'noop' },
    {
      id: 'share',
      type: 'webhook',
      url: `${sinkUrl}/audience`,
      event: 'audience.add',
      secret: 'sink-secret',
      sharing: 'third_party',
      payload: { leadId: '{{lead.id}}' },
    },
  ],
});

/**
 * CCPA/CPRA through the request API: know (access), delete (erasure), correct (rectification)
 * and opt-out of sale/share, each on the CCPA clock; and an opt-out (by request or by Global
 * Privacy Control) keeps a lead out of every later third-party share.
 */
for (const dialect of DIALECTS) {
  describe(`CCPA requests and opt-outs (${dialect})`, () => {
    let runtime: TestRuntime;
    let http: HttpApp;
    let sink: HttpSink;
    let ws = { workspaceId: '', organisationId: '', apiKey: '' };
    const keys = { webhookSecret: '', widgetKey: '' };

    before(async () => {
      sink = await startHttpSink();
      ({ runtime, http, ws } = await startAppWithWorkspace(dialect));
      const created = await runtime.tenants.createWorkspace({
        name: 'GPC',
        organisation: 'Org GPC',
        actor: ACTOR,
      });
      Object.assign(keys, { webhookSecret: created.webhookSecret, widgetKey: created.widgetKey });
      Object.assign(gpcWs, { workspaceId: created.workspace.id, apiKey: created.apiKey });
      await inWorkspace(ws.workspaceId, () => prepareWorkspace(runtime, ws.workspaceId));
      runtime.startWorkers(2);
    });
    after(async () => {
      await stopTestApp({ runtime, http });
      await sink.close();
    });

    const submit = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
      const accepted = await call(http.app, 'POST', '/v1/leads', { key: ws.apiKey, body, headers });
      assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
      return eventually(async () => {
        const event = await call(http.app, 'GET', `/v1/events/${accepted.body.eventId}`, { key: ws.apiKey });
        return (event.body.leadId as string | null) ?? undefined;
      });
    };
    const file = async (body: Record<string, unknown>) => {
      const filed = await call(http.app, 'POST', '/v1/privacy/requests', {
        key: ws.apiKey,
        body: { ...body, jurisdiction: 'ccpa' },
      });
      assert.equal(filed.status, 201, JSON.stringify(filed.body));
      return filed.body;
    };
    /** CCPA §7021: 45 days, extendable by 45; receipt confirmed within 10 business days (12 to 14 calendar days, by the weekday received). */
    const assertCcpaClock = (request: Record<string, unknown>) => {
      const received = Date.parse(request.receivedAt as string);
      assert.equal(Date.parse(request.dueAt as string) - received, 45 * DAY);
      assert.equal(Date.parse(request.extendedDueAt as string) - received, 90 * DAY);
      const ack = Date.parse(request.ackDueAt as string) - received;
      assert.ok(ack >= 12 * DAY && ack <= 14 * DAY, `10 business days: ${ack / DAY} calendar days`);
      const weekday = new Date(request.ackDueAt as string).getUTCDay();
      assert.ok(weekday !== 0 && weekday !== 6, 'the confirmation falls on a business day');
    };
    const saleOptOut = async (leadId: string) =>
      (
        (await call(http.app, 'GET', `/v1/leads/${leadId}/consents`, { key: ws.apiKey })).body.state as {
          saleOrShareOptOut: boolean;
        }
      ).saleOrShareOptOut;

    it('know, correct, opt-out and delete each run on the CCPA clock and do what they say', async () => {
      const leadId = await submit({
        email: 'cal.consumer@ccpa.example',
        name: 'Cal Consumr',
        company: 'Golden',
      });

      const know = await file({ type: 'access', subject: { email: 'CAL.CONSUMER@ccpa.example' } });
      assertCcpaClock(know);
      assert.equal(know.status, 'completed');
      const exported = await call(http.app, 'GET', `/v1/privacy/requests/${know.id}/export`, {
        key: ws.apiKey,
      });
      assert.equal(exported.status, 200);
      assert.ok(JSON.stringify(exported.body).includes('Cal Consumr'), 'the export holds what is known');

      const correct = await file({
        type: 'rectification',
        subject: { email: 'cal.consumer@ccpa.example' },
        changes: { name: 'Cal Consumer' },
      });
      assertCcpaClock(correct);
      assert.equal(correct.status, 'completed');
      assert.equal(
        (await call(http.app, 'GET', `/v1/leads/${leadId}`, { key: ws.apiKey })).body.name,
        'Cal Consumer',
      );

      assert.equal(await saleOptOut(leadId), false);
      const optOut = await file({ type: 'opt_out', subject: { leadId } });
      assertCcpaClock(optOut);
      assert.equal(optOut.status, 'completed');
      assert.equal(await saleOptOut(leadId), true);

      const del = await file({ type: 'erasure', subject: { email: 'cal.consumer@ccpa.example' } });
      assertCcpaClock(del);
      assert.equal(del.status, 'completed');
      assert.equal((await call(http.app, 'GET', `/v1/leads/${leadId}`, { key: ws.apiKey })).status, 404);
      const listed = await call(http.app, 'GET', '/v1/privacy/requests?status=completed', { key: ws.apiKey });
      const ids = (listed.body.items as { id: string; jurisdiction: string }[])
        .filter((r) => r.jurisdiction === 'ccpa')
        .map((r) => r.id);
      for (const request of [know, correct, optOut, del]) assert.ok(ids.includes(request.id as string));
    });

    it('a lead that opted out (by request or by Sec-GPC) is never shared with a third party; one that did not is', async () => {
      const workflowId = await inWorkspace(ws.workspaceId, async () => {
        const created = await runtime.workflows.service.create(ws, AUDIENCE_SYNC(sink.url), ACTOR);
        await runtime.workflows.service.activate(ws, created.id, ACTOR);
        return created.id;
      });
      const plain = await submit({ email: 'plain@share.example', name: 'Pat Plain' });
      const requested = await submit({ email: 'requested@share.example', name: 'Rae Requested' });
      await file({ type: 'opt_out', subject: { leadId: requested } });
      const gpc = await submit({ email: 'gpc@share.example', name: 'Gil Gpc' }, { 'sec-gpc': '1' });
      assert.equal(await saleOptOut(gpc), true, 'Sec-GPC: 1 recorded an opt-out');

      const outcome = async (leadId: string) =>
        inWorkspace(ws.workspaceId, async () => {
          const { runId } = await runtime.workflows.service.run(ws, workflowId, { leadId }, ACTOR);
          return eventually(async () => {
            const run = await runtime.workflows.service.getRun(ws, runId);
            if (run.status === 'failed') throw new Error(JSON.stringify(run));
            return run.status === 'completed' ? run.steps.map((s) => s.stepId) : undefined;
          });
        });
      assert.deepEqual(await outcome(plain), ['check', 'share']);
      assert.deepEqual(await outcome(requested), ['check', 'kept']);
      assert.deepEqual(await outcome(gpc), ['check', 'kept']);
      const shared = sink.requests.map((r) => JSON.parse(r.body) as { data?: { leadId?: string } });
      const sharedIds = shared.map((b) => JSON.stringify(b));
      assert.equal(sink.requests.length, 1, sharedIds.join('\n'));
      assert.ok(sharedIds[0]?.includes(plain));
      assert.ok(!sharedIds.some((b) => b.includes(requested) || b.includes(gpc)));
    });

    it('Global Privacy Control from a signed webhook and from the widget flag each record an opt-out of sale/share', async () => {
      const stateOf = async (leadId: string) =>
        (await call(http.app, 'GET', `/v1/leads/${leadId}/consents`, { key: gpcWs.apiKey })).body.state as {
          saleOrShareOptOut: boolean;
          gpc: boolean;
        };
      const leadOfEvent = (eventId: string) =>
        eventually(async () => {
          const event = await call(http.app, 'GET', `/v1/events/${eventId}`, { key: gpcWs.apiKey });
          return (event.body.leadId as string | null) ?? undefined;
        });
      const signalled = await sendWebhook(
        http.app,
        gpcWs.workspaceId,
        keys.webhookSecret,
        { email: 'hook.gpc@gpc.example', name: 'Hook Gpc' },
        { headers: { 'sec-gpc': '1' } },
      );
      assert.equal(signalled.status, 202, JSON.stringify(signalled.body));
      const plain = await sendWebhook(http.app, gpcWs.workspaceId, keys.webhookSecret, {
        email: 'hook.plain@gpc.example',
      });
      const hookLead = await leadOfEvent(signalled.body.eventId as string);
      const plainLead = await leadOfEvent(plain.body.eventId as string);
      const hookState = await stateOf(hookLead);
      assert.equal(hookState.saleOrShareOptOut, true, 'Sec-GPC on the signed webhook opted out');
      assert.equal(hookState.gpc, true);
      assert.equal((await stateOf(plainLead)).saleOrShareOptOut, false, 'no signal, no opt-out recorded');

      // The widget sends the browser's navigator.globalPrivacyControl as the session's context.gpc.
      const started = await call(http.app, 'POST', '/v1/chat/sessions', {
        body: { widgetKey: keys.widgetKey, context: { gpc: true } },
      });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      const sessionId = started.body.sessionId as string;
      const say = (text: string) =>
        call(http.app, 'POST', `/v1/chat/sessions/${sessionId}/messages`, {
          body: { text },
          headers: { 'x-widget-key': keys.widgetKey },
        });
      await say(
        "Hi, I'm Wanda Widget, the CTO of Widget Works, a 200-person logistics company. We need a better way to route inbound leads. Budget is around $50k and we'd like to go live next quarter.",
      );
      await say('wanda@widget-works.example');
      const last = await say('yes');
      assert.equal(last.body.outcome, 'qualified', JSON.stringify(last.body));
      const chatLead = await eventually(async () => {
        const session = await call(http.app, 'GET', `/v1/chat/sessions/${sessionId}`, { key: gpcWs.apiKey });
        return (session.body.leadId as string | null) ?? undefined;
      }, 30_000);
      const chatState = await eventually(async () => {
        const state = await stateOf(chatLead);
        return state.saleOrShareOptOut ? state : undefined;
      });
      assert.equal(chatState.gpc, true);
    });
  });
}
