import assert from 'node:assert/strict';
import { inWorkspace } from '../../src/core/index.ts';
import type { HttpApp } from '../../src/http/index.ts';
import { call } from './http.ts';
import { eventually, startAppWithWorkspace, type TestDialect, type TestRuntime } from './runtime.ts';
import { defineWorkflow } from './workflow-definition.ts';

const ACTOR = { type: 'system' as const, id: 'test' };

export const WEBHOOK_SECRET = `whsec_${Buffer.from('workflow-endpoint-secret-32bytes').toString('base64')}`;

/**
 * A lead qualifies → consent and sale/share are checked → a signed webhook to a sink → a marketing
 * e-mail → the lead is tagged. Verifies under the compliance rules (guards dominate both actions).
 */
export function qualifiedLeadWorkflow(sinkUrl: string) {
  return defineWorkflow(
    'Qualified lead follow-up',
    [
      {
        id: 'check',
        type: 'condition',
        when: { all: [{ consent: { purposes: ['email_marketing'] } }, { privacy: 'sale_share_allowed' }] },
        onTrue: 'hook',
      },
      {
        id: 'hook',
        type: 'webhook',
        url: `${sinkUrl}/hooks/lead`,
        event: 'lead.qualified',
        secret: 'sink-secret',
        sharing: 'first_party',
        payload: { leadId: '{{lead.id}}', company: '{{lead.company}}' },
        next: 'mail',
      },
      {
        id: 'mail',
        type: 'send_email',
        to: 'lead',
        purpose: 'marketing',
        subject: 'Welcome, {{lead.name}}',
        body: 'Hello {{lead.name}}, thanks for your interest in Acme.',
        next: 'tag',
      },
      { id: 'tag', type: 'update_lead', addTags: ['nurtured'], set: { 'attributes.stage': 'nurture' } },
    ],
    { type: 'lead.qualified' },
  );
}

/** Condition → HTTP call to the sink → lead update: the benchmarks' workflow (n8n's comparison shape). */
export function threeStepWorkflow(sinkUrl: string, trigger: 'manual' | 'lead.created') {
  return defineWorkflow(
    'Three steps',
    [
      { id: 'check', type: 'condition', when: { field: 'lead.score', op: 'gte', value: 0 }, onTrue: 'call' },
      {
        id: 'call',
        type: 'http_request',
        method: 'POST',
        url: `${sinkUrl}/leads`,
        sharing: 'first_party',
        body: { lead: '{{lead.id}}' },
        next: 'mark',
      },
      { id: 'mark', type: 'update_lead', addTags: ['synced'] },
    ],
    { type: trigger },
  );
}

/** A manual workflow that waits `ms` (a timer as a due row) and ends: timers in the engine test and the bench. */
export function waitingWorkflow(ms: number) {
  return defineWorkflow('Wait', [
    { id: 'pause', type: 'wait', wait: { kind: 'duration', ms }, next: 'done' },
    { id: 'done', type: 'noop' },
  ]);
}

/** Egress to local sinks, a sender with a postal address, and the sink's signing secret. */
export async function prepareWorkspace(runtime: TestRuntime, workspaceId: string): Promise<void> {
  const ws = { workspaceId };
  await runtime.workflows.settings.put(runtime.store.db, ws, {
    egressAllow: ['127.0.0.1'],
    sender: { from: 'Acme <hello@acme.example>', postalAddress: 'Acme Inc., 1 Main St, Springfield, USA' },
    unsubscribeBaseUrl: null,
    concurrencyPerWorkflow: 100,
    ratePerConnector: 10_000,
    maxStepOutputBytes: 4096,
  });
  await runtime.workflows.credentials.put(runtime.store.db, ws, 'sink-secret', {
    kind: 'webhook_secret',
    secret: WEBHOOK_SECRET,
  });
}

/**
 * A test app with one workspace ready for workflows ({@link prepareWorkspace}) and `workers`
 * running; `qualifyAll` sets a zero threshold, so every lead qualifies (qualified-lead triggers fire).
 */
export async function startWorkflowApp(
  dialect: TestDialect,
  options: { workers: number; qualifyAll?: boolean; app?: Parameters<typeof startAppWithWorkspace>[1] },
): Promise<{ runtime: TestRuntime; http: HttpApp; ws: { workspaceId: string; apiKey: string } }> {
  const { runtime, http, ws } = await startAppWithWorkspace(dialect, options.app);
  await inWorkspace(ws.workspaceId, () => prepareWorkspace(runtime, ws.workspaceId));
  if (options.qualifyAll)
    await call(http.app, 'PUT', '/v1/scoring/rules', { key: ws.apiKey, body: { threshold: 0, rules: [] } });
  runtime.startWorkers(options.workers);
  return { runtime, http, ws: { workspaceId: ws.workspaceId, apiKey: ws.apiKey } };
}

/** Submits a lead through the API and waits until the pipeline has stored it (found by its e-mail): its id. */
export async function submitLeadAndWait(
  app: { runtime: TestRuntime; http: HttpApp },
  ws: { workspaceId: string; apiKey: string },
  body: { email: string } & Record<string, unknown>,
): Promise<string> {
  const accepted = await call(app.http.app, 'POST', '/v1/leads', { key: ws.apiKey, body });
  assert.equal(accepted.status, 202);
  return eventually(async () => {
    const found = await app.runtime.inspect
      .selectFrom('leads')
      .select('id')
      .where('workspace_id', '=', ws.workspaceId)
      .where('email', '=', body.email)
      .executeTakeFirst();
    return found?.id;
  });
}

/** Creates `definition` in the workspace and activates it; the workflow's id. */
export async function createActiveWorkflow(
  runtime: TestRuntime,
  ws: { workspaceId: string },
  definition: unknown,
): Promise<string> {
  const { id } = await runtime.workflows.service.create(ws, definition, ACTOR);
  await runtime.workflows.service.activate(ws, id, ACTOR);
  return id;
}

type RunDetail = Awaited<ReturnType<TestRuntime['workflows']['service']['getRun']>>;

/** A run that has ended either way: what most tests wait for before asserting on its status. */
export const runEnded = (run: RunDetail): boolean => run.status === 'completed' || run.status === 'failed';

/** Polls the run until `done` holds (by default until it ended, {@link runEnded}); the run as it was then. */
export function runWhen(
  runtime: TestRuntime,
  ws: { workspaceId: string },
  runId: string,
  done: (run: RunDetail) => boolean = runEnded,
  timeoutMs?: number,
): Promise<RunDetail> {
  return eventually(async () => {
    const run = await runtime.workflows.service.getRun(ws, runId);
    return done(run) ? run : undefined;
  }, timeoutMs);
}

/** Starts a manual run of the workflow and waits until it ended ({@link runEnded}); the run. */
export async function runToEnd(
  runtime: TestRuntime,
  ws: { workspaceId: string },
  workflowId: string,
  input: { leadId: string | null; data?: Record<string, unknown> },
): Promise<RunDetail> {
  const { runId } = await runtime.workflows.service.run(ws, workflowId, input, ACTOR);
  return runWhen(runtime, ws, runId);
}

/**
 * Submits a lead through the API and waits until its event names the lead it became: its id. Unlike
 * {@link submitLeadAndWait} it does not look the lead up by e-mail, so a merge into an older lead is
 * followed.
 */
export async function submitLeadForId(
  app: HttpApp['app'],
  apiKey: string,
  body: { email: string } & Record<string, unknown>,
): Promise<string> {
  const accepted = await call(app, 'POST', '/v1/leads', { key: apiKey, body });
  assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  return eventually(async () => {
    const event = await call(app, 'GET', `/v1/events/${accepted.body.eventId}`, { key: apiKey });
    return (event.body.leadId as string | null) ?? undefined;
  });
}

/** Withdraws `purpose` for the lead the way the person does: through a preference link's page. */
export async function withdrawThroughPreferenceLink(
  app: HttpApp['app'],
  apiKey: string,
  leadId: string,
  purpose: string,
): Promise<void> {
  const link = await call(app, 'POST', `/v1/leads/${leadId}/preference-link`, {
    key: apiKey,
    body: { ttlDays: 7 },
  });
  assert.equal(link.status, 201, JSON.stringify(link.body));
  const withdrawn = await call(app, 'POST', String(link.body.path), {
    body: { action: 'withdraw', purpose },
  });
  assert.equal(withdrawn.status, 200, JSON.stringify(withdrawn.body));
}

/**
 * Brings waiting workflow timers forward instead of waiting them out: the waiting steps' wake time
 * and their queued job rows become now (only the run's, when `runId` is given). The caller then
 * tells the queue (`runtime.queue.notify()`).
 */
export async function wakeWaitingSteps(runtime: TestRuntime, runId?: string): Promise<void> {
  await runtime.inspect
    .updateTable('workflow_steps')
    .set({ wake_at: Date.now() })
    .$if(runId !== undefined, (q) => q.where('run_id', '=', runId as string))
    .where('status', '=', 'waiting')
    .execute();
  await runtime.inspect
    .updateTable('jobs')
    .set({ run_at: Date.now() })
    .where('name', '=', 'workflow.step')
    .$if(runId !== undefined, (q) => q.where('payload', 'like', `%${runId}%`))
    .where('status', '=', 'queued')
    .execute();
}
