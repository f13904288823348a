import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import { workflowActivity } from '../src/main/workflow-activity.ts';
import type { LiveOptimiser, WorkflowActivityRow, WorkflowControl } from '../src/optimiser/index.ts';
import { useClockedRuntime } from './support/live-optimiser.ts';
import { feedMinutes, steadyTraffic } from './support/optimiser-feed.ts';
import { DIALECTS } from './support/runtime.ts';

const PERSON = { type: 'user' as const, id: 'usr_admin' };
const START_MINUTE = Math.floor(Date.UTC(2026, 6, 6) / 60_000);

/** One active workflow kept in memory: what the optimiser asks of the workflows service. */
function memoryWorkflows() {
  let active = true;
  const calls: string[] = [];
  const control: WorkflowControl = {
    async pause(_ws, id) {
      active = false;
      calls.push(`pause ${id}`);
      return { ok: true, version: 1 };
    },
    async resume(_ws, id) {
      active = true;
      calls.push(`resume ${id}`);
      return true;
    },
  };
  return { control, calls, active: () => active };
}

/**
 * Ten e-mails a minute from `wf_news`, one in ten answered. `replies(minute)` says how many replies
 * arrive in a minute (they count when they arrive, not when their e-mail was sent).
 */
const activityOf =
  (replies: (minute: number) => number) =>
  async (_ctx: unknown, from: number, to: number): Promise<WorkflowActivityRow[]> => {
    const rows: WorkflowActivityRow[] = [];
    for (let minute = from; minute < to; minute++)
      rows.push({
        minute,
        workflowId: 'wf_news',
        sent: 10,
        failed: 0,
        unsubscribed: 0,
        replied: replies(minute),
      });
    return rows;
  };

for (const dialect of DIALECTS) {
  describe(`reply collapse (${dialect})`, () => {
    const suite = useClockedRuntime(dialect, START_MINUTE);
    const { clock, workspace } = suite;

    /** A day's reference, then minutes of monitoring; the first report that opened an alert. */
    async function watch(ws: string, optimiser: LiveOptimiser, start: number, minutes: number) {
      await feedMinutes(suite.runtime, clock, ws, start, 300, steadyTraffic);
      await optimiser.monitor(ws);
      for (let minute = start + 300; minute < start + 300 + minutes; minute++) {
        await feedMinutes(suite.runtime, clock, ws, minute, 1, steadyTraffic);
        const report = await optimiser.monitor(ws);
        if (report.opened.length > 0) return { report, minute };
      }
      return null;
    }

    it('alerts when a workflow’s replies collapse against its own day, with evidence, and only proposes a pause', async () => {
      const ws = await workspace('Replies');
      const workflows = memoryWorkflows();
      const collapsedAt = START_MINUTE + 310;
      const optimiser = suite.liveOptimiser({
        workflows: workflows.control,
        activity: { perMinute: activityOf((minute) => (minute < collapsedAt ? 1 : 0)) },
      });
      const found = await watch(ws, optimiser, START_MINUTE, 60);
      assert.ok(found, 'an alert opened');
      const { report, minute } = found;
      // 10 unanswered sends add 10 × ln(0.95 / 0.9) ≈ 0.54 a minute: about 20 minutes to h = 11.
      assert.ok(minute - collapsedAt >= 15 && minute - collapsedAt <= 25, `${minute - collapsedAt} min`);
      const ctx = { workspaceId: ws, organisationId: '' };
      const alert = await inWorkspace(ws, () => optimiser.alert(ctx, report.opened[0]!));
      assert.equal(alert.kind, 'workflow_reply_collapse');
      assert.equal(alert.segment, 'workflow:wf_news');
      assert.equal(alert.evidence.metric, 'reply_rate');
      assert.ok(
        Math.abs(alert.evidence.baseline.value - 0.1) < 1e-9,
        'one reply in ten sends the day before',
      );
      assert.ok(alert.evidence.baseline.count >= 2000, 'the reference day’s sends');
      assert.equal(alert.evidence.observed.value, 0);
      assert.ok(alert.evidence.observed.count >= 150, 'the unanswered sends since the collapse');
      assert.ok(alert.evidence.window.from >= collapsedAt * 60_000);
      assert.equal(alert.evidence.threshold, 11);
      assert.ok(alert.evidence.statistic >= 11);
      assert.match(alert.evidence.detector, /reply rate 10\.0% → 5\.0%/);
      // The default policy applies pauses to bounce and unsubscribe spikes, not to reply collapses.
      assert.equal(report.adjustments.length, 1);
      assert.equal(report.adjustments[0]?.status, 'proposed');
      assert.equal(workflows.active(), true, 'nothing paused before a person decides');
      assert.deepEqual(workflows.calls, []);
      const [proposal] = await inWorkspace(ws, () => optimiser.adjustments(ctx, { limit: 1 }));
      assert.equal(proposal?.kind, 'workflow_pause');
      assert.match(proposal?.reason ?? '', /a reply collapse waits for a person/);
      const acknowledged = await inWorkspace(ws, () =>
        optimiser.acknowledge(ctx, alert.id, PERSON, 'checking the sender reputation'),
      );
      assert.equal(acknowledged.status, 'acknowledged');
      const actions = (
        await inWorkspace(ws, () => suite.runtime.audit.list(ws, { subject: alert.id, limit: 10 }))
      ).items.map((e) => e.action);
      assert.deepEqual(actions.sort(), ['optimiser.alert_acknowledged', 'optimiser.alert_opened']);
      // Still collapsed: the same stream opens nothing more while its alert is live.
      for (let m = minute + 1; m < minute + 30; m++) {
        clock.set((m + 2) * 60_000);
        assert.deepEqual((await optimiser.monitor(ws)).opened, []);
      }
    });

    it('stays quiet while replies keep their rate, even when they arrive in bursts', async () => {
      const ws = await workspace('Replies steady');
      const start = START_MINUTE + 3000;
      // Ten minutes' replies all at once, every tenth minute: the sum is what the test weighs.
      const optimiser = suite.liveOptimiser({
        workflows: memoryWorkflows().control,
        activity: { perMinute: activityOf((minute) => (minute % 10 === 0 ? 10 : 0)) },
      });
      assert.equal(await watch(ws, optimiser, start, 90), null);
    });

    it('does not watch the reply rate of a workflow with too few replies in its reference day', async () => {
      const ws = await workspace('Replies thin');
      const start = START_MINUTE + 6000;
      // 12 replies over the reference day, then none: below the 20 the stream needs.
      const optimiser = suite.liveOptimiser({
        workflows: memoryWorkflows().control,
        activity: { perMinute: activityOf((minute) => (minute >= start && minute % 20 === 0 ? 1 : 0)) },
      });
      assert.equal(await watch(ws, optimiser, start, 5), null);
      const { state } = await suite.runtime.inspect
        .selectFrom('optimiser_state')
        .select('state')
        .where('workspace_id', '=', ws)
        .executeTakeFirstOrThrow()
        .then((r) => ({ state: JSON.parse(r.state) as { workflows?: Record<string, unknown> } }));
      assert.ok(state.workflows?.['bounce:workflow:wf_news'], 'its bounces are watched');
      assert.equal(state.workflows?.['reply:workflow:wf_news'], undefined);
    });

    it('reads each workflow’s replies per minute from the rollups, beside its sends', async () => {
      const ws = await workspace('Reply rows');
      const m = START_MINUTE + 9000;
      const rollup = (segment: string, minute: number, count: number) => ({
        workspace_id: ws,
        metric: 'replies',
        segment,
        minute,
        count,
        total: count,
      });
      await inWorkspace(ws, () =>
        suite.runtime.store.db
          .insertInto('metric_rollups')
          .values([
            rollup('all', m, 3),
            rollup('workflow:wf_a', m, 2),
            rollup('workflow:wf_b', m, 1),
            rollup('workflow:wf_a', m + 5, 4),
          ])
          .execute(),
      );
      const rows = await inWorkspace(ws, () =>
        workflowActivity(suite.runtime.store.db, { workspaceId: ws }, m, m + 5),
      );
      const sorted = rows.sort((x, y) => x.minute - y.minute || x.workflowId.localeCompare(y.workflowId));
      assert.deepEqual(sorted, [
        { minute: m, workflowId: 'wf_a', sent: 0, failed: 0, unsubscribed: 0, replied: 2 },
        { minute: m, workflowId: 'wf_b', sent: 0, failed: 0, unsubscribed: 0, replied: 1 },
      ]);
    });
  });
}
