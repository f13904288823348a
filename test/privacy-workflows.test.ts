import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import type { HttpApp } from '../src/http/index.ts';
import { call } from './support/http.ts';
import {
  DIALECTS,
  eventually,
  startAppWithWorkspace,
  stopTestApp,
  type TestRuntime,
} from './support/runtime.ts';
import { type HttpSink, mailHeader, type SmtpSink, startHttpSink, startSmtpSink } from './support/sinks.ts';
import { defineWorkflow } from './support/workflow-definition.ts';
import {
  createActiveWorkflow,
  prepareWorkspace,
  runWhen,
  submitLeadForId,
  wakeWaitingSteps,
  withdrawThroughPreferenceLink,
} from './support/workflow-fixtures.ts';

const ACTOR = { type: 'system' as const, id: 'test' };

/**
 * A pause (a due timer row), then consent checked, then a marketing e-mail. (The verifier wants the
 * check after the wait: a wait forgets every check before it.)
 */
const NURTURE = defineWorkflow('Nurture after a pause', [
  { id: 'pause', type: 'wait', wait: { kind: 'duration', ms: 3_600_000 }, next: 'check' },
  {
    id: 'check',
    type: 'condition',
    when: { consent: { purposes: ['email_marketing'] } },
    onTrue: 'mail',
    onFalse: 'held',
  },
  { id: 'held', type: 'noop' },
  {
    id: 'mail',
    type: 'send_email',
    to: 'lead',
    purpose: 'marketing',
    subject: 'News for {{lead.name}}',
    body: 'Hello {{lead.name}}.',
    next: 'done',
  },
  { id: 'done', type: 'noop' },
]);

/**
 * A consent check, a call to a CRM-like endpoint (a step of its own, which can take long or retry),
 * then enrolment in a sequence and a marketing e-mail. The enrolment runs inline, in the call's
 * transaction: it must look at consent again, as the e-mail step does.
 */
const ENROL = (sinkUrl: string) =>
  defineWorkflow('Enrol after a sync', [
    {
      id: 'check',
      type: 'condition',
      when: { consent: { purposes: ['email_marketing'] } },
      onTrue: 'sync',
    },
    {
      id: 'sync',
      type: 'http_request',
      method: 'POST',
      url: `${sinkUrl}/sync`,
      sharing: 'first_party',
      body: { lead: '{{lead.id}}' },
      next: 'enrol',
    },
    { id: 'enrol', type: 'add_to_sequence', sequence: 'nurture', next: 'mail' },
    {
      id: 'mail',
      type: 'send_email',
      to: 'lead',
      purpose: 'marketing',
      subject: 'Welcome to the series, {{lead.name}}',
      body: 'Hello {{lead.name}}.',
    },
  ]);

/** The privacy ledger drives the workflow engine: withdrawals stop the next e-mail of a waiting run. */
for (const dialect of DIALECTS) {
  describe(`workflows read the privacy ledger (${dialect})`, () => {
    let runtime: TestRuntime;
    let http: HttpApp;
    let smtp: SmtpSink;
    let crm: HttpSink;
    /** The CRM answers a call only when the test lets it (the run is held inside its `sync` step). */
    const held: (() => void)[] = [];
    let origin = '';
    let ws = { workspaceId: '', organisationId: '', apiKey: '' };
    let workflowId = '';

    before(async () => {
      smtp = await startSmtpSink();
      crm = await startHttpSink((_request, res) => {
        held.push(() => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"ok":true}');
        });
      });
      ({ runtime, http, ws } = await startAppWithWorkspace(dialect, {
        config: { LEADLOOP_SMTP_URL: smtp.url },
      }));
      await inWorkspace(ws.workspaceId, async () => {
        await prepareWorkspace(runtime, ws.workspaceId);
        workflowId = await createActiveWorkflow(runtime, ws, NURTURE);
      });
      // A real socket: the one-click unsubscribe is posted the way a mailbox provider posts it.
      origin = await http.app.listen({ port: 0, host: '127.0.0.1' });
      runtime.startWorkers(2);
    });
    after(async () => {
      await stopTestApp({ runtime, http });
      await smtp.close();
      await crm.close();
    });

    const submit = (email: string, name: string) =>
      submitLeadForId(http.app, ws.apiKey, {
        email,
        name,
        consent: {
          purposes: ['email_marketing'],
          textVersion: 'notice-7',
          timestamp: new Date().toISOString(),
          method: 'checkbox',
        },
      });
    const startRun = (leadId: string) =>
      inWorkspace(ws.workspaceId, async () => {
        const { runId } = await runtime.workflows.service.run(ws, workflowId, { leadId }, ACTOR);
        await runWhen(
          runtime,
          ws,
          runId,
          (run) => run.steps.find((s) => s.stepId === 'pause')?.status === 'waiting',
        );
        return runId;
      });
    /** Waits (outside the workspace scope, each poll inside it) until the run completed. */
    const completed = (runId: string) =>
      inWorkspace(ws.workspaceId, () => runWhen(runtime, ws, runId, (run) => run.status === 'completed'));
    /** The hour's pause is a due job row and the step's wake time: bring both forward instead of waiting an hour. */
    const wakeUp = async (runId: string) => {
      await inWorkspace(ws.workspaceId, () => wakeWaitingSteps(runtime, runId));
      runtime.queue.notify();
      return completed(runId);
    };
    const consents = async (leadId: string) =>
      (await call(http.app, 'GET', `/v1/leads/${leadId}/consents`, { key: ws.apiKey })).body as {
        state: { purposes: Record<string, { allowed: boolean; method: string | null }> };
      };

    it('a withdrawal on the preference page while a run waits skips its next e-mail and records why', async () => {
      const kept = await submit('kim.kept@ledger.example', 'Kim');
      const withdrawn = await submit('wes.withdrawn@ledger.example', 'Wes');
      const keptRun = await startRun(kept);
      const withdrawnRun = await startRun(withdrawn);

      await withdrawThroughPreferenceLink(http.app, ws.apiKey, withdrawn, 'email_marketing');
      // The older consent records still say "granted": only the ledger knows of the withdrawal.
      assert.equal((await consents(withdrawn)).state.purposes.email_marketing?.allowed, false);

      const keptDone = await wakeUp(keptRun);
      assert.equal(keptDone.steps.find((s) => s.stepId === 'mail')?.status, 'completed');
      await eventually(async () => smtp.messages.find((m) => m.to.includes('kim.kept@ledger.example')));

      const done = await wakeUp(withdrawnRun);
      assert.deepEqual(
        done.steps.map((s) => [s.stepId, s.status]),
        [
          ['pause', 'completed'],
          ['check', 'completed'],
          ['held', 'completed'],
        ],
        'the send step is not reached',
      );
      const check = done.steps.find((s) => s.stepId === 'check');
      assert.equal(
        (check?.output as Record<string, unknown> | undefined)?.branch,
        'onFalse',
        JSON.stringify(check),
      );
      assert.equal(
        smtp.messages.filter((m) => m.to.includes('wes.withdrawn@ledger.example')).length,
        0,
        'no e-mail after the withdrawal',
      );
    });

    it('one-click unsubscribe (RFC 8058): the form POST a mailbox sends withdraws email_marketing at once; a forged token changes nothing', async () => {
      const leadId = await submit('una.click@ledger.example', 'Una');
      await wakeUp(await startRun(leadId));
      const mail = await eventually(async () =>
        smtp.messages.find((m) => m.to.includes('una.click@ledger.example')),
      );
      assert.equal(mailHeader(mail.raw, 'List-Unsubscribe-Post'), 'List-Unsubscribe=One-Click');
      const target = new URL(
        (mailHeader(mail.raw, 'List-Unsubscribe') ?? '').replace(/^</, '').replace(/>$/, ''),
      );
      assert.match(target.pathname, /^\/v1\/unsubscribe\//);
      const post = (search: string) =>
        fetch(`${origin}${target.pathname}${search}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'List-Unsubscribe=One-Click',
        });

      const forged = await post(`?t=${'A'.repeat(32)}`);
      assert.equal(forged.status, 403);
      assert.equal((await consents(leadId)).state.purposes.email_marketing?.allowed, true);

      const response = await post(target.search);
      assert.equal(response.status, 200, await response.clone().text());
      // Honoured before the answer: no window in which another e-mail could go out.
      const state = (await consents(leadId)).state.purposes.email_marketing;
      assert.equal(state?.allowed, false);
      assert.equal(state?.method, 'unsubscribe');

      const before = smtp.messages.length;
      const again = await wakeUp(await startRun(leadId));
      assert.deepEqual(
        again.steps.map((s) => s.stepId),
        ['pause', 'check', 'held'],
        'the consent check now takes the other branch',
      );
      assert.equal(smtp.messages.length, before);
      // Other routes still refuse a form body.
      const form = await fetch(`${origin}/v1/leads`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${ws.apiKey}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'email=a@b.example',
      });
      assert.equal(form.status, 415);
    });

    it("the footer link opened in a browser (GET) changes nothing and shows a confirm button; the button's form POST unsubscribes", async () => {
      const leadId = await submit('gil.get@ledger.example', 'Gil');
      await wakeUp(await startRun(leadId));
      const mail = await eventually(async () =>
        smtp.messages.find((m) => m.to.includes('gil.get@ledger.example')),
      );
      const link = (mailHeader(mail.raw, 'List-Unsubscribe') ?? '').replace(/^</, '').replace(/>$/, '');
      const target = new URL(link);
      // The footer carries the same link the header does (quoted-printable may wrap it, so compare unwrapped).
      assert.ok(
        mail.raw
          .replace(/=\r?\n/g, '')
          .replace(/=3D/g, '=')
          .includes(target.pathname),
      );

      // A mail scanner or link preview fetching the link must not unsubscribe anyone.
      for (let i = 0; i < 2; i += 1) {
        const page = await fetch(`${origin}${target.pathname}${target.search}`, {
          headers: { accept: 'text/html' },
        });
        assert.equal(page.status, 200);
        assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
        assert.equal(page.headers.get('cache-control'), 'no-store');
        const html = await page.text();
        assert.match(html, /<form method="post">/);
        assert.match(html, /name="List-Unsubscribe" value="One-Click"/);
        assert.doesNotMatch(html, /gil/i, 'the page shows nothing about the person');
      }
      assert.equal(
        (await consents(leadId)).state.purposes.email_marketing?.allowed,
        true,
        'GET changed nothing',
      );

      const forged = await fetch(`${origin}${target.pathname}?t=${'A'.repeat(32)}`);
      assert.equal(forged.status, 400);
      assert.match(await forged.text(), /This unsubscribe link is not valid/);
      const missing = await fetch(`${origin}${target.pathname}`);
      assert.equal(missing.status, 400);

      // What the page's form sends: a form POST to the same URL from a browser, which wants a page back.
      const confirmed = await fetch(`${origin}${target.pathname}${target.search}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html,*/*;q=0.8' },
        body: 'List-Unsubscribe=One-Click',
      });
      assert.equal(confirmed.status, 200);
      assert.match(confirmed.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(await confirmed.text(), /You are unsubscribed/);
      const state = (await consents(leadId)).state.purposes.email_marketing;
      assert.equal(state?.allowed, false);
      assert.equal(state?.method, 'unsubscribe');
    });

    it('consent withdrawn while a run is inside a call: the enrolment run inline after it is suppressed and audited, and no e-mail is sent', async () => {
      const leadId = await submit('sam.sequence@ledger.example', 'Sam');
      const enrolId = await inWorkspace(ws.workspaceId, () =>
        createActiveWorkflow(runtime, ws, ENROL(crm.url)),
      );
      const { runId } = await inWorkspace(ws.workspaceId, () =>
        runtime.workflows.service.run(ws, enrolId, { leadId }, ACTOR),
      );
      // The consent check passed and the run waits for the CRM's answer.
      await eventually(async () => (held.length > 0 ? true : undefined));
      await withdrawThroughPreferenceLink(http.app, ws.apiKey, leadId, 'email_marketing');
      for (const answer of held.splice(0)) answer();

      const done = await completed(runId);
      assert.deepEqual(
        done.steps.map((s) => [s.stepId, s.status]),
        [
          ['check', 'completed'],
          ['sync', 'completed'],
          ['enrol', 'skipped'],
          ['mail', 'skipped'],
        ],
      );
      const enrol = done.steps.find((s) => s.stepId === 'enrol');
      assert.match(
        String((enrol?.output as Record<string, unknown> | undefined)?.suppressed),
        /consent changed since condition check/,
      );
      const lead = await call(http.app, 'GET', `/v1/leads/${leadId}`, { key: ws.apiKey });
      assert.ok(
        !String((lead.body.attributes as Record<string, unknown> | undefined)?.tags ?? '').includes(
          'sequence:nurture',
        ),
        'not enrolled',
      );
      const audited = await runtime.inspect
        .selectFrom('audit_log')
        .select(['action', 'data'])
        .where('workspace_id', '=', ws.workspaceId)
        .where('action', '=', 'workflow.action_suppressed')
        .execute();
      const suppressedKeys = audited
        .map((r) => JSON.parse(r.data ?? '{}') as { runId?: string; stepKey?: string; effect?: string })
        .filter((d) => d.runId === runId)
        .map((d) => `${d.stepKey}:${d.effect}`)
        .sort();
      assert.deepEqual(suppressedKeys, ['enrol#1:sequence', 'mail#1:email']);
      assert.equal(smtp.messages.filter((m) => m.to.includes('sam.sequence@ledger.example')).length, 0);
    });
  });
}
