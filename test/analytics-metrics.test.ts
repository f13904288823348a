import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createAnalyticsService } from '../src/analytics/index.ts';
import { inWorkspace } from '../src/core/index.ts';
import { useTestApp } from './support/app.ts';
import { call } from './support/http.ts';
import { DIALECTS, eventually } from './support/runtime.ts';

for (const dialect of DIALECTS) {
  describe(`streaming metrics (${dialect})`, () => {
    const app = useTestApp(dialect);
    let apiKey = '';
    let workspaceId = '';

    before(async () => {
      const ws = await app.runtime.tenants.createWorkspace({
        name: 'M',
        organisation: 'Org M',
        actor: { type: 'system', id: 'test' },
      });
      apiKey = ws.apiKey;
      workspaceId = ws.workspace.id;
      app.runtime.startWorkers(2);
      await call(app.http.app, 'PUT', '/v1/scoring/rules', {
        key: apiKey,
        body: { threshold: 0, rules: [] },
      });
      for (let i = 0; i < 6; i++) {
        const res = await call(app.http.app, 'POST', '/v1/leads', {
          key: apiKey,
          body: { email: `m${i}@m-corp.example.com`, company: 'M Corp', source: i < 4 ? 'web' : 'partner' },
        });
        assert.equal(res.status, 202, JSON.stringify(res.body));
      }
      await eventually(async () => {
        const list = await call(app.http.app, 'GET', '/v1/leads?limit=50', { key: apiKey });
        return ((list.body.items as unknown[] | undefined)?.length ?? 0) >= 6 ? true : undefined;
      });
    });

    const total = (body: Record<string, unknown>) =>
      (body.points as { count: number }[]).reduce((a, p) => a + p.count, 0);

    it('counts arrivals per source and overall from the domain events, in 1-minute buckets', async () => {
      const all = await call(app.http.app, 'GET', '/v1/analytics/metrics?metric=arrivals&window=1m', {
        key: apiKey,
      });
      assert.equal(all.status, 200, JSON.stringify(all.body));
      assert.equal(total(all.body), 6);
      assert.deepEqual(all.body.segments, ['all', 'source:partner', 'source:web']);
      const web = await call(
        app.http.app,
        'GET',
        '/v1/analytics/metrics?metric=arrivals&segment=source:web&window=1h',
        { key: apiKey },
      );
      assert.equal(total(web.body), 4);
      const rate = await call(
        app.http.app,
        'GET',
        '/v1/analytics/metrics?metric=qualification_rate&window=1d',
        {
          key: apiKey,
        },
      );
      const filled = (rate.body.points as { value: number | null }[]).filter((p) => p.value !== null);
      assert.ok(filled.length >= 1);
      for (const p of filled) assert.ok((p.value ?? -1) >= 0 && (p.value ?? 2) <= 1);
    });

    it('keeps its rollups across a restart and never counts an event twice', async () => {
      const again = createAnalyticsService({
        store: app.runtime.store,
        feed: app.runtime.events,
        clock: app.runtime.clock,
      });
      // Council decisions on the qualified leads may still be committing their events, so the new
      // service may find some: exactly those after the persisted cursor, never the ones before it.
      const cursorOf = async () =>
        Number(
          (
            await app.runtime.inspect
              .selectFrom('metric_cursors')
              .select('seq')
              .where('workspace_id', '=', workspaceId)
              .executeTakeFirstOrThrow()
          ).seq,
        );
      const persisted = await cursorOf();
      const consumed = await again.catchUp(workspaceId);
      const newer = await app.runtime.inspect
        .selectFrom('domain_events')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('workspace_id', '=', workspaceId)
        .where('seq', '>', persisted)
        .where('seq', '<=', await cursorOf())
        .executeTakeFirstOrThrow();
      assert.equal(consumed, Number(newer.n), 'the cursor persisted: only newer events were consumed');
      // Outside a request the caller sets the data scope (row-level security on PostgreSQL).
      const series = await inWorkspace(workspaceId, () =>
        again.series(
          { workspaceId, organisationId: '' },
          { metric: 'arrivals', segment: 'all', window: '15m' },
        ),
      );
      assert.equal(
        series.points.reduce((a, p) => a + p.count, 0),
        6,
      );
    });

    it('gives the organisation a trend per business unit from the same rollups', async () => {
      // The directory is not readable without a scope on PostgreSQL: ask the service.
      const org = (await app.runtime.tenants.getWorkspace(workspaceId))?.organisationId ?? '';
      const orgKey = await app.runtime.tenants.createOrganisationKey({ organisationId: org });
      const plain = await call(app.http.app, 'GET', '/v1/org/analytics', { key: orgKey.key });
      assert.equal(plain.status, 200);
      assert.equal((plain.body.total as Record<string, unknown>).trend, undefined, 'no window, no trend');
      const withTrend = await call(app.http.app, 'GET', '/v1/org/analytics?window=1h&periods=24', {
        key: orgKey.key,
      });
      assert.equal(withTrend.status, 200, JSON.stringify(withTrend.body));
      const trend = (withTrend.body.total as { trend: { arrivals: number; qualified: number }[] }).trend;
      assert.equal(
        trend.reduce((a, p) => a + p.arrivals, 0),
        6,
      );
      const unit = (withTrend.body.workspaces as { workspaceId: string; trend: { arrivals: number }[] }[])[0];
      assert.equal(unit?.workspaceId, workspaceId);
      assert.equal(
        unit?.trend.reduce((a, p) => a + p.arrivals, 0),
        6,
      );
      const bad = await call(app.http.app, 'GET', '/v1/org/analytics?window=2h', { key: orgKey.key });
      assert.equal(bad.status, 400);
      assert.match(JSON.stringify(bad.body), /query\.window/);
    });

    it('answers problem+json naming the field for a bad metric or too many points', async () => {
      const bad = await call(app.http.app, 'GET', '/v1/analytics/metrics?metric=nope', { key: apiKey });
      assert.equal(bad.status, 400);
      assert.match(JSON.stringify(bad.body), /query\.metric/);
      const tooMany = await call(
        app.http.app,
        'GET',
        '/v1/analytics/metrics?metric=arrivals&window=1m&from=2026-01-01T00:00:00Z&to=2026-01-03T00:00:00Z',
        { key: apiKey },
      );
      assert.equal(tooMany.status, 400);
      assert.match(JSON.stringify(tooMany.body), /query\.window/);
      const anonymous = await call(app.http.app, 'GET', '/v1/analytics/metrics?metric=arrivals');
      assert.equal(anonymous.status, 401);
    });
  });
}
