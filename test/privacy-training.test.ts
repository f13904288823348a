import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import type { HttpApp } from '../src/http/index.ts';
import { call } from './support/http.ts';
import { DIALECTS, startAppWithWorkspace, stopTestApp, type TestRuntime } from './support/runtime.ts';
import { reportOutcomes, submitLeads, syntheticLeads } from './support/scoring-fixtures.ts';

const ACTOR = { type: 'system' as const, id: 'test' };

/** A model version says how many outcomes it left out for privacy, and why; the API shows it. */
for (const dialect of DIALECTS) {
  describe(`training leaves out withdrawn and erased people and says so (${dialect})`, () => {
    let runtime: TestRuntime;
    let http: HttpApp;
    let ws = { workspaceId: '', organisationId: '', apiKey: '' };

    before(async () => {
      ({ runtime, http, ws } = await startAppWithWorkspace(dialect));
      runtime.startWorkers(2);
      const settings = await call(http.app, 'PUT', '/v1/scoring/settings', {
        key: ws.apiKey,
        body: { autoRetrain: false },
      });
      assert.equal(settings.status, 200, JSON.stringify(settings.body));
    });
    after(() => stopTestApp({ runtime, http }));

    it('records in the version’s reason and metrics the outcomes of leads that withdrew profiling or were erased', async () => {
      const leads = syntheticLeads(240, { seed: 11, prefix: 'train' });
      const ids = await submitLeads(http.app, runtime.store, ws.apiKey, ws.workspaceId, leads);
      await reportOutcomes(http.app, ws.apiKey, ids, leads);
      // Two object to profiling, one restricts processing, one is erased.
      for (const [leadId, purpose] of [
        [ids[0], 'profiling'],
        [ids[1], 'profiling'],
        [ids[2], 'processing'],
      ] as const) {
        const response = await call(http.app, 'POST', `/v1/leads/${leadId}/consents`, {
          key: ws.apiKey,
          body: { entries: [{ purpose, action: 'withdraw' }] },
        });
        assert.equal(response.status, 201, JSON.stringify(response.body));
      }
      const erased = await call(http.app, 'DELETE', `/v1/leads/${ids[3]}`, { key: ws.apiKey });
      assert.equal(erased.status, 200, JSON.stringify(erased.body));

      const trained = await inWorkspace(ws.workspaceId, () =>
        runtime.predictive.training.train(ws.workspaceId, { trigger: 'test', actor: ACTOR }),
      );
      assert.equal(trained.status, 'trained', trained.reason);
      assert.match(
        trained.reason,
        /4 outcomes left out \(erased: 1, processing restricted: 1, profiling withdrawn: 2\)/,
      );

      const models = await call(http.app, 'GET', '/v1/models', { key: ws.apiKey });
      assert.equal(models.status, 200, JSON.stringify(models.body));
      const version = (
        models.body.items as {
          version: number;
          reason: string;
          rows: number;
          metrics: Record<string, unknown>;
        }[]
      ).find((v) => v.version === trained.version);
      assert.ok(version, JSON.stringify(models.body));
      assert.match(version.reason, /profiling withdrawn: 2/);
      assert.deepEqual(version.metrics.exclusions, {
        total: 4,
        byReason: { 'profiling withdrawn': 2, 'processing restricted': 1, erased: 1 },
      });
      // The model learned from the other 236 outcomes only.
      assert.equal(version.rows, 236);
    });
  });
}
