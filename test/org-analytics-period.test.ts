import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useTestApp } from './support/app.ts';
import { call } from './support/http.ts';
import { DIALECTS, eventually, northAndSouth, testWorkspace } from './support/runtime.ts';

interface Measures {
  arrivals: number;
  qualified: number;
  outcomes: number;
  conversions: number;
  conversionRate: number | null;
  value: number;
  modelTokens: number | null;
}
interface Period {
  window: string;
  current: Measures;
  previous: Measures;
  segments: { segment: string; current: Measures; previous: Measures }[];
}
interface Unit {
  workspaceId: string;
  leads: number;
  period?: Period;
}

/** Every number held under a key named `value`, however deep. */
function valuesOf(node: unknown): number[] {
  if (Array.isArray(node)) return node.flatMap(valuesOf);
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, child]) =>
    key === 'value' && typeof child === 'number' ? [child] : valuesOf(child),
  );
}

for (const dialect of DIALECTS) {
  describe(`organisation analytics over a window of days (${dialect})`, () => {
    const app = useTestApp(dialect);
    let orgKey = '';
    const units = { north: '', south: '', other: '' };

    /** Leads from the given sources, then an outcome for each: converted (worth `value`) or not. */
    async function seed(apiKey: string, leads: { source: string; converted: boolean; value?: number }[]) {
      await call(app.http.app, 'PUT', '/v1/scoring/rules', {
        key: apiKey,
        body: { threshold: 0, rules: [] },
      });
      for (const [i, lead] of leads.entries()) {
        const res = await call(app.http.app, 'POST', '/v1/leads', {
          key: apiKey,
          body: { email: `p${i}@${lead.source}-corp.example.com`, company: 'P Corp', source: lead.source },
        });
        assert.equal(res.status, 202, JSON.stringify(res.body));
      }
      const items = await eventually(async () => {
        const list = await call(app.http.app, 'GET', '/v1/leads?limit=50', { key: apiKey });
        const found = (list.body.items as { id: string; source: string }[] | undefined) ?? [];
        return found.length >= leads.length ? found : undefined;
      });
      // Outcomes in the order of the sources asked for, whatever the listing order.
      const remaining = [...items];
      for (const lead of leads) {
        const index = remaining.findIndex((l) => l.source === lead.source);
        const [target] = remaining.splice(index, 1);
        const res = await call(app.http.app, 'POST', `/v1/leads/${target?.id}/outcome`, {
          key: apiKey,
          body: { converted: lead.converted, ...(lead.value !== undefined ? { value: lead.value } : {}) },
        });
        assert.equal(res.status, 200, JSON.stringify(res.body));
      }
    }

    before(async () => {
      const { north, south, orgKey: key } = await northAndSouth(app.runtime, 'Org P');
      const other = await testWorkspace(app.runtime, 'Other', 'Org Q');
      units.north = north.workspaceId;
      units.south = south.workspaceId;
      units.other = other.workspaceId;
      orgKey = key;
      app.runtime.startWorkers(2);
      await seed(north.apiKey, [
        { source: 'web', converted: true, value: 100 },
        { source: 'web', converted: true, value: 100 },
        { source: 'web', converted: false },
        { source: 'partner', converted: true, value: 40 },
      ]);
      await seed(south.apiKey, [
        { source: 'web', converted: true, value: 50 },
        { source: 'web', converted: false },
        { source: 'partner', converted: false },
        { source: 'partner', converted: false },
      ]);
      await seed(other.apiKey, [
        { source: 'web', converted: true, value: 999 },
        { source: 'event', converted: true, value: 999 },
      ]);
    });

    it('compares business units on conversions, rates and value, per source, and shows no other organisation', async () => {
      const body = await eventually(async () => {
        const res = await call(app.http.app, 'GET', '/v1/org/analytics?window=30d', { key: orgKey });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const total = res.body.total as { period?: Period };
        return total.period?.current.outcomes === 8 && total.period.current.arrivals === 8
          ? res.body
          : undefined;
      });
      const list = body.workspaces as Unit[];
      assert.deepEqual(list.map((u) => u.workspaceId).sort(), [units.north, units.south].sort());
      assert.ok(!JSON.stringify(body).includes(units.other), "another organisation's unit never appears");
      // Every `value` field, not a substring: ids and ratios (tokens per conversion) can hold "999" by chance.
      assert.ok(
        valuesOf(body).every((value) => value <= 290),
        `nor its conversions' value: ${valuesOf(body).join(', ')}`,
      );
      assert.ok(!JSON.stringify(body).includes('example.com'), 'no personal data');
      const north = list.find((u) => u.workspaceId === units.north)?.period;
      const south = list.find((u) => u.workspaceId === units.south)?.period;
      assert.equal(north?.window, '30d');
      assert.equal(north?.current.arrivals, 4);
      assert.equal(north?.current.conversions, 3);
      assert.equal(north?.current.conversionRate, 0.75);
      assert.equal(north?.current.value, 240);
      assert.equal(south?.current.conversions, 1);
      assert.equal(south?.current.conversionRate, 0.25);
      assert.equal(south?.current.value, 50);
      assert.equal(typeof north?.current.modelTokens, 'number', 'a unit carries its model spend');
      // Everything happened now: the previous 30 days are empty, the trend's other side.
      assert.equal(north?.previous.arrivals, 0);
      assert.equal(north?.previous.conversions, 0);
      const web = north?.segments.find((s) => s.segment === 'source:web');
      assert.equal(web?.current.arrivals, 3);
      assert.equal(web?.current.conversions, 2);
      assert.equal(web?.current.value, 200);
      assert.equal(web?.current.modelTokens, null, 'a segment has no model spend');
      const partner = south?.segments.find((s) => s.segment === 'source:partner');
      assert.equal(partner?.current.outcomes, 2);
      assert.equal(partner?.current.conversions, 0);
      const total = (body.total as { period: Period }).period;
      assert.equal(total.current.conversions, 4);
      assert.equal(total.current.conversionRate, 0.5);
      assert.equal(total.current.value, 290);
      assert.deepEqual(
        total.segments.map((s) => [s.segment, s.current.arrivals, s.current.conversions]),
        [
          ['source:partner', 3, 1],
          ['source:web', 5, 3],
        ],
      );
      // Backward compatible: the all-time counts stay.
      assert.equal(list.find((u) => u.workspaceId === units.north)?.leads, 4);
    });

    it('keeps the bucket windows as trends and refuses a bad window with problem+json', async () => {
      const hourly = await call(app.http.app, 'GET', '/v1/org/analytics?window=1h&periods=2', {
        key: orgKey,
      });
      assert.equal(hourly.status, 200, JSON.stringify(hourly.body));
      const total = hourly.body.total as { trend?: unknown[]; period?: unknown };
      // Two hours, aligned to whole hours: two or three buckets.
      assert.ok((total.trend?.length ?? 0) >= 2, 'the trend in hourly buckets stays');
      assert.equal(total.period, undefined, 'a bucket window is a trend, not a period');
      const weekly = await call(app.http.app, 'GET', '/v1/org/analytics?window=7d', { key: orgKey });
      assert.equal((weekly.body.total as { trend?: unknown }).trend, undefined);
      assert.equal((weekly.body.total as { period: Period }).period.window, '7d');
      for (const bad of ['0d', '7x', '400d', 'd', '-7d', '2h']) {
        const res = await call(app.http.app, 'GET', `/v1/org/analytics?window=${bad}`, { key: orgKey });
        assert.equal(res.status, 400, bad);
        assert.match(String(res.headers['content-type']), /problem\+json/);
        assert.match(JSON.stringify(res.body), /query\.window/);
      }
    });
  });
}
