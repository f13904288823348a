import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import type {
  LiveOptimiser,
  PerformanceReviewer,
  ThresholdControl,
  ThresholdSnapshot,
} from '../src/optimiser/index.ts';
import { createSchedules, type JobContext } from '../src/queue/index.ts';
import { useClockedRuntime } from './support/live-optimiser.ts';
import { appendMinutes, feedMinutes, type MinuteTraffic, steadyTraffic } from './support/optimiser-feed.ts';
import { DIALECTS, eventually } from './support/runtime.ts';

const ACTOR = { type: 'system' as const, id: 'test' };
const START_MINUTE = Math.floor(Date.UTC(2026, 2, 2) / 60_000);
const DAY_PLUS = 1500;

/** A job context for calling a handler directly (what a worker would pass). */
function jobOf<N extends 'optimiser.review' | 'optimiser.monitor'>(
  name: N,
  workspaceId: string,
  payload: JobContext<N>['payload'],
): JobContext<N> {
  return {
    id: `job_${name}`,
    name,
    workspaceId,
    payload,
    attempt: 1,
    signal: new AbortController().signal,
    db: undefined as never,
    afterCommit: () => {},
  };
}

/** Thresholds kept in memory, to watch what the optimiser asks of scoring. */
function memoryThresholds(initial: ThresholdSnapshot | null) {
  let current = initial;
  const calls = { recompute: 0, replaced: [] as ThresholdSnapshot[] };
  let champion: number | null = null;
  const control: ThresholdControl = {
    championVersion: async () => champion,
    recompute: async () => {
      calls.recompute += 1;
    },
    current: async () => current,
    replace: async (_unit, _ws, change) => {
      if (JSON.stringify(current) !== JSON.stringify(change.expected)) return false;
      current = change.next;
      calls.replaced.push(change.next);
      return true;
    },
  };
  return {
    control,
    calls,
    setChampion: (v: number | null) => {
      champion = v;
    },
    get: () => current,
  };
}

const webStopsQualifying = (m: number): MinuteTraffic => ({
  ...steadyTraffic(m),
  web: { arrivals: 2, qualified: 0 },
});

for (const dialect of DIALECTS) {
  describe(`live optimiser (${dialect})`, () => {
    const suite = useClockedRuntime(dialect, START_MINUTE);
    const { clock, workspace } = suite;

    const optimiserWith = (thresholds: ThresholdControl, reviewer: PerformanceReviewer): LiveOptimiser =>
      suite.liveOptimiser({ thresholds, reviewer });
    const silentReviewer: PerformanceReviewer = {
      review: async () => ({ ok: false, reason: 'not asked in this test' }),
    };

    /** Feeds a minute at a time and runs the monitor after each, until an alert opens (or `limit` minutes). */
    async function untilAlert(
      optimiser: Pick<LiveOptimiser, 'monitor'>,
      ws: string,
      start: number,
      limit: number,
      traffic: (minute: number) => MinuteTraffic,
    ): Promise<{ opened: string[]; minute: number }> {
      let opened: string[] = [];
      let minute = start;
      while (opened.length === 0 && minute < start + limit) {
        await feedMinutes(suite.runtime, clock, ws, minute, 1, traffic);
        minute += 1;
        opened = (await optimiser.monitor(ws)).opened;
      }
      return { opened, minute };
    }

    /**
     * `steady` minutes of steady traffic from `from` (by default a day from the next minute), one
     * monitor run for its reference, then {@link untilAlert} on `traffic` for at most `limit` minutes.
     */
    async function alertAfterSteady(
      optimiser: Pick<LiveOptimiser, 'monitor'>,
      ws: string,
      traffic: (minute: number) => MinuteTraffic,
      { from = Math.floor(clock.now() / 60_000) + 1, steady = DAY_PLUS, limit = 60 } = {},
    ): Promise<{ opened: string[]; minute: number; from: number }> {
      await feedMinutes(suite.runtime, clock, ws, from, steady, steadyTraffic);
      await optimiser.monitor(ws);
      return { ...(await untilAlert(optimiser, ws, from + steady, limit, traffic)), from };
    }

    it('schedules one monitor job per workspace and slot, however many tick, and resumes after a restart', async () => {
      const a = await workspace('Sched A');
      const b = await workspace('Sched B');
      const monitor = suite.runtime.optimiser.periodicJobs.find((p) => p.name === 'optimiser.monitor');
      assert.ok(monitor);
      const first = createSchedules({ store: suite.runtime.store, queue: suite.runtime.queue, clock });
      const second = createSchedules({ store: suite.runtime.store, queue: suite.runtime.queue, clock });
      assert.ok((await first.ensureForAllWorkspaces(monitor)) >= 2);
      assert.equal(await first.ensureForAllWorkspaces(monitor), 0, 'ensuring again adds nothing');
      await second.ensureForAllWorkspaces(monitor);
      const jobsOf = async (ws: string) =>
        (
          await suite.runtime.inspect
            .selectFrom('jobs')
            .select(['payload'])
            .where('workspace_id', '=', ws)
            .where('name', '=', 'optimiser.monitor')
            .execute()
        ).map((j) => JSON.parse(j.payload).slot as number);
      const ticks = await Promise.all([first.tick(), second.tick(), first.tick()]);
      assert.ok(ticks.reduce((x, y) => x + y, 0) >= 2);
      assert.equal((await jobsOf(a)).length, 1, 'three ticks at once enqueue one job for A');
      assert.equal((await jobsOf(b)).length, 1);
      // Down for three and a half minutes: one job for the missed slots, not three.
      clock.advance(210_000);
      const restarted = createSchedules({ store: suite.runtime.store, queue: suite.runtime.queue, clock });
      await restarted.ensureForAllWorkspaces(monitor);
      await restarted.tick();
      await restarted.tick();
      const slots = await jobsOf(a);
      assert.equal(slots.length, 2);
      assert.equal(slots[1]! - slots[0]!, 60_000, 'the job stands for the first missed slot');
      const row = await suite.runtime.inspect
        .selectFrom('schedules')
        .selectAll()
        .where('workspace_id', '=', a)
        .where('name', '=', 'optimiser.monitor')
        .executeTakeFirstOrThrow();
      assert.ok(Number(row.next_run_at) > clock.now(), 'the next slot is in the future');
      assert.equal(Number(row.runs), 2);
    });

    it('finds a qualification drop in one source within half an hour, with its evidence, audited and streamed, then resolves it', async () => {
      const ws = await workspace('Drop');
      const thresholds = memoryThresholds(null);
      const optimiser = optimiserWith(thresholds.control, silentReviewer);
      await feedMinutes(suite.runtime, clock, ws, START_MINUTE, DAY_PLUS, steadyTraffic);
      const first = await optimiser.monitor(ws);
      assert.equal(first.evaluated, null, 'the first run sets references and evaluates nothing yet');
      assert.equal(first.streams, 5, 'qualification of all, web and ads; silence of web and ads');
      assert.equal((await optimiser.monitor(ws)).opened.length, 0, 'steady traffic raises nothing');
      const dropStart = START_MINUTE + DAY_PLUS;
      const { opened, minute } = await untilAlert(optimiser, ws, dropStart, 60, webStopsQualifying);
      const delay = minute - dropStart;
      assert.equal(opened.length, 1);
      assert.ok(delay <= 30, `detected after ${delay} minutes`);
      const ctx = { workspaceId: ws, organisationId: '' };
      const alert = await inWorkspace(ws, () => optimiser.alert(ctx, opened[0]!));
      assert.equal(alert.kind, 'qualification_drop');
      assert.equal(alert.segment, 'source:web');
      assert.equal(alert.status, 'open');
      assert.equal(alert.evidence.metric, 'qualification_rate');
      assert.ok(Math.abs(alert.evidence.baseline.value - 0.5) < 0.01, 'baseline: half of web qualified');
      assert.equal(alert.evidence.observed.value, 0);
      assert.ok(alert.evidence.statistic >= alert.evidence.threshold);
      const streamed = await inWorkspace(ws, () => suite.runtime.events.readSince(ws, 0, 100_000));
      assert.ok(streamed.some((e) => e.type === 'alert.opened' && e.subject === alert.id));
      assert.ok(streamed.some((e) => e.type === 'metrics.evaluated'));
      const audited = await inWorkspace(ws, () =>
        suite.runtime.audit.list(ws, { subject: alert.id, limit: 10 }),
      );
      assert.deepEqual(
        audited.items.map((e) => e.action),
        ['optimiser.alert_opened'],
      );
      const review = await suite.runtime.inspect
        .selectFrom('jobs')
        .select('payload')
        .where('workspace_id', '=', ws)
        .where('name', '=', 'optimiser.review')
        .execute();
      assert.deepEqual(
        review.map((r) => JSON.parse(r.payload).alertId),
        [alert.id],
        'the council is asked about the alert unprompted',
      );
      // The same minute again, and two runs at once, add nothing.
      const again = await Promise.all([optimiser.monitor(ws), optimiser.monitor(ws)]);
      assert.deepEqual(
        again.flatMap((r) => r.opened),
        [],
      );
      // Web qualifies again: after an hour the alert resolves by itself.
      await feedMinutes(suite.runtime, clock, ws, minute, 90, steadyTraffic);
      const recovered = await optimiser.monitor(ws);
      assert.deepEqual(recovered.resolved, [alert.id]);
      const resolved = await inWorkspace(ws, () => optimiser.alert(ctx, alert.id));
      assert.equal(resolved.status, 'resolved');
      assert.match(resolved.resolution ?? '', /recovered/);
    });

    it('finds a silent source and resolves the alert when it speaks again', async () => {
      const ws = await workspace('Silence');
      const optimiser = optimiserWith(memoryThresholds(null).control, silentReviewer);
      const { opened, minute, from } = await alertAfterSteady(
        optimiser,
        ws,
        () => ({ web: { arrivals: 2, qualified: 1 } }),
        { limit: 40 },
      );
      const delay = minute - (from + DAY_PLUS);
      assert.ok(delay <= 15, `ads found silent after ${delay} minutes`);
      const ctx = { workspaceId: ws, organisationId: '' };
      const alert = await inWorkspace(ws, () => optimiser.alert(ctx, opened[0]!));
      assert.equal(alert.kind, 'source_silent');
      assert.equal(alert.segment, 'source:ads');
      await feedMinutes(suite.runtime, clock, ws, minute, 2, steadyTraffic);
      assert.deepEqual((await optimiser.monitor(ws)).resolved, [alert.id]);
    });

    it('finds a chat question that starts losing people, with its evidence, and resolves it when it recovers', async () => {
      const ws = await workspace('Drop-off');
      const optimiser = optimiserWith(memoryThresholds(null).control, silentReviewer);
      /** Two chats a minute end after reaching `budget`; `drops(minute)` of them stopped there. */
      const feedChats = async (fromMinute: number, minutes: number, drops: (minute: number) => number) => {
        await appendMinutes(suite, ws, fromMinute, minutes, (minute) =>
          [0, 1].map((i) => ({
            type: 'chat.ended' as const,
            subject: `chat_${minute}_${i}`,
            data: {
              playbook: 'pb',
              answered: i < drops(minute) ? ['need'] : ['need', 'budget'],
              droppedAt: i < drops(minute) ? 'budget' : null,
            },
          })),
        );
        clock.set((fromMinute + minutes) * 60_000);
      };
      const from = Math.floor(clock.now() / 60_000) + 1;
      // 5% drop-off at `budget` for a day: one chat in twenty.
      await feedChats(from, DAY_PLUS, (m) => (m % 10 === 0 ? 1 : 0));
      await optimiser.monitor(ws);
      let opened: string[] = [];
      let minute = from + DAY_PLUS;
      while (opened.length === 0 && minute < from + DAY_PLUS + 60) {
        await feedChats(minute, 1, () => 1);
        minute += 1;
        opened = (await optimiser.monitor(ws)).opened;
      }
      const delay = minute - (from + DAY_PLUS);
      assert.ok(
        opened.length === 1 && delay <= 30,
        `found after ${delay} minutes: ${JSON.stringify(opened)}`,
      );
      const ctx = { workspaceId: ws, organisationId: '' };
      const alert = await inWorkspace(ws, () => optimiser.alert(ctx, opened[0]!));
      assert.equal(alert.kind, 'chat_dropoff_rise');
      assert.equal(alert.segment, 'question:pb/budget');
      assert.equal(alert.evidence.metric, 'chat_dropoff');
      assert.ok(Math.abs(alert.evidence.baseline.value - 0.05) < 0.01, String(alert.evidence.baseline.value));
      assert.ok((alert.evidence.observed.value ?? 0) >= 0.4);
      // An hour back at 5%: the alert resolves itself.
      await feedChats(minute, 61, (m) => (m % 10 === 0 ? 1 : 0));
      assert.deepEqual((await optimiser.monitor(ws)).resolved, [alert.id]);
    });

    it('recomputes thresholds as soon as the champion changes, and only then', async () => {
      const ws = await workspace('Champion');
      const thresholds = memoryThresholds(null);
      const optimiser = optimiserWith(thresholds.control, silentReviewer);
      await optimiser.monitor(ws);
      assert.equal(thresholds.calls.recompute, 0, 'point rules: nothing to follow');
      thresholds.setChampion(1);
      clock.advance(60_000);
      assert.equal((await optimiser.monitor(ws)).thresholdsRefreshed, true);
      clock.advance(60_000);
      assert.equal((await optimiser.monitor(ws)).thresholdsRefreshed, false);
      thresholds.setChampion(2);
      clock.advance(60_000);
      await optimiser.monitor(ws);
      assert.equal(thresholds.calls.recompute, 2);
    });

    it('turns the council’s review of an alert into a bounded, guarded threshold change under the policy', async () => {
      const ws = await workspace('Council');
      const thresholds = memoryThresholds({ workspace: 0.2, segments: { web: 0.3 } });
      const recommendations = [
        {
          kind: 'lower_threshold',
          target: 'routing threshold',
          change: 'Lower it',
          evidence: 'near misses convert',
        },
        { kind: 'revise_playbook', target: 'question budget', change: 'Reword', evidence: '40% leave' },
      ];
      const reviewer: PerformanceReviewer = {
        review: async () => ({
          ok: true,
          decisionId: 'dec_test',
          primary: 'lower_threshold',
          recommendations,
          basis: 'offline/rules',
        }),
      };
      const optimiser = optimiserWith(thresholds.control, reviewer);
      const { opened } = await alertAfterSteady(optimiser, ws, webStopsQualifying);
      assert.equal(opened.length, 1);
      await optimiser.reviewJob(jobOf('optimiser.review', ws, { alertId: opened[0]! }));
      const ctx = { workspaceId: ws, organisationId: '' };
      const alert = await inWorkspace(ws, () => optimiser.alert(ctx, opened[0]!));
      assert.equal(alert.review?.status, 'reviewed');
      assert.equal(alert.review?.decisionId, 'dec_test');
      assert.match(alert.review?.note ?? '', /revise_playbook .* waits for a person/);
      const nudges = async () =>
        (await inWorkspace(ws, () => optimiser.adjustments(ctx, { limit: 10 }))).filter(
          (a) => a.kind === 'threshold_nudge',
        );
      const [change] = await nudges();
      assert.equal(change?.origin, 'council');
      assert.equal(change?.status, 'applied');
      assert.equal(change?.alertId, alert.id);
      assert.deepEqual(
        thresholds.get(),
        { workspace: 0.17, segments: { web: 0.27 } },
        'one step of 0.03 down',
      );
      // Reviewed once: a repeated job changes nothing.
      await optimiser.reviewJob(jobOf('optimiser.review', ws, { alertId: alert.id }));
      assert.equal((await nudges()).length, 1);
    });

    it('asks the real council (offline model) about an alert and stores its review', async () => {
      const ws = await workspace('Real council');
      const { opened } = await alertAfterSteady(suite.runtime.optimiser, ws, webStopsQualifying);
      assert.equal(opened.length, 1);
      suite.runtime.startWorkers(1, ['optimiser']);
      const ctx = { workspaceId: ws, organisationId: '' };
      const review = await eventually(
        async () =>
          (await inWorkspace(ws, () => suite.runtime.optimiser.alert(ctx, opened[0]!))).review ?? undefined,
        30_000,
      );
      await suite.runtime.stopWorkers();
      assert.equal(review.status, 'reviewed', review.note);
      assert.match(review.decisionId ?? '', /^dec_/);
      const decision = await inWorkspace(ws, () =>
        suite.runtime.council.decision({ workspaceId: ws }, review.decisionId!),
      );
      assert.equal(decision.question.type, 'performance.review');
    });
    it('pauses a source whose qualification collapses, bounded and audited, and lifts the pause when it recovers', async () => {
      const ws = await workspace('Pause');
      const optimiser = optimiserWith(memoryThresholds(null).control, silentReviewer);
      const ctx = { workspaceId: ws, organisationId: '' };
      const holds = () =>
        suite.runtime.inspect
          .selectFrom('source_holds')
          .select(['source', 'adjustment_id'])
          .where('workspace_id', '=', ws)
          .execute()
          .then((rows) => rows.map((r) => ({ ...r })));
      // A short guard window, so the pause is kept by its guard before the source recovers.
      await inWorkspace(ws, () =>
        optimiser.putPolicy(
          ctx,
          {
            sourcePause: {
              guard: { metric: 'qualification_rate', windowMinutes: 15, maxRelativeDrop: 0.25 },
            },
          },
          ACTOR,
        ),
      );
      const { opened, minute } = await alertAfterSteady(optimiser, ws, webStopsQualifying);
      assert.equal(opened.length, 1);
      const [pause] = await inWorkspace(ws, () => optimiser.adjustments(ctx, { limit: 10 }));
      assert.equal(pause?.kind, 'source_pause');
      assert.equal(pause?.status, 'applied');
      assert.equal(pause?.alertId, opened[0]);
      assert.deepEqual(pause?.after, { source: 'web', held: true });
      assert.ok(pause?.guard, 'the pause is guarded like every change');
      assert.deepEqual(await holds(), [{ source: 'web', adjustment_id: pause?.id }]);
      const audited = await inWorkspace(ws, () =>
        suite.runtime.audit.list(ws, { subject: pause!.id, limit: 10 }),
      );
      assert.deepEqual(
        audited.items.map((e) => e.action),
        ['optimiser.change_applied'],
      );
      assert.match(audited.items[0]?.reason ?? '', /source web collapsed/);
      // Still collapsed when the guard window ends: the pause is kept, the hold stays.
      await feedMinutes(suite.runtime, clock, ws, minute, 20, webStopsQualifying);
      assert.deepEqual((await optimiser.monitor(ws)).adjustments, [{ id: pause!.id, status: 'kept' }]);
      assert.equal((await holds()).length, 1);
      // Web qualifies again: the alert resolves and the pause lifts itself, audited.
      await feedMinutes(suite.runtime, clock, ws, minute + 20, 90, steadyTraffic);
      const recovered = await optimiser.monitor(ws);
      assert.ok(recovered.resolved.includes(opened[0]!), 'the source’s alert resolves');
      assert.deepEqual(recovered.adjustments, [{ id: pause!.id, status: 'rolled_back' }]);
      assert.deepEqual(await holds(), []);
      const settled = (await inWorkspace(ws, () => optimiser.adjustments(ctx, { limit: 10 }))).find(
        (a) => a.id === pause!.id,
      );
      assert.match(settled?.settlement ?? '', /source recovered/);
      await assert.rejects(
        inWorkspace(ws, () => optimiser.rollback(ctx, pause!.id, ACTOR, 'again')),
        /only a change in force/,
      );
    });

    it('holds a pause under the policy: proposed only, at most N an hour, rolled back by hand in one call', async () => {
      const ws = await workspace('Pause policy');
      const optimiser = optimiserWith(memoryThresholds(null).control, silentReviewer);
      const ctx = { workspaceId: ws, organisationId: '' };
      await inWorkspace(ws, () => optimiser.putPolicy(ctx, { sourcePause: { mode: 'propose' } }, ACTOR));
      const { minute } = await alertAfterSteady(optimiser, ws, webStopsQualifying);
      const [proposed] = await inWorkspace(ws, () => optimiser.adjustments(ctx, { limit: 10 }));
      assert.equal(proposed?.kind, 'source_pause');
      assert.equal(proposed?.status, 'proposed');
      assert.match(proposed?.reason ?? '', /for a person to decide/);
      const held = await suite.runtime.inspect
        .selectFrom('source_holds')
        .selectAll()
        .where('workspace_id', '=', ws)
        .execute();
      assert.equal(held.length, 0, 'a proposal holds nothing');
      // Applied by policy, then rolled back by hand: the hold is lifted with it.
      await inWorkspace(ws, () =>
        optimiser.putPolicy(ctx, { sourcePause: { mode: 'apply', maxPerHour: 1 } }, ACTOR),
      );
      const again = await alertAfterSteady(optimiser, ws, webStopsQualifying, {
        from: minute,
        steady: 90,
        limit: 90,
      });
      assert.equal(again.opened.length, 1);
      const [applied] = await inWorkspace(ws, () =>
        optimiser.adjustments(ctx, { status: 'applied', limit: 10 }),
      );
      assert.equal(applied?.kind, 'source_pause');
      const undone = await inWorkspace(ws, () => optimiser.rollback(ctx, applied!.id, ACTOR, 'web is fine'));
      assert.equal(undone.status, 'rolled_back');
      assert.equal(
        (
          await suite.runtime.inspect
            .selectFrom('source_holds')
            .selectAll()
            .where('workspace_id', '=', ws)
            .execute()
        ).length,
        0,
      );
      // A bound of 0 an hour: the next collapse is only proposed, with the bound as its reason.
      await inWorkspace(ws, () => optimiser.putPolicy(ctx, { sourcePause: { maxPerHour: 0 } }, ACTOR));
      const third = await alertAfterSteady(optimiser, ws, webStopsQualifying, {
        from: again.minute,
        steady: 90,
        limit: 90,
      });
      assert.equal(third.opened.length, 1);
      const [bounded] = await inWorkspace(ws, () => optimiser.adjustments(ctx, { limit: 10 }));
      assert.equal(bounded?.kind, 'source_pause');
      assert.equal(bounded?.status, 'proposed');
      assert.match(bounded?.reason ?? '', /allows 0 source pause\(s\) an hour/);
    });
  });
}
