import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import { useClockedRuntime } from './support/live-optimiser.ts';
import { appendMinutes } from './support/optimiser-feed.ts';
import { DIALECTS } from './support/runtime.ts';

const ACTOR = { type: 'system' as const, id: 'test' };
const START_MINUTE = Math.floor(Date.UTC(2026, 3, 6) / 60_000);
const DAY_PLUS = 1500;
/** BANT's own order. */
const BANT = ['need', 'authority', 'timeline', 'budget'];

for (const dialect of DIALECTS) {
  describe(`question order (${dialect})`, () => {
    const suite = useClockedRuntime(dialect, START_MINUTE);
    const { clock } = suite;

    /**
     * Two BANT chats end a minute, asked in `order`; `drops(minute)` of them stopped at `at` (the
     * others answered every question).
     */
    const feedChats = async (
      ws: string,
      fromMinute: number,
      minutes: number,
      order: string[],
      at: string,
      drops: (minute: number) => number,
    ) => {
      await appendMinutes(suite, ws, fromMinute, minutes, (minute) =>
        [0, 1].map((i) => {
          const stops = i < drops(minute);
          return {
            type: 'chat.ended' as const,
            subject: `chat_${minute}_${i}`,
            data: {
              playbook: 'bant',
              answered: stops ? order.slice(0, order.indexOf(at)) : order,
              droppedAt: stops ? at : null,
            },
          };
        }),
      );
      clock.set((fromMinute + minutes) * 60_000);
    };

    /** The question slots a new conversation of the workspace is asked, in order (from `chat.started`). */
    const askedOrder = async (ws: string, widgetKey: string): Promise<string[]> => {
      const turn = await suite.runtime.chat.start({ widgetKey, origin: undefined, playbook: 'bant' });
      const events = await inWorkspace(ws, () => suite.runtime.events.readSince(ws, 0, 100_000));
      const started = events.find((e) => e.type === 'chat.started' && e.subject === turn.sessionId);
      return (started?.data.questions as string[] | undefined) ?? [];
    };

    /**
     * A day at 5% drop-off at `timeline` (nobody leaves at `budget`), then every chat leaves at
     * `timeline`, a minute at a time under the monitor, until an alert opens (or an hour passes).
     */
    const untilTimelineDropOff = async (ws: string) => {
      const from = Math.floor(clock.now() / 60_000) + 1;
      await feedChats(ws, from, DAY_PLUS, BANT, 'timeline', (m) => (m % 10 === 0 ? 1 : 0));
      await suite.runtime.optimiser.monitor(ws);
      let minute = from + DAY_PLUS;
      let report = await suite.runtime.optimiser.monitor(ws);
      while (report.opened.length === 0 && minute < from + DAY_PLUS + 60) {
        await feedChats(ws, minute, 1, BANT, 'timeline', () => 1);
        minute += 1;
        report = await suite.runtime.optimiser.monitor(ws);
      }
      return { report, minute };
    };

    it('asks a question that starts losing chats one place later, audited, and the guard undoes it when chats stop completing', async () => {
      const created = await suite.runtime.tenants.createWorkspace({ name: 'Order', actor: ACTOR });
      const ws = created.workspace.id;
      const ctx = { workspaceId: ws, organisationId: created.workspace.organisationId };
      assert.deepEqual(await askedOrder(ws, created.widgetKey), BANT);

      let { report, minute } = await untilTimelineDropOff(ws);
      assert.equal(report.opened.length, 1, 'the drop-off alert opened');
      assert.equal(report.adjustments.length, 1, JSON.stringify(report));
      const [change] = await inWorkspace(ws, () => suite.runtime.optimiser.adjustments(ctx, { limit: 10 }));
      assert.ok(change);
      assert.equal(change.kind, 'question_order');
      assert.equal(change.status, 'applied');
      assert.equal(change.alertId, report.opened[0]);
      assert.deepEqual(change.after, {
        playbookId: 'bant',
        order: ['need', 'authority', 'budget', 'timeline'],
      });
      assert.deepEqual(change.before, { playbookId: 'bant', order: [] });
      assert.equal(change.guard?.metric, 'chat_completion');
      assert.equal(change.guard?.segment, 'playbook:bant');
      assert.match(change.reason, /timeline lost .* budget 0\.0%/);
      // New conversations ask budget before timeline; the change is in the audit trail with its evidence.
      assert.deepEqual(await askedOrder(ws, created.widgetKey), ['need', 'authority', 'budget', 'timeline']);
      const audited = await inWorkspace(ws, () =>
        suite.runtime.store.db
          .selectFrom('audit_log')
          .select(['action', 'data'])
          .where('workspace_id', '=', ws)
          .where('subject', '=', change.id)
          .execute(),
      );
      assert.deepEqual(
        audited.map((a) => a.action),
        ['optimiser.change_applied'],
      );
      assert.match(String(audited[0]?.data), /"dropoff"/);

      // Then every chat stops at `budget`: completion collapses and the guard restores BANT's own order.
      let status = change.status as string;
      for (let i = 0; i < 30 && status === 'applied'; i++) {
        await feedChats(ws, minute, 1, ['need', 'authority', 'budget', 'timeline'], 'budget', () => 2);
        minute += 1;
        await suite.runtime.optimiser.monitor(ws);
        status = (await inWorkspace(ws, () => suite.runtime.optimiser.adjustments(ctx, { limit: 10 }))).find(
          (a) => a.id === change.id,
        )?.status as string;
      }
      assert.equal(status, 'rolled_back');
      assert.deepEqual(await askedOrder(ws, created.widgetKey), BANT);
    });

    it('under `propose`, records the change for a person; approving applies it, rolling back by hand restores the order', async () => {
      const created = await suite.runtime.tenants.createWorkspace({ name: 'Order propose', actor: ACTOR });
      const ws = created.workspace.id;
      const ctx = { workspaceId: ws, organisationId: created.workspace.organisationId };
      await inWorkspace(ws, () =>
        suite.runtime.optimiser.putPolicy(ctx, { questionOrder: { mode: 'propose' } }, ACTOR),
      );
      await untilTimelineDropOff(ws);
      const [proposal] = await inWorkspace(ws, () => suite.runtime.optimiser.adjustments(ctx, { limit: 10 }));
      assert.equal(proposal?.status, 'proposed');
      assert.match(proposal?.reason ?? '', /for a person to decide/);
      assert.deepEqual(await askedOrder(ws, created.widgetKey), BANT);

      const person = { type: 'user' as const, id: 'usr_1' };
      const approved = await inWorkspace(ws, () =>
        suite.runtime.optimiser.approve(ctx, proposal?.id ?? '', person),
      );
      assert.equal(approved.status, 'applied');
      assert.equal(approved.guard?.segment, 'playbook:bant');
      assert.deepEqual(await askedOrder(ws, created.widgetKey), ['need', 'authority', 'budget', 'timeline']);
      const undone = await inWorkspace(ws, () =>
        suite.runtime.optimiser.rollback(ctx, approved.id, person, 'we prefer our own order'),
      );
      assert.equal(undone.status, 'rolled_back');
      assert.deepEqual(await askedOrder(ws, created.widgetKey), BANT);
    });
  });
}
