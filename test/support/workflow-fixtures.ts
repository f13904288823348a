import assert from 'node:assert/strict';
import { inWorkspace } from '../../src/core/index.ts';
import type { HttpApp } from '../../src/http/index.ts';
import { call } from './http.ts';
import { eventually, startAppWithWorkspace, type TestDialect, type TestRuntime } from './runtime.ts';

export const WEBHOOK_SECRET = `whsec_${Buffer.from('workflow-endpoint-secret-32bytes').toString('base64')}`;

/**
 * A lead qualifies → consent and sale/share are checked → a signed webhook to a sink → a marketing
 * e-mail → the lead is tagged. Verifies under the compliance rules (guards dominate both actions).
 */
export function qualifiedLeadWorkflow(sinkUrl: string) {
  return {
    schemaVersion: 1,
    name: 'Qualified lead follow-up',
    triggers: [{ type: 'lead.qualified' }],
    start: 'check',
    steps: [
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
  };
}

/** A manual workflow that waits `ms` (a timer as a due row) and ends: timers in the engine test and the bench. */
/** Condition → HTTP call to the sink → lead update: the benchmarks' workflow (n8n's comparison shape). */
export function threeStepWorkflow(sinkUrl: string, trigger: 'manual' | 'lead.created') {
  return {
    schemaVersion: 1,
    name: 'Three steps',
    triggers: [{ type: trigger }],
    start: 'check',
    steps: [
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
  };
}

export function waitingWorkflow(ms: number) {
  return {
    schemaVersion: 1,
    name: 'Wait',
    triggers: [{ type: 'manual' }],
    start: 'pause',
    steps: [
      { id: 'pause', type: 'wait', wait: { kind: 'duration', ms }, next: 'done' },
      { id: 'done', type: 'noop' },
    ],
  };
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
