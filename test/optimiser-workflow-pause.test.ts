import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import { workflowActivity } from '../src/main/workflow-activity.ts';
import type { LiveOptimiser, WorkflowActivityRow, WorkflowControl } from '../src/optimiser/index.ts';
import { useClockedRuntime } from './support/live-optimiser.ts';
import { feedMinutes, steadyTraffic } from './support/optimiser-feed.ts';
import { workflowRunRow, workflowStepRow } from './support/rows.ts';
import { DIALECTS } from './support/runtime.ts';

const PERSON = { type: 'user' as const, id: 'usr_admin' };
const START_MINUTE = Math.floor(Date.UTC(2026, 5, 8) / 60_000);

/** Workflows kept in memory, to watch what the optimiser asks of the workflows service. */
function memoryWorkflows() {
  const state = new Map<string, { active: boolean; version: number }>([
    ['wf_news', { active: true, version: 3 }],
  ]);
  const calls: string[] = [];
  const control: WorkflowControl = {
    async pause(_ws, id, actor) {
      const w = state.get(id);
      if (!w?.active) return { ok: false, reason: `workflow ${id} is not active` };
      w.active = false;
      calls.push(`pause ${id} by ${actor.id}`);
      return { ok: true, version: w.version };
    },
    async resume(_ws, id, version, actor) {
      const w = state.get(id);
      if (!w || w.active) return false;
      Object.assign(w, { active: true, version });
      calls.push(`resume ${id} v${version} by ${actor.id}`);
      return true;
    },
  };
  return { control, calls, active: () => state.get('wf_news')?.active };
}

/**
 * Two e-mails a minute from `wf_news` (runs in progress keep sending after a pause): one in 20
 * minutes bounces, except from `brokenFrom` until `fixedFrom`, when all do.
 */
const activityOf =
  (brokenFrom: () => number, fixedFrom: () => number = () => Number.POSITIVE_INFINITY) =>
  async (_ctx: unknown, from: number, to: number): Promise<WorkflowActivityRow[]> => {
    const rows: WorkflowActivityRow[] = [];
    for (let minute = from; minute < to; minute++) {
      const broken = minute >= brokenFrom() && minute < fixedFrom();
      const failed = broken ? 2 : minute % 20 === 0 ? 1 : 0;
      rows.push({ minute, workflowId: 'wf_news', sent: 2 - failed, failed, unsubscribed: 0 });
    }
    return rows;
  };

for (const dialect of DIALECTS) {
  describe(`workflow pause (${dialect})`, () => {
    const suite = useClockedRuntime(dialect, START_MINUTE);
    const { clock, workspace } = suite;

    const optimiserWith = (
      workflows: WorkflowControl,
      brokenFrom: () => number,
      fixedFrom?: () => number,
    ): LiveOptimiser =>
      suite.liveOptimiser({
        workflows,
        activity: { perMinute: activityOf(brokenFrom, fixedFrom) },
      });

    /** Steady lead traffic (for the guard's baseline) and minutes of monitoring until an alert opens. */
    async function untilBroken(ws: string, optimiser: LiveOptimiser, start: number) {
      await feedMinutes(suite.runtime, clock, ws, start, 300, steadyTraffic);
      await optimiser.monitor(ws);
      let minute = start + 300;
      for (; minute < start + 340; minute++) {
        await feedMinutes(suite.runtime, clock, ws, minute, 1, steadyTraffic);
        const report = await optimiser.monitor(ws);
        if (report.opened.length > 0) return { report, minute };
      }
      throw new Error('no alert opened');
    }

    it('pauses a workflow whose e-mail starts bouncing, with its evidence, and resumes it on rollback', async () => {
      const ws = await workspace('Bounce');
      const workflows = memoryWorkflows();
      const brokenAt = START_MINUTE + 310;
      const optimiser = optimiserWith(workflows.control, () => brokenAt);
      const { report, minute } = await untilBroken(ws, optimiser, START_MINUTE);
      assert.ok(minute - brokenAt <= 10, `detected ${minute - brokenAt} minutes after the break`);
      const ctx = { workspaceId: ws, organisationId: '' };
      const alert = await inWorkspace(ws, () => optimiser.alert(ctx, report.opened[0]!));
      assert.equal(alert.kind, 'workflow_bounce_spike');
      assert.equal(alert.segment, 'workflow:wf_news');
      assert.equal(alert.evidence.metric, 'bounce_rate');
      assert.ok(Math.abs(alert.evidence.baseline.value - 0.025) < 0.005, 'one in 40 sends bounced before');
      assert.equal(alert.evidence.observed.value, 1);
      assert.equal(report.adjustments.length, 1);
      assert.equal(report.adjustments[0]?.status, 'applied');
      const id = report.adjustments[0]!.id;
      assert.equal(workflows.active(), false, 'deactivated: no new run starts');
      assert.deepEqual(workflows.calls, [`pause wf_news by optimiser.adjustment:${id}`]);
      const [made] = await inWorkspace(ws, () => optimiser.adjustments(ctx, { limit: 5 }));
      assert.equal(made?.kind, 'workflow_pause');
      assert.deepEqual(made?.before, { workflowId: 'wf_news', active: true, version: 3 });
      assert.deepEqual(made?.after, { workflowId: 'wf_news', active: false, version: 3 });
      assert.ok(made?.guard, 'guarded');
      const undone = await inWorkspace(ws, () => optimiser.rollback(ctx, id, PERSON, 'fixed the SMTP key'));
      assert.equal(undone.status, 'rolled_back');
      assert.equal(workflows.active(), true);
      assert.equal(workflows.calls[1], 'resume wf_news v3 by usr_admin');
      const actions = (
        await inWorkspace(ws, () => suite.runtime.audit.list(ws, { subject: id, limit: 10 }))
      ).items.map((e) => e.action);
      assert.deepEqual(actions.sort(), ['optimiser.change_applied', 'optimiser.change_rolled_back']);
    });

    it('holds a pause for a person under `propose`: approved it pauses, a qualification collapse does not undo it, and its guard does once the workflow’s sends stop bouncing', async () => {
      const ws = await workspace('Bounce propose');
      const workflows = memoryWorkflows();
      const brokenAt = START_MINUTE + 2000 + 310;
      let fixedAt = Number.POSITIVE_INFINITY;
      const optimiser = optimiserWith(
        workflows.control,
        () => brokenAt,
        () => fixedAt,
      );
      const ctx = { workspaceId: ws, organisationId: '' };
      await inWorkspace(ws, () => optimiser.putPolicy(ctx, { workflowPause: { mode: 'propose' } }, PERSON));
      const { report, minute } = await untilBroken(ws, optimiser, START_MINUTE + 2000);
      assert.equal(report.adjustments[0]?.status, 'proposed');
      assert.equal(workflows.active(), true, 'nothing changed before a person decides');
      const id = report.adjustments[0]!.id;
      const approved = await inWorkspace(ws, () => optimiser.approve(ctx, id, PERSON, 'agreed'));
      assert.equal(approved.status, 'applied');
      assert.equal(workflows.active(), false);
      assert.deepEqual(approved.before, { workflowId: 'wf_news', active: true, version: 3 });
      const entries = (await inWorkspace(ws, () => suite.runtime.audit.list(ws, { subject: id, limit: 10 })))
        .items;
      assert.deepEqual(entries.find((e) => e.action === 'optimiser.change_approved')?.actor, PERSON);
      await assert.rejects(
        inWorkspace(ws, () => optimiser.reject(ctx, id, PERSON)),
        /only a proposed change/,
      );
      assert.equal(approved.guard?.metric, 'bounce_rate', 'the guard watches the metric that fired');
      // Nothing qualifies after the pause, but the workflow still bounces: the pause stands.
      const collapse = () => ({ web: { arrivals: 2, qualified: 0 }, ads: { arrivals: 1, qualified: 0 } });
      let settled: string | undefined;
      for (let m = minute + 1; m < minute + 20 && !settled; m++) {
        await feedMinutes(suite.runtime, clock, ws, m, 1, collapse);
        settled = (await optimiser.monitor(ws)).adjustments.find((a) => a.id === id)?.status;
      }
      assert.equal(settled, undefined, 'not rolled back on qualification');
      // The mail server takes the sends again: the guard's sequential test rolls the pause back.
      fixedAt = minute + 20;
      for (let m = minute + 20; m < minute + 40 && !settled; m++) {
        await feedMinutes(suite.runtime, clock, ws, m, 1, collapse);
        settled = (await optimiser.monitor(ws)).adjustments.find((a) => a.id === id)?.status;
      }
      assert.equal(settled, 'rolled_back');
      const [undone] = await inWorkspace(ws, () => optimiser.adjustments(ctx, { limit: 1 }));
      assert.match(undone?.settlement ?? '', /bounce rate .* before the spike/);
      assert.equal(workflows.active(), true, 'activated again after the rollback committed');
      assert.match(workflows.calls.at(-1) ?? '', /^resume wf_news v3 by optimiser\.adjustment:/);
    });

    it('keeps a pause when its window ends with the workflow still bouncing', async () => {
      const ws = await workspace('Bounce kept');
      const workflows = memoryWorkflows();
      const brokenAt = START_MINUTE + 4000 + 310;
      const optimiser = optimiserWith(workflows.control, () => brokenAt);
      const ctx = { workspaceId: ws, organisationId: '' };
      await inWorkspace(ws, () =>
        optimiser.putPolicy(
          ctx,
          {
            workflowPause: {
              guard: { metric: 'qualification_rate', windowMinutes: 15, maxRelativeDrop: 0.25 },
            },
          },
          PERSON,
        ),
      );
      const { report, minute } = await untilBroken(ws, optimiser, START_MINUTE + 4000);
      const id = report.adjustments[0]!.id;
      assert.equal(report.adjustments[0]?.status, 'applied');
      let settled: string | undefined;
      for (let m = minute + 1; m < minute + 25 && !settled; m++) {
        await feedMinutes(suite.runtime, clock, ws, m, 1, steadyTraffic);
        settled = (await optimiser.monitor(ws)).adjustments.find((a) => a.id === id)?.status;
      }
      assert.equal(settled, 'kept');
      assert.equal(workflows.active(), false, 'still paused');
      const [kept] = await inWorkspace(ws, () => optimiser.adjustments(ctx, { limit: 1 }));
      assert.equal(kept?.guard?.metric, 'bounce_rate');
      assert.equal(kept?.guard?.segment, 'workflow:wf_news');
      assert.match(
        kept?.settlement ?? '',
        /without evidence that the workflow recovered \(bounce rate 100\.0%/,
      );
    });

    it('counts sends, bounces and unsubscribes per workflow and minute from the engine’s records', async () => {
      const ws = await workspace('Activity');
      const m = START_MINUTE + 5000;
      const run = (id: string, workflow: string, lead: string) =>
        suite.runtime.inspect
          .insertInto('workflow_runs')
          .values(workflowRunRow(id, ws, workflow, lead, m * 60_000))
          .execute();
      const step = (runId: string, key: string, status: string, at: number) =>
        suite.runtime.inspect
          .insertInto('workflow_steps')
          .values({
            ...workflowStepRow(ws, runId, { id: key, type: 'send_email', output: null }, at),
            status,
          })
          .execute();
      await run('run_a', 'wf_a', 'lead_1');
      await run('run_b', 'wf_b', 'lead_1');
      await run('run_c', 'wf_a', 'lead_2');
      await step('run_a', 's1', 'completed', m * 60_000 + 5_000);
      await step('run_b', 's1', 'completed', m * 60_000 + 20_000);
      await step('run_c', 's1', 'failed', m * 60_000 + 30_000);
      await suite.runtime.inspect
        .insertInto('consent_events')
        .values({
          id: 'cev_1',
          workspace_id: ws,
          lead_id: 'lead_1',
          purpose: 'email_marketing',
          action: 'withdraw',
          notice_version: null,
          notice_hash: null,
          method: 'unsubscribe',
          source: 'list_unsubscribe',
          gpc: 0,
          evidence: null,
          occurred_at: (m + 1) * 60_000 + 1_000,
          recorded_at: (m + 1) * 60_000 + 1_000,
        })
        .execute();
      const rows = await inWorkspace(ws, () =>
        workflowActivity(suite.runtime.store.db, { workspaceId: ws }, m, m + 2),
      );
      const sorted = rows.sort((x, y) => x.minute - y.minute || x.workflowId.localeCompare(y.workflowId));
      assert.deepEqual(sorted, [
        { minute: m, workflowId: 'wf_a', sent: 1, failed: 1, unsubscribed: 0 },
        { minute: m, workflowId: 'wf_b', sent: 1, failed: 0, unsubscribed: 0 },
        // The unsubscribe counts for the workflow whose e-mail reached the person last.
        { minute: m + 1, workflowId: 'wf_b', sent: 0, failed: 0, unsubscribed: 1 },
      ]);
      // The same records, as `GET /v1/analytics/metrics` answers them (one 15-minute window).
      const ctx = { workspaceId: ws, organisationId: '' };
      const series = (metric: 'bounce_rate' | 'unsubscribe_rate' | 'emails_sent', segment = 'all') =>
        inWorkspace(ws, () =>
          suite.runtime.analytics.series(ctx, {
            metric,
            segment,
            window: '15m',
            from: m * 60_000,
            to: (m + 15) * 60_000,
          }),
        );
      const bounce = await series('bounce_rate');
      const window = bounce.points.find((p) => p.count > 0);
      assert.deepEqual(window, { start: Math.floor(m / 15) * 15 * 60_000, value: 1 / 3, count: 3 });
      assert.deepEqual(bounce.segments, ['all', 'workflow:wf_a', 'workflow:wf_b']);
      const first = async (metric: 'unsubscribe_rate' | 'emails_sent', segment: string) =>
        (await series(metric, segment)).points.find((p) => p.count > 0);
      assert.equal((await first('unsubscribe_rate', 'workflow:wf_b'))?.value, 1);
      assert.equal((await first('unsubscribe_rate', 'all'))?.value, 0.5);
      assert.equal((await first('emails_sent', 'workflow:wf_a'))?.count, 1);
    });

    it('measures score drift (PSI) of each window against the day before, and none on too few leads', async () => {
      const ws = await workspace('Psi');
      const day = START_MINUTE + 8040; // on the hour, so the 1h window is one bucket
      // A day of scores spread over 0–99, then an hour where every lead scores 90+.
      const scored = (minute: number, score: number, i: number) => ({
        type: 'lead.scored' as const,
        subject: `lead_${minute}_${i}`,
        data: { score, source: 'web' },
      });
      for (let minute = day; minute < day + 1500; minute += 60) {
        clock.set(minute * 60_000);
        const batch: ReturnType<typeof scored>[] = [];
        for (let i = 0; i < 40; i++)
          batch.push(scored(minute, minute < day + 1440 ? (i * 37) % 100 : 90 + (i % 10), i));
        await inWorkspace(ws, () =>
          suite.runtime.store.transaction((trx) => suite.runtime.events.append(trx, ws, batch)),
        );
      }
      clock.set((day + 1500) * 60_000);
      await suite.runtime.analytics.catchUp(ws);
      const ctx = { workspaceId: ws, organisationId: '' };
      const psi = await inWorkspace(ws, () =>
        suite.runtime.analytics.series(ctx, {
          metric: 'score_psi',
          segment: 'all',
          window: '1h',
          from: (day + 1440) * 60_000,
          to: (day + 1500) * 60_000,
        }),
      );
      assert.equal(psi.points.length, 1);
      assert.equal(psi.points[0]?.count, 40);
      assert.ok((psi.points[0]?.value ?? 0) > 0.2, `PSI ${psi.points[0]?.value} over the 0.2 mark`);
      const same = await inWorkspace(ws, () =>
        suite.runtime.analytics.series(ctx, {
          metric: 'score_psi',
          segment: 'source:web',
          window: '1d',
          from: (day + 1440 - 1440) * 60_000,
          to: (day + 1440) * 60_000,
        }),
      );
      assert.equal(same.points[0]?.value, null, 'no reference day before the first day');
    });
  });
}
