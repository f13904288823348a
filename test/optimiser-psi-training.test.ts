import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createManualClock, inWorkspace } from '../src/core/index.ts';
import type { NewDomainEvent } from '../src/events/index.ts';
import type { LiveOptimiser } from '../src/optimiser/index.ts';
import { createTestLiveOptimiser } from './support/live-optimiser.ts';
import { createTestRuntime, DIALECTS, type TestRuntime } from './support/runtime.ts';

const ACTOR = { type: 'system' as const, id: 'test' };
const START_MINUTE = Math.floor(Date.UTC(2026, 5, 6) / 60_000);
const TRAINED_AT = Date.UTC(2026, 5, 1);

/** Training scores spread evenly over 5–94 points: 1,000 rows. */
const TRAINING = (() => {
  const points = new Array<number>(101).fill(0);
  for (let i = 0; i < 1000; i++) points[5 + (i % 90)] = (points[5 + (i % 90)] ?? 0) + 1;
  return { points, rows: 1000, trainedAt: TRAINED_AT };
})();

for (const dialect of DIALECTS) {
  describe(`score drift against the champion's training scores (${dialect})`, () => {
    let runtime: TestRuntime;
    const clock = createManualClock(START_MINUTE * 60_000);

    before(async () => {
      runtime = await createTestRuntime(dialect, { clock, scheduleTickMs: 0 });
    });
    after(async () => {
      await runtime.dispose();
    });

    const workspace = async (name: string) =>
      (await runtime.tenants.createWorkspace({ name, organisation: `Org ${name}`, actor: ACTOR })).workspace
        .id;

    /** A live optimiser whose champion is v7, with or without training scores stored. */
    const optimiser = (stored: boolean): LiveOptimiser =>
      createTestLiveOptimiser(runtime, clock, {
        metrics: {
          catchUp: async (ws) => {
            await runtime.analytics.catchUp(ws);
          },
          perMinute: (ctx, metric, from, to) => runtime.analytics.perMinute(ctx, metric, from, to),
          scoreHistogram: (ctx, segment, from, to) =>
            runtime.analytics.scoreHistogram(ctx, segment, from, to),
          modelScoreHistogram: (ctx, version, from, to) =>
            runtime.analytics.modelScoreHistogram(ctx, version, from, to),
        },
        thresholds: {
          championVersion: async () => 7,
          recompute: async () => {},
          current: async () => null,
          replace: async () => false,
        },
        champion: { trainingScores: async (_ws, version) => (stored && version === 7 ? TRAINING : null) },
      });

    /** Two leads a minute scored by v7; `high` puts every probability at 0.85–0.94. */
    async function feed(ws: string, from: number, minutes: number, high: boolean) {
      await inWorkspace(ws, () =>
        runtime.store.transaction(async (trx) => {
          for (let minute = from; minute < from + minutes; minute++) {
            clock.set(minute * 60_000 + 1_000);
            const batch: NewDomainEvent[] = [0, 1].map((i) => {
              const points = high ? 85 + ((minute + i) % 10) : 5 + ((minute * 2 + i * 41) % 90);
              return {
                type: 'lead.scored',
                subject: `lead_${minute}_${i}`,
                data: { score: points, modelVersion: 7, probability: points / 100, source: 'web' },
              };
            });
            await runtime.events.append(trx, ws, batch);
          }
        }),
      );
    }

    it('finds live scores that sat apart from the training scores from the start, which a reference day of live scores cannot', async () => {
      const ws = await workspace('PSI training');
      const withTraining = optimiser(true);
      let opened: string | undefined;
      let minute = START_MINUTE;
      for (; minute < START_MINUTE + 90 && !opened; minute++) {
        await feed(ws, minute, 1, true);
        clock.set((minute + 2) * 60_000);
        opened = (await withTraining.monitor(ws)).opened[0];
      }
      assert.ok(opened, 'an alert opened within 90 minutes');
      const alert = await inWorkspace(ws, () =>
        withTraining.alert({ workspaceId: ws, organisationId: '' }, opened as string),
      );
      assert.equal(alert.kind, 'score_psi_shift');
      assert.match(alert.evidence.detector, /champion v7's live score points against its training scores/);
      assert.match(alert.summary, /against its 1000 training rows/);
      assert.equal(alert.evidence.baseline.count, 1000, 'the baseline is the training window');
      assert.equal(alert.evidence.baseline.from, TRAINED_AT);
      assert.ok(alert.evidence.statistic > alert.evidence.threshold && alert.evidence.threshold >= 0.2);

      // The same stream against a reference day: the day holds the same shifted scores, so no alarm.
      const plain = await workspace('PSI reference day');
      const withoutTraining = optimiser(false);
      let alarms = 0;
      for (let m = START_MINUTE + 2000; m < START_MINUTE + 2090; m++) {
        await feed(plain, m, 1, true);
        clock.set((m + 2) * 60_000);
        alarms += (await withoutTraining.monitor(plain)).opened.length;
      }
      assert.equal(alarms, 0);
    });

    it('falls back to the reference day for a champion without stored training scores, and says why', async () => {
      const ws = await workspace('PSI fallback');
      const start = START_MINUTE + 10_000;
      const withoutTraining = optimiser(false);
      await feed(ws, start, 1500, false);
      clock.set((start + 1501) * 60_000);
      assert.deepEqual((await withoutTraining.monitor(ws)).opened, []);
      let opened: string | undefined;
      for (let minute = start + 1500; minute < start + 1560 && !opened; minute++) {
        await feed(ws, minute, 1, true);
        clock.set((minute + 2) * 60_000);
        opened = (await withoutTraining.monitor(ws)).opened[0];
      }
      assert.ok(opened, 'the reference-day stream still finds a shift');
      const alert = await inWorkspace(ws, () =>
        withoutTraining.alert({ workspaceId: ws, organisationId: '' }, opened as string),
      );
      assert.match(alert.evidence.detector, /against the reference day/);
      assert.match(
        alert.evidence.detector,
        /champion v7 was trained before training scores were stored with a version/,
      );
    });
  });
}
