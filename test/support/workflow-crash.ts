import assert from 'node:assert/strict';
import { defineWorkflow } from './workflow-definition.ts';

/**
 * What the SIGKILL tests of the workflow engine share, on SQLite (one `leadloop serve` process) and
 * on PostgreSQL (an API process and worker processes): the API calls, the workflows and the client
 * that starts the runs.
 */
export async function api(url: string, key: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: response.status,
    body: (await response.json().catch(() => ({}))) as Record<string, unknown>,
  };
}

/** Allows calls to the local sink, creates and activates `workflow`; returns its id. */
export async function setUpWorkflow(url: string, key: string, workflow: unknown): Promise<string> {
  const settings = await api(url, key, 'PUT', '/v1/workflow-settings', {
    egressAllow: ['127.0.0.1'],
    ratePerConnector: 10_000,
  });
  assert.equal(settings.status, 200, JSON.stringify(settings.body));
  const created = await api(url, key, 'POST', '/v1/workflows', workflow);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const activated = await api(url, key, 'POST', `/v1/workflows/${created.body.id}/activate`, {});
  assert.equal(activated.status, 200, JSON.stringify(activated.body));
  return created.body.id as string;
}

/** Condition → HTTP call to the sink (its idempotency key is `<run>:call#1`) → a variable. */
export function crashWorkflow(sinkUrl: string) {
  return defineWorkflow('Crash test', [
    { id: 'check', type: 'condition', when: { field: 'trigger.n', op: 'gte', value: 0 }, onTrue: 'call' },
    {
      id: 'call',
      type: 'http_request',
      method: 'POST',
      url: `${sinkUrl}/effect`,
      sharing: 'first_party',
      body: { n: '{{trigger.n}}' },
      retry: { maxAttempts: 10, backoffMs: 100 },
      next: 'mark',
    },
    { id: 'mark', type: 'set_vars', values: { done: 'yes' } },
  ]);
}

/** Waits `ms` (a timer as a due row), then calls the sink at `/timer`. */
export function timerWorkflow(sinkUrl: string, ms: number) {
  return defineWorkflow('Timers', [
    { id: 'pause', type: 'wait', wait: { kind: 'duration', ms }, next: 'call' },
    { id: 'call', type: 'http_request', method: 'POST', url: `${sinkUrl}/timer`, sharing: 'first_party' },
  ]);
}

/**
 * Starts `runs` manual runs of the workflow, 16 requests in flight, with `data: { n }`; resolves
 * with the ids of the runs the API acknowledged (202) once every request was answered.
 */
export async function startRuns(
  url: string,
  key: string,
  workflowId: string,
  runs: number,
): Promise<string[]> {
  const accepted: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < runs) {
        const n = next++;
        const r = await api(url, key, 'POST', `/v1/workflows/${workflowId}/runs`, {
          leadId: null,
          data: { n },
        });
        if (r.status === 202) accepted.push(r.body.runId as string);
      }
    }),
  );
  return accepted;
}

/** Polls `check` every 200 ms until it holds or `timeoutMs` passed; returns whether it held. */
export async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return check();
}
