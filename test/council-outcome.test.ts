import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HttpApp } from '../src/http/index.ts';
import { call } from './support/http.ts';
import { eventually, startTestApp, stopTestApp, type TestRuntime } from './support/runtime.ts';

/** A lead's conversion outcome rewards the agents whose next-action advice it followed. */
describe('council learns from conversion outcomes', () => {
  let runtime: TestRuntime;
  let http: HttpApp;
  before(async () => {
    ({ runtime, http } = await startTestApp('sqlite'));
    runtime.startWorkers(2);
  });
  after(async () => {
    await stopTestApp({ runtime, http });
  });

  it('rewards the combination behind a qualified lead’s next-action decision when the lead converts', async () => {
    const { apiKey } = await runtime.tenants.createWorkspace({
      name: 'Learner',
      actor: { type: 'system', id: 'test' },
    });
    const accepted = await call(http.app, 'POST', '/v1/leads', {
      key: apiKey,
      body: {
        email: 'cfo@fjord-bank.example.no',
        title: 'CFO',
        company: 'Fjord Bank',
        country: 'NO',
        source: 'demo-request',
      },
    });
    const leadId = await eventually(
      async () =>
        ((await call(http.app, 'GET', `/v1/events/${accepted.body.eventId}`, { key: apiKey })).body.leadId as
          | string
          | null) ?? undefined,
    );
    const decision = await eventually(
      async () =>
        (
          (await call(http.app, 'GET', `/v1/council/decisions?leadId=${leadId}`, { key: apiKey })).body
            .items as { id: string }[]
        )[0],
    );
    assert.deepEqual(
      (await call(http.app, 'GET', '/v1/council/router/stats', { key: apiKey })).body.items,
      [],
    );

    const outcome = await call(http.app, 'POST', `/v1/leads/${leadId}/outcome`, {
      key: apiKey,
      body: { converted: true },
    });
    assert.equal(outcome.status, 200, JSON.stringify(outcome.body));
    const stats = (await call(http.app, 'GET', '/v1/council/router/stats', { key: apiKey })).body.items as {
      alpha: number;
      beta: number;
    }[];
    assert.equal(stats.length, 1, `one combination rewarded for decision ${decision.id}`);
    assert.ok((stats[0]?.alpha ?? 0) > 0);

    // Reporting the same outcome again changes nothing.
    await call(http.app, 'POST', `/v1/leads/${leadId}/outcome`, { key: apiKey, body: { converted: true } });
    assert.deepEqual(
      (await call(http.app, 'GET', '/v1/council/router/stats', { key: apiKey })).body.items,
      stats,
    );
  });
});
