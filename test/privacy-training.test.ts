import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import { useAppWithWorkspace } from './support/app.ts';
import { call } from './support/http.ts';
import { DIALECTS } from './support/runtime.ts';
import { reportOutcomes, submitLeads, syntheticLeads } from './support/scoring-fixtures.ts';

const ACTOR = { type: 'system' as const, id: 'test' };

/** A model version says how many outcomes it left out for privacy, and why; the API shows it. */
for (const dialect of DIALECTS) {
  describe(`training leaves out withdrawn and erased people and says so (${dialect})`, () => {
    const app = useAppWithWorkspace(dialect, { workers: 2 });

    before(async () => {
      const settings = await call(app.http.app, 'PUT', '/v1/scoring/settings', {
        key: app.ws.apiKey,
        body: { autoRetrain: false },
      });
      assert.equal(settings.status, 200, JSON.stringify(settings.body));
    });

    it('records in the version’s reason and metrics the outcomes of leads that withdrew profiling or were erased', async () => {
      const leads = syntheticLeads(240, { seed: 11, prefix: 'train' });
      const ids = await submitLeads(
        app.http.app,
        app.runtime.store,
        app.ws.apiKey,
        app.ws.workspaceId,
        leads,
      );
      await reportOutcomes(app.http.app, app.ws.apiKey, ids, leads);
      // Two object to profiling, one restricts processing, one is erased.
      for (const [leadId, purpose] of [
        [ids[0], 'profiling'],
        [ids[1], 'profiling'],
        [ids[2], 'processing'],
      ] as const) {
        const response = await call(app.http.app, 'POST', `/v1/leads/${leadId}/consents`, {
          key: app.ws.apiKey,
          body: { entries: [{ purpose, action: 'withdraw' }] },
        });
        assert.equal(response.status, 201, JSON.stringify(response.body));
      }
      const erased = await call(app.http.app, 'DELETE', `/v1/leads/${ids[3]}`, { key: app.ws.apiKey });
      assert.equal(erased.status, 200, JSON.stringify(erased.body));

      const trained = await inWorkspace(app.ws.workspaceId, () =>
        app.runtime.predictive.training.train(app.ws.workspaceId, { trigger: 'test', actor: ACTOR }),
      );
      assert.equal(trained.status, 'trained', trained.reason);
      assert.match(
        trained.reason,
        /4 outcomes left out \(erased: 1, processing restricted: 1, profiling withdrawn: 2\)/,
      );

      const models = await call(app.http.app, 'GET', '/v1/models', { key: app.ws.apiKey });
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
