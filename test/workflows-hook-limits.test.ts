import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import type { HttpApp } from '../src/http/index.ts';
import { signWebhook } from '../src/ingest/index.ts';
import { json } from './support/http.ts';
import { startTestApp, stopTestApp, type TestRuntime } from './support/runtime.ts';

const ACTOR = { type: 'system' as const, id: 'test' };

/** A workflow's own inbound endpoint: the signature is checked before the workspace's rate limit is charged. */
describe('inbound workflow endpoint: authentication before rate limit', () => {
  let runtime: TestRuntime;
  let http: HttpApp;
  const ws = { workspaceId: '', secret: '', url: '' };

  before(async () => {
    ({ runtime, http } = await startTestApp('sqlite'));
    const created = await runtime.tenants.createWorkspace({
      name: 'Hooks',
      organisation: 'Org',
      actor: ACTOR,
    });
    ws.workspaceId = created.workspace.id;
    await inWorkspace(ws.workspaceId, async () => {
      const wf = await runtime.workflows.service.create(
        { workspaceId: ws.workspaceId },
        {
          schemaVersion: 1,
          name: 'Inbound',
          triggers: [{ type: 'webhook', path: 'orders' }],
          start: 'mark',
          steps: [{ id: 'mark', type: 'set_vars', values: { seen: 'yes' } }],
        },
        ACTOR,
      );
      await runtime.workflows.service.activate({ workspaceId: ws.workspaceId }, wf.id, ACTOR);
      const hook = (await runtime.workflows.hooksOf(ws.workspaceId, wf.id))[0];
      assert.ok(hook);
      ws.secret = hook.secret;
      ws.url = `/v1/hooks/${ws.workspaceId}/${hook.path}`;
    });
    await runtime.tenants.updateSettings(ws.workspaceId, { rateLimit: { perSecond: 1, burst: 3 } }, ACTOR);
  });
  after(() => stopTestApp({ runtime, http }));

  let counter = 0;
  const send = async (from: string, secret: string | null) => {
    const raw = JSON.stringify({ order: `A-${++counter}` });
    const id = `msg_${counter}_${from}`;
    const ts = Math.floor(Date.now() / 1000);
    return json(
      await http.app.inject({
        method: 'POST',
        url: ws.url,
        remoteAddress: from,
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(ts),
          'webhook-signature': secret ? signWebhook(secret, id, ts, raw) : 'v1,bm90IGEgc2lnbmF0dXJl',
        },
        payload: raw,
      }),
    );
  };

  it('forged calls are limited per client address and never drain the workspace; verified calls are charged to the workspace', async () => {
    const forged = new Map<number, number>();
    for (let i = 0; i < 60; i++) {
      const { status } = await send('203.0.113.50', null);
      forged.set(status, (forged.get(status) ?? 0) + 1);
    }
    assert.equal(forged.get(401), 30, "the address's failure budget");
    assert.equal(forged.get(429), 30, 'then the address is refused before any lookup');
    const forgedRuns = await runtime.inspect.selectFrom('workflow_runs').select('id').execute();
    assert.equal(forgedRuns.length, 0, 'no forged call started a run');

    // The workspace's bucket (burst 3) is whole although 60 forged calls named it.
    const real: number[] = [];
    for (let i = 0; i < 5; i++) real.push((await send('198.51.100.20', ws.secret)).status);
    assert.deepEqual(real.slice(0, 3), [202, 202, 202], JSON.stringify(real));
    assert.ok(
      real.slice(3).every((s) => s === 429),
      `verified calls over the rate are refused: ${real}`,
    );
    const runs = await runtime.inspect.selectFrom('workflow_runs').select('id').execute();
    assert.equal(runs.length, 3, 'only the admitted calls started runs');
    const limited = await send('198.51.100.21', ws.secret);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers['retry-after']) >= 1, 'the answer says when to retry');
  });
});
