import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import type { HttpApp } from '../src/http/index.ts';
import { call } from './support/http.ts';
import { eventually, startAppWithWorkspace, stopTestApp, type TestRuntime } from './support/runtime.ts';
import { mailHeader, type SmtpSink, startSmtpSink } from './support/sinks.ts';
import { defineWorkflow } from './support/workflow-definition.ts';
import {
  createActiveWorkflow,
  prepareWorkspace,
  submitLeadForId,
  wakeWaitingSteps,
} from './support/workflow-fixtures.ts';

const ACTOR = { type: 'system' as const, id: 'test' };

/** Versioned templates per workspace: created and versioned over the API, used by id, pinned per run. */
describe('message templates (SQLite)', () => {
  let runtime: TestRuntime;
  let http: HttpApp;
  let smtp: SmtpSink;
  let ws: { workspaceId: string; apiKey: string };

  before(async () => {
    smtp = await startSmtpSink();
    ({ runtime, http, ws } = await startAppWithWorkspace('sqlite', {
      config: { LEADLOOP_SMTP_URL: smtp.url },
    }));
    await inWorkspace(ws.workspaceId, () => prepareWorkspace(runtime, ws.workspaceId));
    runtime.startWorkers(2);
  });
  after(async () => {
    await stopTestApp({ runtime, http });
    await smtp.close();
  });

  it('creates, lists, shows and versions templates; content is validated per channel', async () => {
    const bad = await call(http.app, 'POST', '/v1/templates', {
      key: ws.apiKey,
      body: { name: 'No subject', channel: 'email', content: { text: 'hi' } },
    });
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
    assert.equal(bad.body.errors?.[0]?.field, 'body.content');
    const made = await call(http.app, 'POST', '/v1/templates', {
      key: ws.apiKey,
      body: { name: 'Reminder', channel: 'sms', content: { text: 'See you {{lead.name}}' } },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.equal(made.body.latestVersion, 1);
    const v2 = await call(http.app, 'POST', `/v1/templates/${made.body.id}/versions`, {
      key: ws.apiKey,
      body: { content: { text: 'See you soon {{lead.name}}' } },
    });
    assert.equal(v2.status, 201, JSON.stringify(v2.body));
    assert.equal(v2.body.version, 2);
    const shown = await call(http.app, 'GET', `/v1/templates/${made.body.id}`, { key: ws.apiKey });
    assert.equal(shown.body.latestVersion, 2);
    assert.deepEqual(
      (shown.body.versions as { version: number; content: { text: string } }[]).map((v) => [
        v.version,
        v.content.text,
      ]),
      [
        [1, 'See you {{lead.name}}'],
        [2, 'See you soon {{lead.name}}'],
      ],
      'version 1 is kept as it was',
    );
    const listed = await call(http.app, 'GET', '/v1/templates', { key: ws.apiKey });
    assert.ok((listed.body.items as { id: string }[]).some((t) => t.id === made.body.id));
  });

  it('a run uses the version current when it started; a step can pin one; templates render logic-less', async () => {
    const made = await call(http.app, 'POST', '/v1/templates', {
      key: ws.apiKey,
      body: {
        name: 'Welcome',
        channel: 'email',
        content: { subject: 'Welcome v1, {{lead.name}}', text: 'Hello {{lead.name}} {{#lead}}x{{/lead}}' },
      },
    });
    const templateId = made.body.id as string;
    const definition = (pin?: number) =>
      defineWorkflow(`Welcome ${pin ?? 'current'}`, [
        { id: 'pause', type: 'wait', wait: { kind: 'duration', ms: 3_600_000 }, next: 'mail' },
        {
          id: 'mail',
          type: 'send_email',
          to: 'lead',
          purpose: 'transactional',
          template: templateId,
          ...(pin ? { templateVersion: pin } : {}),
        },
      ]);
    const leadOf = (email: string) => submitLeadForId(http.app, ws.apiKey, { email, name: 'Ann' });
    const { current, pinned } = await inWorkspace(ws.workspaceId, async () => ({
      current: await createActiveWorkflow(runtime, ws, definition()),
      pinned: await createActiveWorkflow(runtime, ws, definition(1)),
    }));
    const start = (workflowId: string, leadId: string) =>
      inWorkspace(ws.workspaceId, () => runtime.workflows.service.run(ws, workflowId, { leadId }, ACTOR));
    const early = await start(current, await leadOf('early@example.com'));
    await new Promise((r) => setTimeout(r, 20));
    const v2 = await call(http.app, 'POST', `/v1/templates/${templateId}/versions`, {
      key: ws.apiKey,
      body: { content: { subject: 'Welcome v2, {{lead.name}}', text: 'Hello again' } },
    });
    assert.equal(v2.status, 201);
    await new Promise((r) => setTimeout(r, 20));
    const late = await start(current, await leadOf('late@example.com'));
    const fixed = await start(pinned, await leadOf('pinned@example.com'));
    const runIds = [early.runId, late.runId, fixed.runId];
    await eventually(async () => {
      const waiting = await runtime.inspect
        .selectFrom('workflow_steps')
        .select('run_id')
        .where('step_id', '=', 'pause')
        .where('status', '=', 'waiting')
        .execute();
      return runIds.every((id) => waiting.some((w) => w.run_id === id)) ? true : undefined;
    });
    // Bring the hour's timers forward instead of waiting.
    await wakeWaitingSteps(runtime);
    runtime.queue.notify();
    await eventually(async () => (smtp.messages.length >= 3 ? true : undefined), 30_000);
    const subjectTo = (email: string) =>
      mailHeader(smtp.messages.find((m) => m.to.includes(email))?.raw ?? '', 'subject');
    assert.equal(subjectTo('early@example.com'), 'Welcome v1, Ann', 'started before v2: keeps v1');
    assert.equal(subjectTo('late@example.com'), 'Welcome v2, Ann', 'started after v2: uses v2');
    assert.equal(subjectTo('pinned@example.com'), 'Welcome v1, Ann', 'the step pins v1');
    const early1 = smtp.messages.find((m) => m.to.includes('early@example.com'))?.raw ?? '';
    assert.match(early1, /Hello Ann x/, 'sections are data, not code');
    const step = await runtime.inspect
      .selectFrom('workflow_steps')
      .select('output')
      .where('run_id', '=', late.runId)
      .where('step_id', '=', 'mail')
      .executeTakeFirstOrThrow();
    assert.equal(JSON.parse(step.output ?? '{}').templateVersion, 2, 'the version used is recorded');
  });
});
