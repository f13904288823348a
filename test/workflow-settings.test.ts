import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import type { HttpApp } from '../src/http/index.ts';
import { call } from './support/http.ts';
import { startAppWithWorkspace, stopTestApp, type TestRuntime } from './support/runtime.ts';

/**
 * `runRetentionDays` was never honoured (finished runs follow the privacy retention policy's
 * `workflowRunsDays`) and is gone from the API; settings stored with it still load as stored.
 */
describe('workflow settings without runRetentionDays', () => {
  let runtime: TestRuntime;
  let http: HttpApp;
  let ws = { workspaceId: '', organisationId: '', apiKey: '' };

  before(async () => {
    ({ runtime, http, ws } = await startAppWithWorkspace('sqlite'));
  });
  after(async () => {
    await stopTestApp({ runtime, http });
  });

  it('loads settings stored with the retired key as stored, not as the defaults', async () => {
    const stored = {
      egressAllow: ['10.0.0.0/8'],
      sender: null,
      unsubscribeBaseUrl: null,
      concurrencyPerWorkflow: 7,
      ratePerConnector: 3,
      maxStepOutputBytes: 1024,
      runRetentionDays: 30,
    };
    await inWorkspace(ws.workspaceId, () =>
      runtime.inspect
        .insertInto('workflow_settings')
        .values({ workspace_id: ws.workspaceId, settings: JSON.stringify(stored), updated_at: Date.now() })
        .execute(),
    );
    const got = await call(http.app, 'GET', '/v1/workflow-settings', { key: ws.apiKey });
    assert.equal(got.status, 200, JSON.stringify(got.body));
    const { runRetentionDays: _retired, ...kept } = stored;
    assert.deepEqual(got.body, kept);
  });

  it('refuses the retired key in a PUT, naming it', async () => {
    const put = await call(http.app, 'PUT', '/v1/workflow-settings', {
      key: ws.apiKey,
      body: { runRetentionDays: 30 },
    });
    assert.equal(put.status, 400, JSON.stringify(put.body));
    assert.match(JSON.stringify(put.body), /runRetentionDays/);
  });
});
