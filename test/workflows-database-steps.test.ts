import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { inWorkspace } from '../src/core/index.ts';
import type { HttpApp } from '../src/http/index.ts';
import { call } from './support/http.ts';
import { eventually, stopTestApp, type TestRuntime } from './support/runtime.ts';
import { defineWorkflow } from './support/workflow-definition.ts';
import {
  createActiveWorkflow,
  runWhen,
  startWorkflowApp,
  submitLeadAndWait,
} from './support/workflow-fixtures.ts';

const ACTOR = { type: 'system' as const, id: 'test' };

/**
 * A database-only step that runs as a job of its own (a run's first step, or the step after a
 * wait) commits its effect and its memo together: a crash between the two leaves neither.
 * The crash is a trigger that aborts the insert of the step's memo row, after the effect ran.
 */
describe('database-only steps run as their own job (SQLite)', () => {
  let runtime: TestRuntime;
  let http: HttpApp;
  const ws = { workspaceId: '', apiKey: '' };

  before(async () => {
    const app = await startWorkflowApp('sqlite', { workers: 1 });
    ({ runtime, http } = app);
    Object.assign(ws, app.ws);
  });
  after(() => stopTestApp({ runtime, http }));

  const tagsOf = async (leadId: string) => {
    const lead = await call(http.app, 'GET', `/v1/leads/${leadId}`, { key: ws.apiKey });
    const raw = (lead.body.attributes as Record<string, unknown> | undefined)?.tags;
    return typeof raw === 'string' ? raw.split(',').filter(Boolean) : [];
  };

  it('a crash between the effect and its record leaves neither; the retried job applies the effect once', () =>
    inWorkspace(ws.workspaceId, async () => {
      const leadId = await submitLeadAndWait({ runtime, http }, ws, {
        email: 'first-step@example.com',
        name: 'Ann',
        country: 'US',
      });
      const workflowId = await createActiveWorkflow(
        runtime,
        ws,
        defineWorkflow('Tag first', [
          { id: 'tag', type: 'update_lead', addTags: ['first-step'], next: 'mark' },
          { id: 'mark', type: 'set_vars', values: { done: 'yes' } },
        ]),
      );
      await sql`create trigger crash_before_memo before insert on workflow_steps
        when new.step_id = 'tag'
        begin select raise(abort, 'simulated crash before the step is recorded'); end`.execute(
        runtime.inspect,
      );
      const started = await runtime.workflows.service.run(ws, workflowId, { leadId }, ACTOR);
      // The step's job ran and failed at the record.
      await eventually(async () => {
        const job = await runtime.inspect
          .selectFrom('jobs')
          .select('last_error')
          .where('name', '=', 'workflow.step')
          .where('last_error', 'like', '%simulated crash%')
          .executeTakeFirst();
        return job ? true : undefined;
      }, 60_000);
      assert.deepEqual(
        (await tagsOf(leadId)).filter((t) => t === 'first-step'),
        [],
        'the effect was rolled back with its record',
      );
      const memo = await runtime.inspect
        .selectFrom('workflow_steps')
        .select('step_id')
        .where('run_id', '=', started.runId)
        .execute();
      assert.deepEqual(memo, [], 'nothing recorded');

      await sql`drop trigger crash_before_memo`.execute(runtime.inspect);
      await runWhen(runtime, ws, started.runId, (run) => run.status === 'completed', 120_000);
      assert.deepEqual(
        (await tagsOf(leadId)).filter((t) => t === 'first-step'),
        ['first-step'],
        'applied once by the retried job',
      );
      const steps = await runtime.inspect
        .selectFrom('workflow_steps')
        .select(['step_id', 'status'])
        .where('run_id', '=', started.runId)
        .orderBy('seq')
        .execute();
      assert.deepEqual(
        steps.map((s) => [s.step_id, s.status]),
        [
          ['tag', 'completed'],
          ['mark', 'completed'],
        ],
      );
    }));
});
