import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import type { NewDomainEvent } from '../src/events/index.ts';
import type { HttpApp } from '../src/http/index.ts';
import type { LiveOptimiser } from '../src/optimiser/index.ts';
import { call } from './support/http.ts';
import { useClockedRuntime } from './support/live-optimiser.ts';
import { DIALECTS, eventually, startTestApp, stopTestApp, type TestRuntime } from './support/runtime.ts';

const ACTOR = { type: 'system' as const, id: 'test' };
const START_MINUTE = Math.floor(Date.UTC(2026, 4, 6) / 60_000);

for (const dialect of DIALECTS) {
  describe(`outcomes per segment, through the API (${dialect})`, () => {
    let runtime: TestRuntime;
    let http: HttpApp;

    before(async () => {
      ({ runtime, http } = await startTestApp(dialect));
      runtime.startWorkers(1);
    });
    after(() => stopTestApp({ runtime, http }));

    it('rolls an outcome up under its source, industry and region (no chat, so no playbook)', async () => {
      const created = await runtime.tenants.createWorkspace({
        name: 'Seg',
        organisation: 'Org Seg',
        actor: ACTOR,
      });
      const key = created.apiKey;
      await call(http.app, 'PUT', '/v1/scoring/rules', { key, body: { threshold: 0, rules: [] } });
      const res = await call(http.app, 'POST', '/v1/leads', {
        key,
        body: {
          email: 'ada@seg-corp.example.com',
          company: 'Seg Corp',
          source: 'partner',
          country: 'DE',
          attributes: { industry: 'SaaS' },
        },
      });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      const lead = await eventually(async () => {
        const list = await call(http.app, 'GET', '/v1/leads?limit=5', { key });
        return (list.body.items as { id: string }[] | undefined)?.[0];
      });
      const outcome = await call(http.app, 'POST', `/v1/leads/${lead.id}/outcome`, {
        key,
        body: { converted: true, value: 500 },
      });
      assert.equal(outcome.status, 200, JSON.stringify(outcome.body));
      for (const segment of ['all', 'source:partner', 'industry:saas', 'region:dach']) {
        const series = await call(
          http.app,
          'GET',
          `/v1/analytics/metrics?metric=conversions&segment=${encodeURIComponent(segment)}&window=1h`,
          { key },
        );
        assert.equal(series.status, 200, JSON.stringify(series.body));
        const points = series.body.points as { count: number }[];
        assert.equal(
          points.reduce((a, p) => a + p.count, 0),
          1,
          `one conversion under ${segment}`,
        );
      }
    });
  });

  describe(`conversion detectors per segment (${dialect})`, () => {
    const suite = useClockedRuntime(dialect, START_MINUTE);
    const { clock, workspace } = suite;
    const restarted = (): LiveOptimiser => suite.liveOptimiser();

    /** One minute of outcomes per industry: [industry, outcomes, converted]. */
    async function feed(ws: string, minute: number, rows: [string, number, number][]) {
      clock.set(minute * 60_000 + 1_000);
      const batch: NewDomainEvent[] = [];
      for (const [industry, outcomes, converted] of rows)
        for (let i = 0; i < outcomes; i++)
          batch.push({
            type: 'outcome.recorded',
            subject: `lead_${industry}_${minute}_${i}`,
            data: { converted: i < converted, value: 0, change: 'recorded', industry, region: 'uk' },
          });
      await inWorkspace(ws, () =>
        suite.runtime.store.transaction((trx) => suite.runtime.events.append(trx, ws, batch)),
      );
    }

    it('finds the industry whose conversions fell, not its neighbour, and a restart every minute changes nothing', async () => {
      const kept = await workspace('Segments kept');
      const restarting = await workspace('Segments restarting');
      // 10 outcomes a minute per industry at 30%; saas falls to none after an hour.
      const rows = (m: number): [string, number, number][] => [
        ['saas', 10, m < 60 ? 3 : 0],
        ['retail', 10, 3],
      ];
      const opened: Record<string, { minute: number; ids: string[] } | undefined> = {};
      for (let m = 0; m < 120; m++) {
        const minute = START_MINUTE + m;
        for (const ws of [kept, restarting]) await feed(ws, minute, rows(m));
        clock.set((minute + 2) * 60_000);
        const reports = {
          [kept]: await suite.runtime.optimiser.monitor(kept),
          [restarting]: await restarted().monitor(restarting),
        };
        for (const ws of [kept, restarting]) {
          const ids = reports[ws]?.opened ?? [];
          if (ids.length > 0 && !opened[ws]) opened[ws] = { minute: m, ids };
        }
        if (opened[kept] && opened[restarting]) break;
      }
      const a = opened[kept];
      const b = opened[restarting];
      assert.ok(a && b, 'both workspaces alarmed');
      assert.ok(a.minute >= 60 && a.minute - 60 <= 30, `found ${a.minute - 60} minutes after the fall`);
      assert.equal(b.minute, a.minute, 'a restarted monitor resumes the same statistics');
      const alerts = await inWorkspace(kept, () =>
        suite.runtime.optimiser.alerts({ workspaceId: kept, organisationId: '' }, { limit: 20 }),
      );
      const streams = alerts.map((x) => x.stream);
      assert.ok(streams.includes('conversion:industry:saas'), streams.join(', '));
      assert.ok(!streams.includes('conversion:industry:retail'), streams.join(', '));
      const saas = alerts.find((x) => x.stream === 'conversion:industry:saas');
      assert.equal(saas?.segment, 'industry:saas');
      assert.equal(saas?.evidence.metric, 'conversion_rate');
      assert.ok((saas?.evidence.baseline.value ?? 0) > 0.2, 'baseline: the segment’s own 30%');
      const other = await inWorkspace(restarting, () =>
        suite.runtime.optimiser.alerts({ workspaceId: restarting, organisationId: '' }, { limit: 20 }),
      );
      assert.deepEqual(other.map((x) => x.stream).sort(), [...streams].sort());
    });
  });
}
