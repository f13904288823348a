import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HttpApp } from '../src/http/index.ts';
import { call } from './support/http.ts';
import {
  DIALECTS,
  eventually,
  northAndSouth,
  startTestApp,
  stopTestApp,
  type TestRuntime,
} from './support/runtime.ts';

interface Measures {
  arrivals: number;
  qualified: number;
  modelSpend: number | null;
}
interface Segment {
  segment: string;
  current: Measures;
}
interface Unit {
  workspaceId: string;
  period?: { current: Measures & { modelSpend: number | null }; segments: Segment[] };
}

for (const dialect of DIALECTS) {
  describe(`organisation analytics per industry and region (${dialect})`, () => {
    let runtime: TestRuntime;
    let http: HttpApp;
    let orgKey = '';
    const units = { north: '', south: '' };

    /** Leads with an industry (as the submitter wrote it) and a country; every one qualifies. */
    async function seed(apiKey: string, leads: { industry: string; country: string }[]) {
      await call(http.app, 'PUT', '/v1/scoring/rules', { key: apiKey, body: { threshold: 0, rules: [] } });
      for (const [i, lead] of leads.entries()) {
        const res = await call(http.app, 'POST', '/v1/leads', {
          key: apiKey,
          body: {
            email: `s${i}@seg-corp.example.com`,
            company: 'S Corp',
            source: 'web',
            country: lead.country,
            attributes: { industry: lead.industry },
          },
        });
        assert.equal(res.status, 202, JSON.stringify(res.body));
      }
    }

    before(async () => {
      ({ runtime, http } = await startTestApp(dialect));
      const { north, south, orgKey: key } = await northAndSouth(runtime, 'Org S');
      units.north = north.workspaceId;
      units.south = south.workspaceId;
      orgKey = key;
      runtime.startWorkers(2);
      await seed(north.apiKey, [
        { industry: 'SaaS', country: 'DE' },
        { industry: 'software', country: 'AT' },
        { industry: 'knitting circles', country: 'US' },
      ]);
      await seed(south.apiKey, [
        { industry: 'saas', country: 'US' },
        { industry: 'Retail', country: 'DE' },
      ]);
    });
    after(() => stopTestApp({ runtime, http }));

    it('compares units per industry and region in the council’s vocabularies, with spend in money per unit', async () => {
      const body = await eventually(async () => {
        const res = await call(http.app, 'GET', '/v1/org/analytics?window=7d', { key: orgKey });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const total = res.body.total as { period?: { current: Measures } };
        return total.period?.current.qualified === 5 ? res.body : undefined;
      });
      const list = body.workspaces as Unit[];
      const north = list.find((u) => u.workspaceId === units.north)?.period;
      const south = list.find((u) => u.workspaceId === units.south)?.period;
      const figures = (segments: Segment[] | undefined, name: string) => {
        const s = segments?.find((x) => x.segment === name)?.current;
        return s ? [s.arrivals, s.qualified] : null;
      };
      // "SaaS" and "software" are one industry; a value outside the vocabulary is in none.
      assert.deepEqual(figures(north?.segments, 'industry:saas'), [2, 2]);
      assert.equal(
        north?.segments.filter((s) => s.segment.startsWith('industry:')).length,
        1,
        JSON.stringify(north?.segments.map((s) => s.segment)),
      );
      assert.deepEqual(figures(south?.segments, 'industry:saas'), [1, 1]);
      assert.deepEqual(figures(south?.segments, 'industry:retail'), [1, 1]);
      const regions = (north?.segments ?? []).filter((s) => s.segment.startsWith('region:'));
      assert.equal(
        regions.reduce((n, s) => n + s.current.arrivals, 0),
        3,
        'every lead with a country is in one region',
      );
      const total = (body.total as { period: { segments: Segment[] } }).period;
      assert.deepEqual(figures(total.segments, 'industry:saas'), [3, 3]);
      assert.equal(typeof north?.current.modelSpend, 'number', 'a unit carries its spend in money');
      assert.equal(
        north?.segments.find((s) => s.segment === 'industry:saas')?.current.modelSpend,
        null,
        'a segment has no model spend',
      );
      assert.ok(!JSON.stringify(body).includes('example.com'), 'no personal data');
      assert.ok(!JSON.stringify(body).includes('knitting'), 'no free text from attributes');
    });
  });
}
