import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAnalyticsService, type TrainingScoreSource } from '../src/analytics/index.ts';
import { inWorkspace } from '../src/core/index.ts';
import type { NewDomainEvent } from '../src/events/index.ts';
import { useClockedRuntime } from './support/live-optimiser.ts';
import { metricSeries } from './support/metric-total.ts';
import { appendMinutes } from './support/optimiser-feed.ts';
import { DIALECTS } from './support/runtime.ts';

const START_MINUTE = Math.floor(Date.UTC(2026, 6, 1) / 60_000);

/** 1,000 training rows, their score points (0–100) drawn by `pointOf(i)`. */
function trainingOf(pointOf: (i: number) => number) {
  const points = new Array<number>(101).fill(0);
  for (let i = 0; i < 1000; i++) points[pointOf(i)] = (points[pointOf(i)] ?? 0) + 1;
  return { points, rows: 1000 };
}
/** Concentrated low: points 2–21. */
const LOW = trainingOf((i) => 2 + (i % 20));
/** Spread over 5–94, like the `spread` live scores below. */
const SPREAD = trainingOf((i) => 5 + (i % 90));

for (const dialect of DIALECTS) {
  describe(`score_psi against the champion's training scores (${dialect})`, () => {
    const suite = useClockedRuntime(dialect, START_MINUTE);
    const { clock, workspace } = suite;

    /** Ten leads a minute scored by model `version`, at the points `pointOf(minute, i)`. */
    async function feed(
      ws: string,
      from: number,
      minutes: number,
      version: number,
      pointOf: (minute: number, i: number) => number,
    ) {
      await appendMinutes(suite, ws, from, minutes, (minute) => {
        const batch: NewDomainEvent[] = [];
        for (let i = 0; i < 10; i++) {
          const points = pointOf(minute, i);
          batch.push({
            type: 'lead.scored',
            subject: `lead_${minute}_${i}`,
            data: { score: points, modelVersion: version, probability: points / 100, source: 'web' },
          });
        }
        return batch;
      });
    }
    const high = (minute: number, i: number) => 80 + ((minute + i) % 15);
    const spread = (minute: number, i: number) => 5 + ((minute * 10 + i) % 90);

    /** The series as a service with `training` answers it (the runtime wires scoring's registry). */
    async function psi(
      ws: string,
      training: TrainingScoreSource | undefined,
      range: { from: number; to: number; segment?: string },
    ) {
      const service = createAnalyticsService({
        store: suite.runtime.store,
        feed: suite.runtime.events,
        clock,
        ...(training ? { training } : {}),
      });
      await service.catchUp(ws);
      return inWorkspace(ws, () =>
        service.series(
          { workspaceId: ws, organisationId: '' },
          {
            metric: 'score_psi',
            segment: range.segment ?? 'all',
            window: '1h',
            from: range.from * 60_000,
            to: range.to * 60_000,
          },
        ),
      );
    }

    it('reads high PSI when live scores sit far above a champion trained on low scores, from the first hour', async () => {
      const ws = await workspace('PSI high');
      const start = START_MINUTE;
      // The day before holds the same high scores: against it nothing moved, against training much did.
      await feed(ws, start, 180, 3, high);
      const asked: number[] = [];
      const training: TrainingScoreSource = {
        trainingScores: async (_ws, version) => {
          asked.push(version);
          return version === 3 ? LOW : null;
        },
      };
      const series = await psi(ws, training, { from: start + 60, to: start + 180 });
      assert.equal(series.baseline, 'training');
      assert.match(series.baselineNote ?? '', /v3/);
      assert.deepEqual([...new Set(asked)], [3]);
      assert.equal(series.points.length, 2);
      for (const p of series.points) {
        assert.equal(p.count, 600);
        assert.equal(p.modelVersion, 3);
        assert.ok((p.value ?? 0) > 2, `PSI ${p.value} against training`);
      }
      // The runtime's own wiring asks scoring's registry, which has no v3 here: the fallback, saying why.
      const wired = await metricSeries(suite.runtime, ws, {
        metric: 'score_psi',
        window: '1h',
        from: (start + 60) * 60_000,
        to: (start + 180) * 60_000,
      });
      assert.equal(wired.baseline, 'previous_day');
      assert.match(wired.baselineNote ?? '', /champion v3 was trained before training scores were stored/);
      const plain = await psi(ws, undefined, { from: start + 60, to: start + 180 });
      assert.equal(plain.baseline, 'previous_day');
      assert.match(plain.baselineNote ?? '', /not read in this deployment/);
    });

    it('reads near 0 when live scores follow the training distribution, and follows each champion in force', async () => {
      const ws = await workspace('PSI same');
      const start = START_MINUTE + 5_040;
      await feed(ws, start, 120, 4, spread);
      // v5 takes over: its training scores are concentrated low, its live scores are not.
      await feed(ws, start + 120, 60, 5, spread);
      const training: TrainingScoreSource = {
        trainingScores: async (_ws, version) => (version === 4 ? SPREAD : version === 5 ? LOW : null),
      };
      const series = await psi(ws, training, { from: start, to: start + 180 });
      assert.equal(series.baseline, 'training');
      assert.deepEqual(
        series.points.map((p) => p.modelVersion),
        [4, 4, 5],
      );
      for (const p of series.points.slice(0, 2)) assert.ok((p.value ?? 1) < 0.05, `PSI ${p.value}`);
      assert.ok((series.points[2]?.value ?? 0) > 1, `v5's PSI ${series.points[2]?.value}`);
    });

    it('falls back to the previous day, labelled, without training scores, for an old version, or per source', async () => {
      const ws = await workspace('PSI fallback');
      const start = START_MINUTE + 10_080;
      await feed(ws, start, 1440, 6, spread);
      await feed(ws, start + 1440, 60, 6, high);
      const range = { from: start + 1440, to: start + 1500 };
      const old = await psi(ws, { trainingScores: async () => null }, range);
      assert.equal(old.baseline, 'previous_day');
      assert.match(old.baselineNote ?? '', /champion v6 was trained before training scores were stored/);
      // The previous day held spread scores; the hour's high ones moved from it.
      const [point] = old.points;
      assert.equal(point?.count, 600);
      assert.equal(point?.modelVersion, undefined);
      assert.ok((point?.value ?? 0) > 1, `PSI ${point?.value} against the previous day`);
      const thin = await psi(ws, { trainingScores: async () => ({ points: LOW.points, rows: 10 }) }, range);
      assert.equal(thin.baseline, 'previous_day');
      assert.match(thin.baselineNote ?? '', /stored only 10 training scores/);
      const bySource = await psi(
        ws,
        { trainingScores: async () => SPREAD },
        { ...range, segment: 'source:web' },
      );
      assert.equal(bySource.baseline, 'previous_day');
      assert.match(bySource.baselineNote ?? '', /segment source:web/);

      // No model scored (the point rules did): the previous day, saying so.
      const rules = await workspace('PSI rules');
      await inWorkspace(rules, () =>
        suite.runtime.store.transaction(async (trx) => {
          clock.set((start + 5 * 60) * 60_000);
          await suite.runtime.events.append(trx, rules, [
            { type: 'lead.scored', subject: 'lead_r', data: { score: 40, source: 'web' } },
          ]);
        }),
      );
      const none = await psi(rules, { trainingScores: async () => SPREAD }, { from: start, to: start + 600 });
      assert.equal(none.baseline, 'previous_day');
      assert.match(none.baselineNote ?? '', /no model version scored/);
    });
  });
}
