import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import type { HttpApp } from '../src/http/index.ts';
import { verifyWebhook } from '../src/ingest/index.ts';
import { emailSteps } from '../src/main/council-tools/db-metrics.ts';
import { workflowSummaries } from '../src/main/council-tools/db-workflows.ts';
import { call, signatureOf } from './support/http.ts';
import { DIALECTS, eventually, stopTestApp, type TestRuntime } from './support/runtime.ts';
import { type HttpSink, mailHeader, type SmtpSink, startHttpSink, startSmtpSink } from './support/sinks.ts';
import { defineWorkflow } from './support/workflow-definition.ts';
import {
  createActiveWorkflow,
  qualifiedLeadWorkflow,
  runWhen,
  startWorkflowApp,
  WEBHOOK_SECRET,
  waitingWorkflow,
} from './support/workflow-fixtures.ts';

const ACTOR = { type: 'system' as const, id: 'test' };

for (const dialect of DIALECTS) {
  describe(`workflow engine end to end (${dialect})`, () => {
    let runtime: TestRuntime;
    let http: HttpApp;
    let smtp: SmtpSink;
    let sink: HttpSink;
    let failFirst = 0;
    const ws = { workspaceId: '', apiKey: '' };

    before(async () => {
      smtp = await startSmtpSink();
      sink = await startHttpSink((request, res) => {
        if (request.url === '/flaky' && failFirst > 0) {
          failFirst--;
          res.writeHead(503);
          return res.end('try later');
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
      const app = await startWorkflowApp(dialect, {
        workers: 4,
        qualifyAll: true,
        app: { config: { LEADLOOP_SMTP_URL: smtp.url } },
      });
      ({ runtime, http } = app);
      Object.assign(ws, app.ws);
    });
    after(async () => {
      await stopTestApp({ runtime, http });
      await smtp.close();
      await sink.close();
    });

    const scoped = (fn: () => Promise<void>) => () => inWorkspace(ws.workspaceId, fn);
    const runsOf = (workflowId: string) =>
      runtime.workflows.service.listRuns({ workspaceId: ws.workspaceId }, { workflowId });

    it(
      'a qualified lead runs the workflow: signed webhook at the sink, e-mail at the SMTP server, lead updated, every action audited',
      scoped(async () => {
        const workflowId = await createActiveWorkflow(runtime, ws, qualifiedLeadWorkflow(sink.url));
        const accepted = await call(http.app, 'POST', '/v1/leads', {
          key: ws.apiKey,
          body: {
            email: 'ann@initech.example',
            name: 'Ann',
            company: 'Initech',
            country: 'DE',
            consent: {
              purposes: ['email_marketing'],
              textVersion: 'v1',
              timestamp: new Date().toISOString(),
              method: 'checkbox',
            },
          },
        });
        assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
        const run = await eventually(async () =>
          (await runsOf(workflowId)).find((r) => r.status === 'completed'),
        );
        const detail = await runtime.workflows.service.getRun(ws, run.id);
        assert.deepEqual(
          detail.steps.map((s) => [s.stepId, s.status]),
          [
            ['check', 'completed'],
            ['hook', 'completed'],
            ['mail', 'completed'],
            ['tag', 'completed'],
          ],
        );

        const hook = sink.requests.find((r) => r.url === '/hooks/lead');
        assert.ok(hook, 'the webhook reached the sink');
        const verified = verifyWebhook(signatureOf(hook), hook.body, [WEBHOOK_SECRET], Date.now());
        assert.equal(verified.ok, true);
        assert.equal(hook.headers['webhook-id'], `${run.id}:hook#1`);
        assert.deepEqual(JSON.parse(hook.body).data, { leadId: run.leadId, company: 'Initech' });

        const mail = await eventually(async () =>
          smtp.messages.find((m) => m.to.includes('ann@initech.example')),
        );
        assert.equal(mailHeader(mail.raw, 'Subject'), 'Welcome, Ann');
        assert.match(mailHeader(mail.raw, 'List-Unsubscribe') ?? '', /\/v1\/unsubscribe\//);
        assert.match(mail.raw, /Acme Inc\., 1 Main St/);

        const lead = await call(http.app, 'GET', `/v1/leads/${run.leadId}`, { key: ws.apiKey });
        assert.equal((lead.body.attributes as Record<string, unknown>).tags, 'nurtured');
        assert.equal((lead.body.attributes as Record<string, unknown>).stage, 'nurture');

        const audit = (await runtime.audit.list(ws.workspaceId, { limit: 200 })).items;
        const actions = audit.map((e) => e.action);
        assert.ok(actions.includes('workflow.created') && actions.includes('workflow.activated'));
        assert.equal(
          audit.filter((e) => e.action === 'workflow.action').length,
          2,
          'webhook and e-mail audited',
        );
        await runtime.workflows.service.deactivate(ws, workflowId, ACTOR);
      }),
    );

    it(
      "the council's workflow tool and e-mail metrics read the workspace's real workflows and runs",
      scoped(async () => {
        const listed = await workflowSummaries(runtime.store.db, ws.workspaceId);
        const followUp = listed.find((w) => w.name === 'Qualified lead follow-up');
        assert.ok(followUp, JSON.stringify(listed));
        assert.equal(followUp.trigger, 'lead.qualified');
        assert.deepEqual(
          followUp.steps.map((s) => s.kind),
          ['condition', 'webhook', 'send_email', 'update_lead'],
        );
        assert.ok(!JSON.stringify(listed).includes('hooks/lead'), 'no URLs or templates reach the council');
        const email = await emailSteps(runtime.store.db, ws.workspaceId, 0);
        const mail = email?.steps.find((s) => s.workflowId === followUp.id && s.stepId === 'mail');
        assert.equal(mail?.sent, 1);
        assert.equal(mail?.bounced, 0);
      }),
    );

    it(
      'a lead without consent takes the other branch and nothing is sent',
      scoped(async () => {
        const workflowId = await createActiveWorkflow(runtime, ws, {
          ...qualifiedLeadWorkflow(sink.url),
          name: 'No consent',
        });
        const before = smtp.messages.length;
        await call(http.app, 'POST', '/v1/leads', {
          key: ws.apiKey,
          body: { email: 'bob@globex.example', name: 'Bob', country: 'FR' },
        });
        const run = await eventually(async () =>
          (await runsOf(workflowId)).find((r) => r.status === 'completed'),
        );
        const detail = await runtime.workflows.service.getRun(ws, run.id);
        assert.deepEqual(
          detail.steps.map((s) => s.stepId),
          ['check'],
        );
        assert.equal(smtp.messages.length, before);
        await runtime.workflows.service.deactivate(ws, workflowId, ACTOR);
      }),
    );

    it(
      'retries a failing HTTP step with backoff, memoising the attempts, then continues',
      scoped(async () => {
        failFirst = 2;
        const created = await runtime.workflows.service.create(
          ws,
          defineWorkflow('Flaky call', [
            {
              id: 'call',
              type: 'http_request',
              method: 'POST',
              url: `${sink.url}/flaky`,
              sharing: 'first_party',
              body: { x: 1 },
              retry: { maxAttempts: 4, backoffMs: 20, factor: 1 },
            },
          ]),
          ACTOR,
        );
        const { runId } = await runtime.workflows.service.run(ws, created.id, { leadId: null }, ACTOR);
        const detail = await runWhen(runtime, ws, runId, (r) => r.status === 'completed');
        assert.equal(detail.steps[0]?.attempts, 3);
        const calls = sink.requests.filter((r) => r.url === '/flaky');
        assert.equal(calls.length, 3);
        assert.equal(
          new Set(calls.map((c) => c.headers['idempotency-key'])).size,
          1,
          'every attempt carries the same idempotency key',
        );
      }),
    );

    it(
      'refuses activation with the verifier’s findings, and an SSRF attempt fails without retries',
      scoped(async () => {
        const unguarded = qualifiedLeadWorkflow(sink.url);
        unguarded.steps[0] = {
          ...unguarded.steps[0],
          when: { field: 'lead.score', op: 'gte', value: 0 },
        } as never;
        const created = await runtime.workflows.service.create(ws, unguarded, ACTOR);
        await assert.rejects(
          runtime.workflows.service.activate(ws, created.id, ACTOR),
          (e: { issues: { reason: string }[] }) =>
            e.issues.some((i) => /gdpr\.marketing_email_consent/.test(i.reason)),
        );

        const ssrf = await runtime.workflows.service.create(
          ws,
          defineWorkflow('Metadata', [
            {
              id: 'call',
              type: 'http_request',
              method: 'GET',
              url: 'http://169.254.169.254/latest/meta-data/',
              sharing: 'first_party',
            },
          ]),
          ACTOR,
        );
        const { runId } = await runtime.workflows.service.run(ws, ssrf.id, { leadId: null }, ACTOR);
        const failed = await runWhen(runtime, ws, runId, (r) => r.status === 'failed');
        assert.match(failed.error ?? '', /private, loopback or link-local/);
        assert.equal(failed.steps[0]?.attempts, 1);
      }),
    );

    it(
      'a timer waits as a due row; cancelling a waiting run stops it',
      scoped(async () => {
        const created = await runtime.workflows.service.create(ws, waitingWorkflow(60_000), ACTOR);
        const { runId } = await runtime.workflows.service.run(ws, created.id, { leadId: null }, ACTOR);
        const waiting = await runWhen(runtime, ws, runId, (r) => r.steps[0]?.status === 'waiting');
        assert.ok((waiting.steps[0]?.wakeAt ?? 0) > Date.now() + 50_000);
        const due = await runtime.inspect
          .selectFrom('jobs')
          .select(['run_at'])
          .where('name', '=', 'workflow.step')
          .where('payload', 'like', `%${runId}%`)
          .execute();
        assert.equal(due.length, 1, 'the timer is one due job row');
        const cancelled = await runtime.workflows.service.cancelRun(ws, runId, ACTOR, 'test');
        assert.equal(cancelled.status, 'cancelled');
        const after = await runtime.workflows.service.getRun(ws, runId);
        assert.equal(after.steps[0]?.status, 'cancelled');
      }),
    );

    it(
      'runs keep the version they started on when a new version is published',
      scoped(async () => {
        const v1 = defineWorkflow('Versioned', [
          { id: 'pause', type: 'wait', wait: { kind: 'duration', ms: 300 }, next: 'mark' },
          { id: 'mark', type: 'set_vars', values: { version: 'one' } },
        ]);
        const workflowId = await createActiveWorkflow(runtime, ws, v1);
        const { runId } = await runtime.workflows.service.run(ws, workflowId, { leadId: null }, ACTOR);
        const v2 = { ...v1, steps: [{ id: 'other', type: 'noop' }], start: 'other' };
        await runtime.workflows.service.update(ws, workflowId, v2, ACTOR);
        await runtime.workflows.service.activate(ws, workflowId, ACTOR);
        const done = await runWhen(runtime, ws, runId, (r) => r.status === 'completed');
        assert.equal(done.version, 1);
        assert.deepEqual(
          done.steps.map((s) => s.stepId),
          ['pause', 'mark'],
        );
        assert.deepEqual(done.steps[1]?.output, { vars: { version: 'one' } });
      }),
    );
  });
}
