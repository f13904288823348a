import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import type { NewDomainEvent } from '../src/events/index.ts';
import type { LiveOptimiser } from '../src/optimiser/index.ts';
import { useClockedRuntime } from './support/live-optimiser.ts';
import { appendMinutes } from './support/optimiser-feed.ts';
import { DIALECTS, type TestRuntime } from './support/runtime.ts';

const START_MINUTE = Math.floor(Date.UTC(2026, 3, 6) / 60_000);

/** Appends one minute of outcomes (`converted` of `outcomes` converted) at that minute on the clock. */
async function feedOutcomes(
  runtime: TestRuntime,
  clock: { set(ms: number): void },
  ws: string,
  minute: number,
  outcomes: number,
  converted: number,
): Promise<void> {
  clock.set(minute * 60_000 + 1_000);
  const batch: NewDomainEvent[] = [];
  for (let i = 0; i < outcomes; i++)
    batch.push({
      type: 'outcome.recorded',
      subject: `lead_${minute}_${i}`,
      data: { converted: i < converted, value: i < converted ? 100 : 0, change: 'recorded' },
    });
  await inWorkspace(ws, () => runtime.store.transaction((trx) => runtime.events.append(trx, ws, batch)));
  clock.set((minute + 1) * 60_000);
}

for (const dialect of DIALECTS) {
  describe(`live detectors on conversion outcomes (${dialect})`, () => {
    const suite = useClockedRuntime(dialect, START_MINUTE);
    const { clock, workspace } = suite;

    /** A new optimiser, as a restarted process builds it: nothing in memory, only the stored state. */
    const restarted = (): LiveOptimiser => suite.liveOptimiser();

    it('finds a fall in conversions with Page-Hinkley, with its evidence, and a restart every minute changes nothing', async () => {
      const steady = await workspace('Outcomes steady');
      const restarting = await workspace('Outcomes restarting');
      const kept = suite.runtime.optimiser;
      // 10 outcomes a minute: 20% convert for two hours, then 5%.
      const converted = (m: number) => (m < 120 ? 2 : m % 2);
      const opened: Record<string, { minute: number; id: string } | undefined> = {};
      for (let m = 0; m < 240; m++) {
        const minute = START_MINUTE + m;
        for (const ws of [steady, restarting])
          await feedOutcomes(suite.runtime, clock, ws, minute, 10, converted(m));
        clock.set((minute + 2) * 60_000);
        const reports = {
          [steady]: await kept.monitor(steady),
          [restarting]: await restarted().monitor(restarting),
        };
        for (const ws of [steady, restarting]) {
          const id = reports[ws]?.opened[0];
          if (id && !opened[ws]) opened[ws] = { minute: m, id };
        }
        if (opened[steady] && opened[restarting]) break;
      }
      const a = opened[steady];
      const b = opened[restarting];
      assert.ok(a && b, 'both workspaces alarmed');
      assert.ok(a.minute >= 120, `no alarm while 20% converted (first at minute ${a.minute})`);
      assert.ok(a.minute - 120 <= 60, `detected ${a.minute - 120} minutes after the fall`);
      assert.equal(b.minute, a.minute, 'a restarted monitor resumes the same statistics');
      const alert = await inWorkspace(steady, () =>
        kept.alert({ workspaceId: steady, organisationId: '' }, a.id),
      );
      assert.equal(alert.kind, 'conversion_drop');
      assert.equal(alert.stream, 'conversion:all');
      assert.equal(alert.evidence.metric, 'conversion_rate');
      assert.match(alert.evidence.detector, /Page-Hinkley|ADWIN/);
      assert.ok(
        alert.evidence.baseline.value > 0.1 && alert.evidence.baseline.value < 0.2,
        `baseline ${alert.evidence.baseline.value}: the running mean before the alarm`,
      );
      assert.ok((alert.evidence.observed.value ?? 1) < alert.evidence.baseline.value, 'observed: the fall');
      assert.ok(alert.evidence.statistic >= alert.evidence.threshold);
      assert.ok(
        alert.evidence.window.from >= (START_MINUTE + 100) * 60_000,
        'the window starts near the fall',
      );
      const streamed = await inWorkspace(steady, () => suite.runtime.events.readSince(steady, 0, 100_000));
      assert.ok(streamed.some((e) => e.type === 'alert.opened' && e.subject === alert.id));
      const audited = await inWorkspace(steady, () =>
        suite.runtime.audit.list(steady, { subject: alert.id, limit: 5 }),
      );
      assert.deepEqual(
        audited.items.map((e) => e.action),
        ['optimiser.alert_opened'],
      );
    });

    it('opens a score-drift alert when PSI stays above 0.2 for 15 minutes, with its evidence', async () => {
      const ws = await workspace('Score drift');
      const start = START_MINUTE + 5000;
      /** One scored lead a minute: scores spread over 0–99, or all 90+ once shifted. */
      const feedScores = async (from: number, minutes: number, shifted: boolean) => {
        await appendMinutes(suite, ws, from, minutes, (minute) => [
          {
            type: 'lead.scored',
            subject: `lead_${minute}`,
            data: { score: shifted ? 90 + (minute % 10) : (minute * 37) % 100, source: 'web' },
          },
        ]);
        clock.set((from + minutes + 1) * 60_000);
      };
      await feedScores(start, 1500, false);
      assert.deepEqual((await suite.runtime.optimiser.monitor(ws)).opened, []);
      let minute = start + 1500;
      let opened: string | undefined;
      for (; minute < start + 1560 && !opened; minute++) {
        await feedScores(minute, 1, true);
        opened = (await suite.runtime.optimiser.monitor(ws)).opened[0];
      }
      assert.ok(opened, 'an alert opened within the hour');
      const shiftedFor = minute - (start + 1500);
      assert.ok(shiftedFor >= 15, `not before the shift lasted 15 minutes (${shiftedFor})`);
      const alert = await inWorkspace(ws, () =>
        suite.runtime.optimiser.alert({ workspaceId: ws, organisationId: '' }, opened as string),
      );
      assert.equal(alert.kind, 'score_psi_shift');
      assert.equal(alert.evidence.metric, 'score_psi');
      assert.ok((alert.evidence.observed.value ?? 0) > 0.2);
      assert.ok(alert.evidence.statistic > alert.evidence.threshold && alert.evidence.threshold >= 0.2);
    });

    it('raises nothing on a steady conversion rate', async () => {
      const ws = await workspace('Outcomes quiet');
      let alarms = 0;
      for (let m = 0; m < 300; m++) {
        const minute = START_MINUTE + 1000 + m;
        await feedOutcomes(suite.runtime, clock, ws, minute, 10, m % 5 === 0 ? 3 : 2);
        clock.set((minute + 2) * 60_000);
        alarms += (await suite.runtime.optimiser.monitor(ws)).opened.length;
      }
      assert.equal(alarms, 0);
    });
  });
}
