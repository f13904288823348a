import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createManualClock, inWorkspace } from '../src/core/index.ts';
import type { HttpApp } from '../src/http/index.ts';
import { call, json, sendSigned } from './support/http.ts';
import { createTestRuntime, DIALECTS, eventually, stopTestApp, type TestRuntime } from './support/runtime.ts';
import { type HttpSink, startHttpSink } from './support/sinks.ts';
import { defineWorkflow } from './support/workflow-definition.ts';
import {
  createActiveWorkflow,
  runEnded,
  runWhen,
  startWorkflowApp,
  submitLeadAndWait,
} from './support/workflow-fixtures.ts';

const ACTOR = { type: 'system' as const, id: 'test' };

/** A workflow that only tags its lead: enough to see which trigger started which run. */
function tagging(name: string, trigger: Record<string, unknown>) {
  return defineWorkflow(
    name,
    [{ id: 'tag', type: 'update_lead', addTags: [name.toLowerCase().replace(/\W+/g, '-')] }],
    trigger,
  );
}

const runRows = (runtime: TestRuntime, workflowId: string) =>
  runtime.inspect
    .selectFrom('workflow_runs')
    .select(['id', 'lead_id', 'trigger', 'dedupe_key', 'input', 'status'])
    .where('workflow_id', '=', workflowId)
    .orderBy('created_at')
    .execute();

for (const dialect of DIALECTS) {
  describe(`workflow triggers from events and the inbound endpoint (${dialect})`, () => {
    let runtime: TestRuntime;
    let http: HttpApp;
    let sink: HttpSink;
    const ws = { workspaceId: '', apiKey: '' };

    before(async () => {
      sink = await startHttpSink((request, res) => {
        res.writeHead(request.url === '/broken' ? 500 : 200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
      const app = await startWorkflowApp(dialect, { workers: 2, qualifyAll: true });
      ({ runtime, http } = app);
      Object.assign(ws, app.ws);
    });
    after(async () => {
      await stopTestApp({ runtime, http });
      await sink.close();
    });

    const scoped = (fn: () => Promise<void>) => () => inWorkspace(ws.workspaceId, fn);
    const activate = (definition: unknown) => createActiveWorkflow(runtime, ws, definition);
    const newLead = (email: string) =>
      submitLeadAndWait({ runtime, http }, ws, { email, name: 'Ann', country: 'US' });

    it(
      'outcome.recorded starts a run for the outcomes it names, once per recorded outcome',
      scoped(async () => {
        const won = await activate({
          ...tagging('Won deals', { type: 'outcome.recorded', outcomes: ['won'] }),
        });
        const leadId = await newLead('won@example.com');
        const lost = await call(http.app, 'POST', `/v1/leads/${leadId}/outcome`, {
          key: ws.apiKey,
          body: { converted: false },
        });
        assert.equal(lost.status, 200, JSON.stringify(lost.body));
        assert.equal(
          (await runRows(runtime, won)).length,
          0,
          'a lost outcome does not start a "won" workflow',
        );
        const body = { converted: true, value: 1200 };
        assert.equal(
          (await call(http.app, 'POST', `/v1/leads/${leadId}/outcome`, { key: ws.apiKey, body })).status,
          200,
        );
        // The same outcome again changes nothing, so it starts nothing.
        await call(http.app, 'POST', `/v1/leads/${leadId}/outcome`, { key: ws.apiKey, body });
        const runs = await runRows(runtime, won);
        assert.equal(runs.length, 1);
        assert.equal(runs[0]?.trigger, 'outcome.recorded');
        assert.equal(runs[0]?.lead_id, leadId);
        assert.deepEqual(JSON.parse(runs[0]?.input ?? '{}'), { outcome: 'won', amount: 1200, revision: 2 });
        await eventually(async () =>
          (await runRows(runtime, won))[0]?.status === 'completed' ? true : undefined,
        );
        await runtime.workflows.service.deactivate(ws, won, ACTOR);
      }),
    );

    it(
      'council.decided starts a run in the decision transaction, filtered by decision class',
      scoped(async () => {
        const any = await activate(tagging('Any decision', { type: 'council.decided' }));
        const none = await activate(
          tagging('No such class', { type: 'council.decided', decisions: ['no-such-class'] }),
        );
        const leadId = await newLead('council@example.com');
        const decision = (await runtime.council.ask(
          { workspaceId: ws.workspaceId, organisationId: '' } as never,
          { type: 'lead.next_action', leadId },
          { actor: ACTOR },
        )) as unknown as { id: string };
        const runs = await runRows(runtime, any);
        // Every lead qualifies here (threshold 0), so the pipeline's own council job may decide
        // on the same lead concurrently and start its own run: count the runs of this decision.
        const mine = runs.filter((r) => r.dedupe_key === `council.decided:${decision.id}`);
        assert.equal(mine.length, 1);
        assert.equal(mine[0]?.lead_id, leadId);
        const keys = runs.map((r) => r.dedupe_key);
        assert.equal(new Set(keys).size, keys.length, 'one run per decision');
        assert.equal(JSON.parse(mine[0]?.input ?? '{}').decisionId, decision.id);
        assert.equal((await runRows(runtime, none)).length, 0);
        await runtime.workflows.service.deactivate(ws, any, ACTOR);
        await runtime.workflows.service.deactivate(ws, none, ACTOR);
      }),
    );

    it(
      'chat.ended starts a run for the lead an ended conversation submitted, and not for other submissions',
      scoped(async () => {
        const id = await activate(tagging('After chat', { type: 'chat.ended' }));
        await newLead('form@example.com');
        await runtime.ingest.acceptParsed({
          workspaceId: ws.workspaceId,
          source: 'chat',
          lead: { email: 'chatter@example.com', name: 'Chatty' },
          idempotencyKey: 'chat_session_1',
          prefix: 'conversation',
        });
        const run = await eventually(async () =>
          (await runRows(runtime, id)).find((r) => r.status === 'completed'),
        );
        const lead = await runtime.inspect
          .selectFrom('leads')
          .select('email')
          .where('id', '=', run.lead_id ?? '')
          .executeTakeFirst();
        assert.equal(lead?.email, 'chatter@example.com');
        assert.equal((await runRows(runtime, id)).length, 1, 'the form lead started nothing');
        await runtime.workflows.service.deactivate(ws, id, ACTOR);
      }),
    );

    it(
      'start_workflow with wait continues after the child run ends, and takes onError when the child fails',
      scoped(async () => {
        const byParent = { type: 'workflow' };
        const child = await activate(
          defineWorkflow(
            'Child',
            [
              { id: 'pause', type: 'wait', wait: { kind: 'duration', ms: 300 }, next: 'tag' },
              { id: 'tag', type: 'update_lead', addTags: ['child-done'] },
            ],
            byParent,
          ),
        );
        const failing = await activate(
          defineWorkflow(
            'Failing child',
            [
              {
                id: 'call',
                type: 'http_request',
                method: 'POST',
                url: `${sink.url}/broken`,
                sharing: 'first_party',
                retry: { maxAttempts: 1 },
              },
            ],
            byParent,
          ),
        );
        const parent = (childId: string, name: string) =>
          defineWorkflow(name, [
            {
              id: 'spawn',
              type: 'start_workflow',
              workflowId: childId,
              wait: true,
              next: 'after',
              onError: 'handled',
            },
            { id: 'after', type: 'update_lead', addTags: [`${name}-after`] },
            { id: 'handled', type: 'update_lead', addTags: [`${name}-handled`] },
          ]);
        const leadId = await newLead('parent@example.com');
        const ok = await activate(parent(child, 'ok'));
        const bad = await activate(parent(failing, 'bad'));
        const okRun = await runtime.workflows.service.run(ws, ok, { leadId }, ACTOR);
        const badRun = await runtime.workflows.service.run(ws, bad, { leadId }, ACTOR);
        const done = (runId: string) => runWhen(runtime, ws, runId, runEnded, 20_000);
        const okDetail = await done(okRun.runId);
        assert.equal(okDetail.status, 'completed');
        assert.deepEqual(
          okDetail.steps.map((s) => [s.stepId, s.status]),
          [
            ['spawn', 'completed'],
            ['after', 'completed'],
          ],
        );
        const spawned = okDetail.steps[0]?.output as { childRunId: string; childStatus: string };
        assert.equal(spawned.childStatus, 'completed');
        const childRun = await runtime.workflows.service.getRun(ws, spawned.childRunId);
        assert.equal(childRun.status, 'completed');
        assert.ok(
          (childRun.finishedAt ?? Infinity) <= (okDetail.steps[1]?.startedAt ?? 0),
          'the parent continued only after the child finished',
        );
        const badDetail = await done(badRun.runId);
        assert.deepEqual(
          badDetail.steps.map((s) => [s.stepId, s.status]),
          [
            ['spawn', 'completed'],
            ['handled', 'completed'],
          ],
        );
        const lead = await call(http.app, 'GET', `/v1/leads/${leadId}`, { key: ws.apiKey });
        const tags = String((lead.body.attributes as Record<string, unknown>).tags).split(',');
        assert.ok(
          tags.includes('child-done') && tags.includes('ok-after') && tags.includes('bad-handled'),
          tags.join(),
        );
        assert.ok(!tags.includes('ok-handled') && !tags.includes('bad-after'));
      }),
    );

    it(
      'the inbound endpoint verifies the signature before anything, validates the body, commits before 202 and dedupes replays',
      scoped(async () => {
        const id = await activate(
          defineWorkflow(
            'Inbound',
            [
              {
                id: 'post',
                type: 'http_request',
                method: 'POST',
                url: `${sink.url}/inbound`,
                sharing: 'first_party',
                body: { order: '{{trigger.body.order}}' },
              },
            ],
            { type: 'webhook', path: 'inbound-orders' },
          ),
        );
        const hooks = await call(http.app, 'GET', `/v1/workflows/${id}/hooks`, { key: ws.apiKey });
        assert.equal(hooks.status, 200);
        const hook = (hooks.body.items as { path: string; url: string; secret: string }[])[0];
        assert.ok(hook);
        assert.equal(hook.path, 'inbound-orders');
        assert.match(hook.url, new RegExp(`/v1/hooks/${ws.workspaceId}/inbound-orders$`));
        const url = `/v1/hooks/${ws.workspaceId}/inbound-orders`;
        const send = (raw: string, secret: string, msgId: string) =>
          sendSigned(http.app, url, secret, raw, { id: msgId });
        const forged = await send('{"order":"A-1"}', `whsec_${Buffer.alloc(32, 1).toString('base64')}`, 'm1');
        assert.equal(forged.status, 401, JSON.stringify(forged.body));
        const unknown = json(
          await http.app.inject({
            method: 'POST',
            url: `/v1/hooks/${ws.workspaceId}/no-such-path`,
            payload: '{}',
            headers: { 'content-type': 'application/json' },
          }),
        );
        assert.equal(unknown.status, 401);
        assert.equal((await runRows(runtime, id)).length, 0, 'nothing stored for a forged or unknown call');
        const notObject = await send('[1,2]', hook.secret, 'm2');
        assert.equal(notObject.status, 400, JSON.stringify(notObject.body));
        const accepted = await send('{"order":"A-1"}', hook.secret, 'm3');
        assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
        assert.equal(accepted.body.replayed, false);
        // Durable before the answer: the run row exists as the 202 arrives.
        const rows = await runRows(runtime, id);
        assert.deepEqual(
          rows.map((r) => r.id),
          [accepted.body.runId],
        );
        const replay = await send('{"order":"A-1"}', hook.secret, 'm3');
        assert.equal(replay.status, 202);
        assert.equal(replay.body.runId, accepted.body.runId);
        assert.equal(replay.body.replayed, true);
        const received = await eventually(async () => sink.requests.find((r) => r.url === '/inbound'));
        assert.deepEqual(JSON.parse(received.body), { order: 'A-1' });
        assert.equal((await runRows(runtime, id)).length, 1);
        await runtime.workflows.service.deactivate(ws, id, ACTOR);
        const inactive = await send('{"order":"A-2"}', hook.secret, 'm4');
        assert.equal(inactive.status, 409, 'a deactivated workflow starts no run');
      }),
    );
  });
}

describe('schedule trigger (sqlite file, manual clock, restarts)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'leadloop-schedule-'));
  const file = join(dir, 'leadloop.db');
  // 2026-01-05 08:58 UTC, a Monday.
  const clock = createManualClock(Date.UTC(2026, 0, 5, 8, 58));
  const open = () => createTestRuntime('sqlite', { sqliteFile: file, clock, queuePollMs: 5 });
  let workspaceId = '';
  let workflowId = '';
  after(() => rmSync(dir, { recursive: true, force: true }));

  const runs = (runtime: TestRuntime) =>
    runtime.inspect
      .selectFrom('workflow_runs')
      .select(['dedupe_key', 'input', 'status'])
      .where('workflow_id', '=', workflowId)
      .orderBy('created_at')
      .execute();

  it('fires at the cron time in its time zone, once, and again after a restart without a double fire; missed fires coalesce', async () => {
    const first = await open();
    const created = await first.tenants.createWorkspace({ name: 'S', organisation: 'Org', actor: ACTOR });
    workspaceId = created.workspace.id;
    await inWorkspace(workspaceId, async () => {
      workflowId = await createActiveWorkflow(
        first,
        { workspaceId },
        // Minute 0 of every hour in Berlin: 09:00 UTC is 10:00 there.
        defineWorkflow('Hourly in Berlin', [{ id: 'done', type: 'noop' }], {
          type: 'schedule',
          cron: '0 * * * *',
          timezone: 'Europe/Berlin',
        }),
      );
    });
    first.startWorkers(2);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await runs(first)).length, 0, 'not due yet');
    clock.set(Date.UTC(2026, 0, 5, 9, 0, 1));
    const fired = await eventually(async () => ((await runs(first)).length === 1 ? runs(first) : undefined));
    assert.equal(JSON.parse(fired[0]?.input ?? '{}').scheduledAt, '2026-01-05T09:00:00.000Z');
    await first.close();

    // Down from 09:00:01 to 12:30: the 10:00 fire is due, 11:00 and 12:00 are missed; one catch-up.
    clock.set(Date.UTC(2026, 0, 5, 12, 30));
    const second = await open();
    // The fire job for 10:00 delivered a second time (another worker, a redelivery after a crash).
    const pending = await second.inspect
      .selectFrom('workflow_schedules')
      .select(['id', 'next_at'])
      .executeTakeFirstOrThrow();
    await inWorkspace(workspaceId, () =>
      second.store.transaction((trx) =>
        second.queue.enqueue(trx, [
          {
            name: 'workflow.schedule',
            workspaceId,
            payload: { scheduleId: pending.id, dueAt: Number(pending.next_at) },
          },
        ]),
      ),
    );
    second.startWorkers(4);
    const caught = await eventually(async () =>
      (await runs(second)).length === 2 ? runs(second) : undefined,
    );
    const late = JSON.parse(caught[1]?.input ?? '{}');
    assert.equal(late.scheduledAt, '2026-01-05T10:00:00.000Z');
    assert.equal(late.missed, 2);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await runs(second)).length, 2, 'the duplicate job fires nothing');
    const schedule = await second.inspect
      .selectFrom('workflow_schedules')
      .selectAll()
      .executeTakeFirstOrThrow();
    assert.equal(Number(schedule.next_at), Date.UTC(2026, 0, 5, 13, 0));
    clock.set(Date.UTC(2026, 0, 5, 13, 0, 0));
    await eventually(async () => ((await runs(second)).length === 3 ? true : undefined));
    await inWorkspace(workspaceId, () =>
      second.workflows.service.deactivate({ workspaceId }, workflowId, ACTOR),
    );
    assert.equal((await second.inspect.selectFrom('workflow_schedules').selectAll().execute()).length, 0);
    clock.set(Date.UTC(2026, 0, 5, 14, 0, 5));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await runs(second)).length, 3, 'a deactivated schedule does not fire');
    await second.close();
  });
});
