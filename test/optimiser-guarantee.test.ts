import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import type { HttpApp } from '../src/http/index.ts';
import { call } from './support/http.ts';
import { DIALECTS, startTestApp, stopTestApp, type TestRuntime } from './support/runtime.ts';
import { reportOutcomes, submitLeads, syntheticLeads } from './support/scoring-fixtures.ts';

const ACTOR = { type: 'system' as const, id: 'test' };
const DAY = 86_400_000;
const DAY0 = Date.parse('2026-11-01T00:00:00Z');
const PERIODS = 4;

interface Row {
  periodFrom: string;
  segment: string;
  qualified: number;
  guaranteed: number;
  labelled: number;
  conversions: number;
  held: boolean | null;
}

for (const dialect of DIALECTS) {
  describe(`guarantee report on leads scored by the pipeline (${dialect})`, () => {
    // Real time moved to a chosen day: retries and leases that wait a few seconds still come due
    // (a stopped clock would strand a retried job on a loaded PostgreSQL), yet each day's leads
    // are scored inside that day.
    let offset = 0;
    const clock = {
      now: () => Date.now() + offset,
      set: (ms: number) => {
        offset = ms - Date.now();
      },
    };
    clock.set(DAY0 + 3_600_000);
    let runtime: TestRuntime;
    let http: HttpApp;
    const A = { workspaceId: '', key: '' };
    /** What really happened per period: qualified leads scored in it, and their conversions. */
    const truth: { from: number; qualified: number; conversions: number }[] = [];

    before(
      async () => {
        ({ runtime, http } = await startTestApp(dialect, { clock }));
        const a = await runtime.tenants.createWorkspace({ name: 'G', organisation: 'Org G', actor: ACTOR });
        Object.assign(A, { workspaceId: a.workspace.id, key: a.apiKey });
        runtime.startWorkers(2);
        const asA = (method: 'PUT', url: string, body: unknown) =>
          call(http.app, method, url, { key: A.key, body });
        assert.equal((await asA('PUT', '/v1/scoring/settings', { autoRetrain: false })).status, 200);
        // Every lead qualifies on the point rules, so each period's qualified leads are all its leads.
        assert.equal((await asA('PUT', '/v1/scoring/rules', { threshold: 0, rules: [] })).status, 200);

        // Day 0: outcomes to train a champion on (and the history the forecasts' uncertainty uses).
        const training = syntheticLeads(240, { seed: 11 });
        const trainingIds = await submitLeads(http.app, runtime.store, A.key, A.workspaceId, training);
        await reportOutcomes(http.app, A.key, trainingIds, training);
        const trained = await inWorkspace(A.workspaceId, () =>
          runtime.predictive.training.train(A.workspaceId, { trigger: 'test', actor: ACTOR }),
        );
        assert.equal(trained.modelStatus, 'champion', trained.reason);

        // Days 1..4: new leads scored by the champion in the pipeline, outcomes the same afternoon.
        for (let day = 1; day <= PERIODS; day++) {
          clock.set(DAY0 + day * DAY + 3_600_000);
          const leads = syntheticLeads(80, { seed: 100 + day, offset: 1000 * day });
          const ids = await submitLeads(http.app, runtime.store, A.key, A.workspaceId, leads);
          clock.set(DAY0 + day * DAY + 12 * 3_600_000);
          await reportOutcomes(http.app, A.key, ids, leads);
          const qualified = await runtime.inspect
            .selectFrom('leads')
            .select('id')
            .where('id', 'in', ids)
            .where('status', '=', 'qualified')
            .execute();
          const q = new Set(qualified.map((r) => r.id));
          truth.push({
            from: DAY0 + day * DAY,
            qualified: q.size,
            conversions: ids.filter((id, i) => q.has(id) && leads[i]?.converted).length,
          });
        }
        clock.set(DAY0 + (PERIODS + 1) * DAY + 3_600_000);
        // 560 leads through the pipeline one request at a time: PostgreSQL on a loaded machine needs the margin.
      },
      { timeout: 1_200_000 },
    );
    after(() => stopTestApp({ runtime, http }));

    it('guarantees a lower quantile per day and measures how often it held, on both paths', async (t) => {
      const url = `/v1/reports/guarantee?period=1d&periods=${PERIODS}&quantile=0.1`;
      const report = await call(http.app, 'GET', url, { key: A.key });
      assert.equal(report.status, 200, JSON.stringify(report.body));
      const rows = report.body.rows as Row[];
      const all = rows.filter((r) => r.segment === 'all');
      assert.equal(all.length, PERIODS, JSON.stringify(rows));
      for (const row of all) {
        const real = truth.find((t) => t.from === Date.parse(row.periodFrom));
        assert.ok(real, `a period the test made: ${row.periodFrom}`);
        // The report counts the leads the pipeline really scored and what they really did.
        assert.equal(row.qualified, real.qualified);
        assert.equal(row.labelled, real.qualified, 'every outcome is known');
        assert.equal(row.conversions, real.conversions);
        assert.ok(row.guaranteed >= 0 && row.guaranteed <= row.qualified);
        assert.equal(row.held, row.conversions >= row.guaranteed);
      }
      // Coverage is counted from the judged rows, not assumed from the quantile.
      const judged = rows.filter((r) => r.held !== null);
      const backtest = report.body.backtest as {
        periods: number;
        held: number;
        coverage: number;
        nominal: number;
      };
      assert.equal(backtest.periods, judged.length);
      assert.equal(backtest.held, judged.filter((r) => r.held).length);
      assert.ok(Math.abs(backtest.coverage - backtest.held / backtest.periods) < 1e-9);
      assert.equal(backtest.nominal, 0.9);
      t.diagnostic(`coverage ${backtest.held}/${backtest.periods} judged rows (nominal 90%)`);

      const same = await call(http.app, 'GET', url.replace('/v1/reports/', '/v1/optimiser/'), { key: A.key });
      assert.deepEqual(same.body, report.body, 'the alias answers the same report');
      const csv = await http.app.inject({
        method: 'GET',
        url: `${url}&format=csv`,
        headers: { authorization: `Bearer ${A.key}` },
      });
      assert.equal(csv.statusCode, 200);
      assert.equal(csv.body.trim().split('\r\n').length, rows.length + 1);
    });
  });
}
