import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import type { LiveOptimiser } from '../src/optimiser/index.ts';
import { useClockedRuntime } from './support/live-optimiser.ts';
import { appendMinutes } from './support/optimiser-feed.ts';
import { DIALECTS } from './support/runtime.ts';

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
    const suite = useClockedRuntime(dialect, START_MINUTE);
    const { clock, workspace } = suite;

    /** A live optimiser whose champion is v7, with or without training scores stored. */
    const optimiser = (stored: boolean): LiveOptimiser =>
      suite.liveOptimiser({
        metrics: {
          catchUp: async (ws) => {
            await suite.runtime.analytics.catchUp(ws);
          },
          perMinute: (ctx, metric, from, to) => suite.runtime.analytics.perMinute(ctx, metric, from, to),
          scoreHistogram: (ctx, segment, from, to) =>
            suite.runtime.analytics.scoreHistogram(ctx, segment, from, to),
          modelScoreHistogram: (ctx, version, from, to) =>
            suite.runtime.analytics.modelScoreHistogram(ctx, version, from, to),
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
      await appendMinutes(suite, ws, from, minutes, (minute) =>
        [0, 1].map((i) => {
          const points = high ? 85 + ((minute + i) % 10) : 5 + ((minute * 2 + i * 41) % 90);
          return {
            type: 'lead.scored',
            subject: `lead_${minute}_${i}`,
            data: { score: points, modelVersion: 7, probability: points / 100, source: 'web' },
          };
        }),
      );
    }

    /** High scores a minute at a time from `from`, each under `watcher`'s monitor: the first alert opened within `limit` minutes. */
    async function firstHighScoreAlert(watcher: LiveOptimiser, ws: string, from: number, limit: number) {
      for (let minute = from; minute < from + limit; minute++) {
        await feed(ws, minute, 1, true);
        clock.set((minute + 2) * 60_000);
        const [opened] = (await watcher.monitor(ws)).opened;
        if (opened)
          return inWorkspace(ws, () => watcher.alert({ workspaceId: ws, organisationId: '' }, opened));
      }
      return undefined;
    }

    it('finds live scores that sat apart from the training scores from the start, which a reference day of live scores cannot', async () => {
      const ws = await workspace('PSI training');
      const withTraining = optimiser(true);
      const alert = await firstHighScoreAlert(withTraining, ws, START_MINUTE, 90);
      assert.ok(alert, 'an alert opened within 90 minutes');
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
      const alert = await firstHighScoreAlert(withoutTraining, ws, start + 1500, 60);
      assert.ok(alert, 'the reference-day stream still finds a shift');
      assert.match(alert.evidence.detector, /against the reference day/);
      assert.match(
        alert.evidence.detector,
        /champion v7 was trained before training scores were stored with a version/,
      );
    });
  });
}
