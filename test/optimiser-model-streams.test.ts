import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import type { NewDomainEvent } from '../src/events/index.ts';
import { useClockedRuntime } from './support/live-optimiser.ts';
import { metricSeries } from './support/metric-total.ts';
import { appendMinutes } from './support/optimiser-feed.ts';
import { DIALECTS } from './support/runtime.ts';

const START_MINUTE = Math.floor(Date.UTC(2026, 5, 6) / 60_000);

/** A minute's council decisions: each made `calls` model calls, `failed` of them failed, in `latencyMs`. */
type Minute = { decisions: number; calls: number; failed: number; latencyMs: (i: number) => number };

const healthy = (minute: number): Minute => ({
  decisions: 2,
  calls: 2,
  // About 1% of calls fail on an ordinary day.
  failed: minute % 50 === 0 ? 2 : 0,
  latencyMs: (i) => 800 + ((minute * 7 + i * 13) % 10) * 60,
});

for (const dialect of DIALECTS) {
  describe(`live detectors on the model port (${dialect})`, () => {
    const suite = useClockedRuntime(dialect, START_MINUTE);
    const { clock, workspace } = suite;

    const feed = async (ws: string, from: number, minutes: number, shape: (minute: number) => Minute) => {
      await appendMinutes(suite, ws, from, minutes, (minute) => {
        const m = shape(minute);
        const batch: NewDomainEvent[] = [];
        for (let i = 0; i < m.decisions; i++)
          batch.push({
            type: 'council.decided',
            subject: `dec_${minute}_${i}`,
            data: {
              questionType: 'lead.next_action',
              calls: m.calls,
              tokens: 100,
              offline: false,
              failedCalls: Math.min(m.calls, Math.ceil(m.failed / m.decisions)),
              latencyMs: m.latencyMs(i),
            },
          });
        return batch;
      });
      clock.set((from + minutes + 1) * 60_000);
    };

    /** Feeds minute by minute, running the monitor after each, until `until` says stop (or `limit`). */
    const watch = async (
      ws: string,
      from: number,
      limit: number,
      shape: (minute: number) => Minute,
      until: (report: { opened: string[]; resolved: string[] }) => boolean,
    ) => {
      const optimiser = suite.liveOptimiser();
      for (let minute = from; minute < from + limit; minute++) {
        await feed(ws, minute, 1, shape);
        const report = await optimiser.monitor(ws);
        if (until(report)) return { minute, report };
      }
      return null;
    };

    const alertOf = (ws: string, id: string) =>
      inWorkspace(ws, () => suite.liveOptimiser().alert({ workspaceId: ws, organisationId: '' }, id));

    it('opens a model-error alert with its evidence when calls start failing, and resolves it on recovery', async () => {
      const ws = await workspace('Model errors');
      const start = START_MINUTE;
      await feed(ws, start, 1500, healthy);
      assert.deepEqual((await suite.liveOptimiser().monitor(ws)).opened, []);
      const failingFrom = start + 1500;
      // The provider goes down: half the calls fail and fall back to the offline model.
      const failing = (minute: number): Minute => ({ ...healthy(minute), failed: 2 });
      const opened = await watch(ws, failingFrom, 60, failing, (r) => r.opened.length > 0);
      assert.ok(opened, 'an alert opened within the hour');
      assert.ok(opened.minute - failingFrom <= 15, `detected after ${opened.minute - failingFrom} minutes`);
      const id = opened.report.opened[0] ?? '';
      const alert = await alertOf(ws, id);
      assert.equal(alert.kind, 'model_error_spike');
      assert.equal(alert.evidence.metric, 'model_error_rate');
      assert.ok(alert.evidence.baseline.value < 0.05, `baseline ${alert.evidence.baseline.value}`);
      assert.ok((alert.evidence.observed.value ?? 0) > 0.3, 'observed: the failing share');
      assert.ok(alert.evidence.statistic >= alert.evidence.threshold);
      assert.ok(
        alert.evidence.window.from >= failingFrom * 60_000 - 10 * 60_000,
        'the window starts near the failure',
      );

      // The series the API answers shows the same rise.
      const series = await metricSeries(suite.runtime, ws, {
        metric: 'model_error_rate',
        window: '15m',
        from: (failingFrom - 60) * 60_000,
        to: (opened.minute + 1) * 60_000,
      });
      const values = series.points.map((p) => p.value ?? 0);
      assert.ok(Math.max(...values) > 0.3 && Math.min(...values) < 0.05, `series ${values.join(', ')}`);

      const back = await watch(ws, opened.minute + 1, 120, healthy, (r) => r.resolved.includes(id));
      assert.ok(back, 'resolved once calls succeed again');
      assert.equal((await alertOf(ws, id)).status, 'resolved');
    });

    it('opens a model-latency alert when decisions slow down, and resolves it when they speed up', async () => {
      const ws = await workspace('Model latency');
      const start = START_MINUTE + 10_000;
      await feed(ws, start, 1500, healthy);
      assert.deepEqual((await suite.liveOptimiser().monitor(ws)).opened, []);
      const slowFrom = start + 1500;
      const slow = (minute: number): Minute => ({ ...healthy(minute), latencyMs: (i) => 4000 + i * 100 });
      const opened = await watch(ws, slowFrom, 60, slow, (r) => r.opened.length > 0);
      assert.ok(opened, 'an alert opened within the hour');
      const id = opened.report.opened[0] ?? '';
      const alert = await alertOf(ws, id);
      assert.equal(alert.kind, 'model_latency_rise');
      assert.equal(alert.evidence.metric, 'model_latency_p90');
      assert.ok(alert.evidence.baseline.value <= 0.2, `baseline slow share ${alert.evidence.baseline.value}`);
      assert.equal(alert.evidence.observed.value, 1, 'every decision since was slower than the p90');

      const p90Over = async (from: number, to: number) => {
        const series = await metricSeries(suite.runtime, ws, {
          metric: 'model_latency_p90',
          window: '1m',
          from: from * 60_000,
          to: to * 60_000,
        });
        return series.points.filter((p) => p.count > 0).at(-1)?.value ?? null;
      };
      const before = await p90Over(slowFrom - 2, slowFrom);
      const during = await p90Over(opened.minute - 1, opened.minute + 1);
      assert.ok(before !== null && before < 2, `p90 before ${before} s`);
      assert.ok(during !== null && during > 3.5, `p90 while slow ${during} s`);

      const back = await watch(ws, opened.minute + 1, 120, healthy, (r) => r.resolved.includes(id));
      assert.ok(back, 'resolved once decisions are fast again');
    });
  });
}
