import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import { useAppWithWorkspace } from './support/app.ts';
import { call } from './support/http.ts';

describe('model health in council.decided (sqlite)', () => {
  // A provider nobody answers at (port 9, the discard port, refuses): every real call fails and the
  // offline model answers instead.
  const app = useAppWithWorkspace('sqlite', {
    runtime: {
      config: {
        LEADLOOP_MODEL: 'openai-compatible:down',
        LEADLOOP_MODEL_BASE_URL: 'http://127.0.0.1:9/v1',
        LEADLOOP_MODEL_TIMEOUT_MS: '2000',
      },
    },
  });

  it('records the failed calls and the decision latency with the decision, and the error rate follows', async () => {
    const { workspaceId, apiKey } = app.ws;
    const asked = await call(app.http.app, 'POST', '/v1/council/questions', {
      key: apiKey,
      body: { type: 'performance.review', windowDays: 30 },
    });
    assert.equal(asked.status, 200, JSON.stringify(asked.body));
    const events = await inWorkspace(workspaceId, () => app.runtime.events.readSince(workspaceId, 0, 1000));
    const decided = events.find((e) => e.type === 'council.decided');
    assert.ok(decided, 'a council.decided event');
    const calls = Number(decided.data.calls);
    assert.ok(calls >= 1);
    assert.equal(decided.data.failedCalls, calls, 'every call failed over to the offline model');
    assert.equal(typeof decided.data.latencyMs, 'number');
    await app.runtime.analytics.catchUp(workspaceId);
    const series = await inWorkspace(workspaceId, () =>
      app.runtime.analytics.series(
        { workspaceId, organisationId: '' },
        { metric: 'model_error_rate', segment: 'all', window: '1d' },
      ),
    );
    const point = series.points.find((p) => p.count > 0);
    assert.equal(point?.value, 1);
    assert.equal(point?.count, calls);
  });
});
