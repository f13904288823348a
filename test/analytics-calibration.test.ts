import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createAnalyticsService } from '../src/analytics/index.ts';
import { type DomainEvent, inWorkspace } from '../src/core/index.ts';
import { useTestApp } from './support/app.ts';
import { call } from './support/http.ts';
import { DIALECTS } from './support/runtime.ts';

const ACTOR = { type: 'system' as const, id: 'test' };

for (const dialect of DIALECTS) {
  describe(`chat starts and calibration metrics (${dialect})`, () => {
    const app = useTestApp(dialect);
    let ws = { apiKey: '', widgetKey: '', workspaceId: '' };

    before(async () => {
      const created = await app.runtime.tenants.createWorkspace({
        name: 'K',
        organisation: 'Org K',
        actor: ACTOR,
      });
      ws = { apiKey: created.apiKey, widgetKey: created.widgetKey, workspaceId: created.workspace.id };
    });

    it('counts chat starts from the widget, per playbook', async () => {
      for (let i = 0; i < 3; i++) {
        const started = await call(app.http.app, 'POST', '/v1/chat/sessions', {
          body: { widgetKey: ws.widgetKey },
        });
        assert.equal(started.status, 201, JSON.stringify(started.body));
      }
      const res = await call(app.http.app, 'GET', '/v1/analytics/metrics?metric=chat_starts&window=1h', {
        key: ws.apiKey,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const points = res.body.points as { value: number }[];
      assert.equal(
        points.reduce((a, p) => a + p.value, 0),
        3,
      );
      assert.ok((res.body.segments as string[]).includes('playbook:bant'), JSON.stringify(res.body.segments));
    });

    it('gives mean predicted against observed conversion on the outcomes that had a prediction', async () => {
      // Outcome events as the scoring wiring writes them: a fed stream, so the figures are exact.
      const at = app.runtime.clock.now();
      const outcome = (seq: number, data: Record<string, unknown>): DomainEvent => ({
        id: `dev_cal_${seq}`,
        seq,
        workspaceId: ws.workspaceId,
        type: 'outcome.recorded',
        subject: `lead_${seq}`,
        data: { change: 'recorded', ...data },
        at,
      });
      const events = [
        outcome(1, { converted: true, predicted: 0.9 }),
        outcome(2, { converted: false, predicted: 0.7 }),
        outcome(3, { converted: false, predicted: 0.5 }),
        outcome(4, { converted: true, predicted: 0.3 }),
        // No champion when recorded: counted as an outcome, not in calibration.
        outcome(5, { converted: true }),
        // A corrected outcome is not counted again.
        outcome(6, { converted: true, predicted: 0.9, change: 'replaced' }),
      ];
      const other = await app.runtime.tenants.createWorkspace({
        name: 'K2',
        organisation: 'Org K',
        actor: ACTOR,
      });
      const workspaceId = other.workspace.id;
      const service = createAnalyticsService({
        store: app.runtime.store,
        clock: app.runtime.clock,
        feed: {
          readSince: async (id, afterSeq) =>
            events.filter((e) => id === workspaceId && e.seq > afterSeq).map((e) => ({ ...e, workspaceId })),
        },
      });
      assert.equal(await service.catchUp(workspaceId), 6);
      const ctx = { workspaceId, organisationId: '' };
      const read = (metric: 'calibration' | 'mean_predicted' | 'conversion_rate') =>
        inWorkspace(workspaceId, () => service.series(ctx, { metric, segment: 'all', window: '1d' })).then(
          (s) => s.points.find((p) => p.count > 0),
        );
      const mean = await read('mean_predicted');
      assert.equal(mean?.count, 4);
      assert.ok(Math.abs((mean?.value ?? 0) - 0.6) < 1e-9, String(mean?.value));
      // Mean predicted 0.6, observed 2 of 4: the model promises 0.1 more than happens.
      const calibration = await read('calibration');
      assert.equal(calibration?.count, 4);
      assert.ok(Math.abs((calibration?.value ?? 0) - 0.1) < 1e-9, String(calibration?.value));
      assert.equal((await read('conversion_rate'))?.value, 0.6, 'all five first outcomes: 3 of 5');
    });
  });
}
