import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import { useTestApp } from './support/app.ts';
import { call } from './support/http.ts';
import { DIALECTS } from './support/runtime.ts';
import { reportOutcomes, submitLeads, syntheticLeads } from './support/scoring-fixtures.ts';

for (const dialect of DIALECTS) {
  describe(`training examples at outcome time (${dialect})`, () => {
    const app = useTestApp(dialect, { workers: 2 });
    const ACTOR = { type: 'system' as const, id: 'test' };

    before(async () => {});

    it('trains on each lead as it stood when its outcome happened, not on what arrived afterwards', async () => {
      const c = await app.runtime.tenants.createWorkspace({ name: 'C', organisation: 'Org C', actor: ACTOR });
      const asC = (method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) =>
        call(app.http.app, method, url, { key: c.apiKey, body });
      assert.equal((await asC('PUT', '/v1/scoring/settings', { autoRetrain: false })).status, 200);
      const leads = syntheticLeads(240, { seed: 31, prefix: 'snap' });
      const ids = await submitLeads(app.http.app, app.runtime.store, c.apiKey, c.workspace.id, leads);
      await reportOutcomes(app.http.app, c.apiKey, ids, leads);
      // Later events must carry a later timestamp than the last outcome.
      await new Promise((resolve) => setTimeout(resolve, 5));
      // Only a lead that converted comes back, to book its onboarding: a perfect predictor, but
      // one that exists only after the outcome.
      const converted = leads.flatMap((lead, i) => (lead.converted ? [{ lead, id: ids[i] }] : []));
      const followUps = converted.map(({ lead }) => ({
        ...lead,
        body: { email: lead.body.email, attributes: { onboarding: 'booked' } },
      }));
      const merged = await submitLeads(app.http.app, app.runtime.store, c.apiKey, c.workspace.id, followUps);
      assert.deepEqual(
        merged,
        converted.map((x) => x.id),
        'the follow-ups merged into the same leads',
      );
      const result = await inWorkspace(c.workspace.id, () =>
        app.runtime.predictive.training.train(c.workspace.id, { trigger: 'test', actor: ACTOR }),
      );
      assert.equal(result.status, 'trained', result.reason);
      const stored = await app.runtime.inspect
        .selectFrom('scoring_models')
        .select('feature_spec')
        .where('workspace_id', '=', c.workspace.id)
        .execute();
      const names = (JSON.parse(stored[0]!.feature_spec) as { features: { name: string }[] }).features.map(
        (f) => f.name,
      );
      assert.ok(names.includes('attr.plan_interest'), names.join(', '));
      // Trained on the leads as they are now, the second submission (touches, days of engagement)
      // separates the converted perfectly: validation AUC 1.
      const validationAuc = result.metrics?.validation.auc ?? 1;
      assert.ok(validationAuc < 0.95, `validation AUC ${validationAuc}: a later submission leaked`);
      // The hidden attribute still carries the signal it had when the outcomes happened.
      assert.ok(validationAuc > 0.7, `validation AUC ${validationAuc}`);
    });
  });
}
