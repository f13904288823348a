import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createManualClock, inWorkspace } from '../src/core/index.ts';
import type { HttpApp } from '../src/http/index.ts';
import {
  countryOfNumber,
  createSafeHttp,
  nextSendingWindow,
  type OutboundError,
  recipientZones,
  sendTwilioMessage,
  toE164,
} from '../src/workflows/index.ts';
import { call } from './support/http.ts';
import { eventually, startAppWithWorkspace, stopTestApp, type TestRuntime } from './support/runtime.ts';
import { type HttpSink, type ReceivedRequest, startHttpSink } from './support/sinks.ts';
import { defineWorkflow } from './support/workflow-definition.ts';
import {
  createActiveWorkflow,
  prepareWorkspace,
  runWhen,
  submitLeadForId,
  withdrawThroughPreferenceLink,
} from './support/workflow-fixtures.ts';

const ACTOR = { type: 'system' as const, id: 'test' };
const ACCOUNT = { accountSid: 'AC0123456789abcdef', authToken: 'token-123', from: '+15005550006' };
const US_ZONES = recipientZones({ numberCountry: 'US', leadCountry: null, fallback: 'UTC' });

/** A local Twilio: checks the documented shape (path, Basic auth, form fields) and answers like Twilio. */
function twilioAnswer(request: ReceivedRequest, res: import('node:http').ServerResponse): void {
  const match = /^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/.exec(request.url);
  const auth = Buffer.from(
    String(request.headers.authorization ?? '').replace(/^Basic /, ''),
    'base64',
  ).toString();
  const form = new URLSearchParams(request.body);
  const problems: string[] = [];
  if (request.method !== 'POST' || !match) problems.push(`unknown resource ${request.method} ${request.url}`);
  if (auth !== `${match?.[1]}:${ACCOUNT.authToken}`) problems.push('bad Basic credentials');
  if (request.headers['content-type'] !== 'application/x-www-form-urlencoded') problems.push('not a form');
  if (!/^\+\d{8,15}$/.test(form.get('To') ?? '')) problems.push('To is not E.164');
  if (!form.get('From') && !form.get('MessagingServiceSid')) problems.push('no sender');
  if (match?.[2] === 'Messages' && !form.get('Body')) problems.push('no Body');
  if (match?.[2] === 'Calls' && !/^<Response><Say>.*<\/Say><\/Response>$/.test(form.get('Twiml') ?? ''))
    problems.push('no Twiml');
  if (form.get('To') === '+15005550001') {
    res.writeHead(400, { 'content-type': 'application/json' });
    return void res.end(
      JSON.stringify({ code: 21211, message: "The 'To' number is not valid.", status: 400 }),
    );
  }
  if (problems.length > 0) {
    res.writeHead(422, { 'content-type': 'application/json' });
    return void res.end(JSON.stringify({ code: 20001, message: problems.join('; '), status: 422 }));
  }
  res.writeHead(201, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ sid: match?.[2] === 'Messages' ? 'SM0001' : 'CA0001', status: 'queued' }));
}

describe('SMS through Twilio’s REST shape', () => {
  let sink: HttpSink;
  const http = createSafeHttp({});
  const deps = { http, policy: { allow: ['127.0.0.1'] } };
  before(async () => {
    sink = await startHttpSink(twilioAnswer);
  });
  after(() => sink.close());

  it('sends an SMS as a form POST to Messages.json with Basic auth, and an automated call with escaped TwiML', async () => {
    const account = { ...ACCOUNT, baseUrl: sink.url };
    const sms = await sendTwilioMessage(deps, {
      account,
      channel: 'sms',
      to: '+442079460000',
      text: 'Your demo is at 10:00 & we look forward to it',
      idempotencyKey: 'wfr_1:text#1',
    });
    assert.deepEqual(sms.summary, { provider: 'twilio', channel: 'sms', sid: 'SM0001', state: 'queued' });
    const sent = new URLSearchParams(sink.requests.at(-1)?.body);
    assert.equal(sent.get('Body'), 'Your demo is at 10:00 & we look forward to it');
    assert.equal(sent.get('From'), ACCOUNT.from);
    assert.equal(sink.requests.at(-1)?.headers['i-idempotency-key'], 'wfr_1:text#1');
    const callResult = await sendTwilioMessage(deps, {
      account,
      channel: 'call',
      to: '+442079460000',
      text: 'Hello <friend>',
      idempotencyKey: 'wfr_1:call#1',
    });
    assert.equal(callResult.summary.sid, 'CA0001');
    assert.equal(
      new URLSearchParams(sink.requests.at(-1)?.body).get('Twiml'),
      '<Response><Say>Hello &lt;friend&gt;</Say></Response>',
    );
    const viaService = await sendTwilioMessage(deps, {
      account: { ...account, from: 'MG0123456789' },
      channel: 'sms',
      to: '+442079460000',
      text: 'hi',
      idempotencyKey: 'k',
    });
    assert.equal(viaService.status, 201);
    assert.equal(new URLSearchParams(sink.requests.at(-1)?.body).get('MessagingServiceSid'), 'MG0123456789');
  });

  it('a rejected number is a permanent failure naming Twilio’s error; a 503 is retryable', async () => {
    const text = (baseUrl: string, to: string) =>
      sendTwilioMessage(deps, {
        account: { ...ACCOUNT, baseUrl },
        channel: 'sms',
        to,
        text: 'x',
        idempotencyKey: 'k',
      });
    await assert.rejects(
      text(sink.url, '+15005550001'),
      (error: OutboundError) => error.retryable === false && /21211/.test(error.message),
    );
    const down = await startHttpSink((_r, res) => {
      res.writeHead(503);
      res.end('busy');
    });
    await assert.rejects(text(down.url, '+442079460000'), (error: OutboundError) => error.retryable === true);
    await down.close();
  });
});

describe('quiet hours: the recipient’s 8:00–21:00', () => {
  it('reads numbers as E.164 and finds their country (NANP split into US and Canada)', () => {
    assert.equal(toE164('+1 (212) 555-0100', null), '+12125550100');
    assert.equal(toE164('0044 20 7946 0000', null), '+442079460000');
    assert.equal(toE164('020 7946 0000', 'GB'), '+442079460000');
    assert.equal(toE164('212-555-0100', 'US'), '+12125550100');
    assert.equal(toE164('not a number', 'US'), null);
    assert.equal(countryOfNumber('+12125550100'), 'US');
    assert.equal(countryOfNumber('+14165550100'), 'CA');
    assert.equal(countryOfNumber('+442079460000'), 'GB');
    assert.equal(countryOfNumber('+4915112345678'), 'DE');
    assert.equal(countryOfNumber('+99912345678'), null);
  });

  it('a single-zone country opens at 8:00 local; a night send waits, a day send does not', () => {
    const london = recipientZones({ numberCountry: 'GB', leadCountry: null, fallback: 'UTC' });
    const night = Date.UTC(2026, 0, 6, 3, 0);
    assert.equal(nextSendingWindow(night, london), Date.UTC(2026, 0, 6, 8, 0));
    const noon = Date.UTC(2026, 0, 6, 12, 7);
    assert.equal(nextSendingWindow(noon, london), noon);
    // 21:00 is already closed; the next morning opens it. In summer London is UTC+1.
    assert.equal(nextSendingWindow(Date.UTC(2026, 6, 6, 20, 0), london), Date.UTC(2026, 6, 7, 7, 0));
  });

  it('a country over several zones sends only while it is day in all of them; the lead’s own zone wins', () => {
    // January: 8:00 in Honolulu (UTC−10) is 18:00 UTC; 21:00 in New York (UTC−5) is 02:00 UTC.
    assert.equal(nextSendingWindow(Date.UTC(2026, 0, 6, 3, 0), US_ZONES), Date.UTC(2026, 0, 6, 18, 0));
    assert.equal(nextSendingWindow(Date.UTC(2026, 0, 6, 19, 0), US_ZONES), Date.UTC(2026, 0, 6, 19, 0));
    const own = recipientZones({
      leadTimeZone: 'America/New_York',
      numberCountry: 'US',
      leadCountry: 'US',
      fallback: 'UTC',
    });
    assert.deepEqual(own, ['America/New_York']);
    assert.equal(nextSendingWindow(Date.UTC(2026, 0, 6, 3, 0), own), Date.UTC(2026, 0, 6, 13, 0));
    // An unknown number falls back to the lead's country, then to the workflow's zone.
    assert.deepEqual(recipientZones({ numberCountry: null, leadCountry: 'de', fallback: 'UTC' }), [
      'Europe/Berlin',
    ]);
    assert.deepEqual(recipientZones({ numberCountry: null, leadCountry: null, fallback: 'Asia/Tokyo' }), [
      'Asia/Tokyo',
    ]);
  });
});

describe('send_sms in a workflow: TCPA consent, quiet hours as a durable wait (SQLite, manual clock)', () => {
  // 2026-01-06 03:00 UTC: night in London and across the US.
  const clock = createManualClock(Date.UTC(2026, 0, 6, 3, 0));
  let runtime: TestRuntime;
  let http: HttpApp;
  let sink: HttpSink;
  let ws: { workspaceId: string; apiKey: string };
  let workflowId = '';

  before(async () => {
    sink = await startHttpSink(twilioAnswer);
    ({ runtime, http, ws } = await startAppWithWorkspace('sqlite', { clock, queuePollMs: 5 }));
    await inWorkspace(ws.workspaceId, async () => {
      await prepareWorkspace(runtime, ws.workspaceId);
      await runtime.workflows.credentials.put(runtime.store.db, ws, 'sms-provider', {
        kind: 'twilio',
        ...ACCOUNT,
        baseUrl: sink.url,
      });
      workflowId = await createActiveWorkflow(
        runtime,
        ws,
        defineWorkflow('Text reminder', [
          {
            id: 'consent',
            type: 'condition',
            when: { consent: { purposes: ['sms'], written: true } },
            onTrue: 'text',
          },
          {
            id: 'text',
            type: 'send_sms',
            to: 'lead',
            purpose: 'transactional',
            text: 'Hi {{lead.name}}, your demo is tomorrow',
          },
        ]),
      );
    });
    runtime.startWorkers(2);
  });
  after(async () => {
    await stopTestApp({ runtime, http });
    await sink.close();
  });

  it('the verifier refuses an SMS to a lead without the written-consent guard (TCPA)', async () => {
    const verdict = await call(http.app, 'POST', '/v1/workflows/verify', {
      key: ws.apiKey,
      body: defineWorkflow('Unguarded', [
        { id: 'text', type: 'send_sms', to: 'lead', purpose: 'transactional', text: 'hi' },
      ]),
    });
    assert.equal(verdict.body.ok, false, JSON.stringify(verdict.body));
    const rules = (verdict.body.findings as { rule: string; step: string }[]).map(
      (f) => `${f.rule}@${f.step}`,
    );
    assert.ok(rules.includes('tcpa.sms_written_consent@text'), rules.join());
  });

  const lead = (email: string, phone: string, country: string, method: string) =>
    submitLeadForId(http.app, ws.apiKey, {
      email,
      name: 'Ann',
      phone,
      country,
      consent: {
        purposes: ['sms'],
        textVersion: 'n-1',
        timestamp: new Date(clock.now()).toISOString(),
        method,
      },
    });
  const stepOf = (runId: string) =>
    runtime.inspect
      .selectFrom('workflow_steps')
      .select(['status', 'wake_at', 'output'])
      .where('run_id', '=', runId)
      .where('step_id', '=', 'text')
      .executeTakeFirst();
  /** Waits until the run's text step is in `status`; the step then. */
  const textStepIn = (runId: string, status: string) =>
    eventually(async () => {
      const s = await stepOf(runId);
      return s?.status === status ? s : undefined;
    });

  it('holds texts at night until 8:00 in the recipient’s zone, then sends each once; no written consent, no text', async () => {
    const london = await lead('uk@example.com', '+44 20 7946 0000', 'GB', 'checkbox');
    const newYork = await lead('us@example.com', '+1 212 555 0100', 'US', 'checkbox');
    const spoken = await lead('verbal@example.com', '+1 212 555 0199', 'US', 'verbal');
    const start = (leadId: string) =>
      inWorkspace(ws.workspaceId, () => runtime.workflows.service.run(ws, workflowId, { leadId }, ACTOR));
    const uk = await start(london);
    const us = await start(newYork);
    const none = await start(spoken);
    const ukWait = await textStepIn(uk.runId, 'waiting');
    const usWait = await textStepIn(us.runId, 'waiting');
    assert.equal(Number(ukWait.wake_at), Date.UTC(2026, 0, 6, 8, 0), 'London opens at 08:00 UTC');
    assert.equal(
      Number(usWait.wake_at),
      Date.UTC(2026, 0, 6, 18, 0),
      'the US opens when it is 8:00 in Honolulu',
    );
    assert.equal(JSON.parse(usWait.output ?? '{}').quietHours, true);
    const noConsent = await inWorkspace(ws.workspaceId, () =>
      runWhen(runtime, ws, none.runId, (run) => run.status === 'completed'),
    );
    assert.equal(noConsent.status, 'completed');
    assert.equal(
      await stepOf(none.runId),
      undefined,
      'verbal consent is not written: the guard took the other way',
    );
    assert.equal(sink.requests.length, 0, 'nothing is sent at night');

    clock.set(Date.UTC(2026, 0, 6, 8, 0, 1));
    runtime.queue.notify();
    await eventually(async () => (sink.requests.length >= 1 ? true : undefined));
    assert.equal(new URLSearchParams(sink.requests[0]?.body).get('To'), '+442079460000');
    assert.equal(new URLSearchParams(sink.requests[0]?.body).get('Body'), 'Hi Ann, your demo is tomorrow');
    // Settled before the clock jumps again (a jump past the job's lease would let another worker
    // deliver it a second time, with the same idempotency key: at-least-once, deduplicated by key).
    await textStepIn(uk.runId, 'completed');
    assert.equal((await stepOf(us.runId))?.status, 'waiting', 'still night in Honolulu');

    clock.set(Date.UTC(2026, 0, 6, 18, 0, 1));
    runtime.queue.notify();
    await textStepIn(us.runId, 'completed');
    assert.deepEqual(
      sink.requests.map((r) => new URLSearchParams(r.body).get('To')),
      ['+442079460000', '+12125550100'],
      'each text once',
    );
    assert.equal(new Set(sink.requests.map((r) => r.headers['i-idempotency-key'])).size, 2);
    const audit = await runtime.inspect
      .selectFrom('audit_log')
      .select(['action', 'subject'])
      .where('action', '=', 'workflow.action')
      .execute();
    assert.ok(audit.some((a) => a.subject === newYork) && audit.some((a) => a.subject === london));
  });
  it('written consent withdrawn while a text waits for the morning: the text is skipped at send time, with the reason in the step output and the audit trail', async () => {
    // Night again (03:00 UTC): the text waits for 8:00 in the recipient's zone.
    clock.set(Date.UTC(2026, 0, 7, 3, 0));
    const leadId = await lead('lost@example.com', '+1 212 555 0142', 'US', 'checkbox');
    const before = sink.requests.length;
    const { runId } = await inWorkspace(ws.workspaceId, () =>
      runtime.workflows.service.run(ws, workflowId, { leadId }, ACTOR),
    );
    await textStepIn(runId, 'waiting');
    await withdrawThroughPreferenceLink(http.app, ws.apiKey, leadId, 'sms');

    clock.set(Date.UTC(2026, 0, 7, 18, 0, 1));
    runtime.queue.notify();
    const step = await textStepIn(runId, 'skipped');
    const reason = String((JSON.parse(step.output ?? '{}') as { suppressed?: unknown }).suppressed);
    assert.match(reason, /consent changed since condition consent/);
    assert.equal(sink.requests.length, before, 'no text was sent');
    const audit = await runtime.inspect
      .selectFrom('audit_log')
      .select(['reason', 'data'])
      .where('action', '=', 'workflow.action_suppressed')
      .where('subject', '=', leadId)
      .execute();
    assert.equal(audit.length, 1, JSON.stringify(audit));
    assert.equal(audit[0]?.reason, reason);
    assert.equal((JSON.parse(audit[0]?.data ?? '{}') as { effect?: string }).effect, 'sms');
    const run = await inWorkspace(ws.workspaceId, () => runtime.workflows.service.getRun(ws, runId));
    assert.equal(run.status, 'completed');
  });
});
