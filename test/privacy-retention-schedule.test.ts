import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import type { HttpApp } from '../src/http/index.ts';
import { call } from './support/http.ts';
import {
  DIALECTS,
  eventually,
  startAppWithWorkspace,
  stopTestApp,
  type TestRuntime,
} from './support/runtime.ts';

const DAY = 86_400_000;

/**
 * Retention runs on its own: every workspace has a daily `privacy.retention` schedule, including
 * one that never saved a policy, so the defaults (730 days for unconverted leads) apply without
 * anyone asking. The first slot is a day out, so a process starting up sweeps nothing at once.
 */
for (const dialect of DIALECTS) {
  describe(`retention runs on its own with the defaults (${dialect})`, () => {
    let runtime: TestRuntime;
    let http: HttpApp;
    let ws = { workspaceId: '', organisationId: '', apiKey: '' };

    before(async () => {
      ({ runtime, http, ws } = await startAppWithWorkspace(dialect));
      runtime.startWorkers(1);
    });
    after(async () => {
      await stopTestApp({ runtime, http });
    });

    const schedule = () =>
      inWorkspace(ws.workspaceId, () =>
        runtime.inspect
          .selectFrom('schedules')
          .select(['next_run_at', 'runs'])
          .where('workspace_id', '=', ws.workspaceId)
          .where('name', '=', 'privacy.retention')
          .executeTakeFirst(),
      );

    it('a workspace that never saved a policy gets a daily sweep that erases a lead past the default 730 days', async () => {
      const accepted = await call(http.app, 'POST', '/v1/leads', {
        key: ws.apiKey,
        body: { email: 'forgotten@retention.example', name: 'Old Lead' },
      });
      assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
      const leadId = await eventually(async () => {
        const event = await call(http.app, 'GET', `/v1/events/${accepted.body.eventId}`, { key: ws.apiKey });
        return (event.body.leadId as string | null) ?? undefined;
      });
      const recent = await call(http.app, 'POST', '/v1/leads', {
        key: ws.apiKey,
        body: { email: 'recent@retention.example', name: 'New Lead' },
      });
      const recentId = await eventually(async () => {
        const event = await call(http.app, 'GET', `/v1/events/${recent.body.eventId}`, { key: ws.apiKey });
        return (event.body.leadId as string | null) ?? undefined;
      });
      const old = Date.now() - 800 * DAY;
      await inWorkspace(ws.workspaceId, async () => {
        await runtime.inspect
          .updateTable('leads')
          .set({ updated_at: old })
          .where('id', '=', leadId)
          .execute();
        await runtime.inspect
          .updateTable('events')
          .set({ created_at: old })
          .where('lead_id', '=', leadId)
          .execute();
      });

      // The worker's schedule tick adds the row; its first slot waits a day.
      const row = await eventually(schedule, 30_000);
      assert.ok(Number(row.next_run_at) >= Date.now() + DAY - 60_000, `first slot ${row.next_run_at}`);
      const before = await call(http.app, 'GET', '/v1/privacy/retention', { key: ws.apiKey });
      assert.equal(before.body.isDefault, true);
      assert.equal(before.body.lastReport, null, 'nothing swept on start-up');
      assert.equal((await call(http.app, 'GET', `/v1/leads/${leadId}`, { key: ws.apiKey })).status, 200);

      // A day passes: bring the slot to now instead of waiting.
      await inWorkspace(ws.workspaceId, () =>
        runtime.inspect
          .updateTable('schedules')
          .set({ next_run_at: Date.now() })
          .where('workspace_id', '=', ws.workspaceId)
          .where('name', '=', 'privacy.retention')
          .execute(),
      );
      const shown = await eventually(async () => {
        const response = await call(http.app, 'GET', '/v1/privacy/retention', { key: ws.apiKey });
        return response.body.lastReport ? response.body : undefined;
      }, 60_000);
      assert.equal(shown.isDefault, true, 'the defaults, never saved');
      assert.equal(
        (shown.lastReport as { removed: { unconvertedLeads: number } }).removed.unconvertedLeads,
        1,
        JSON.stringify(shown.lastReport),
      );
      assert.equal((await call(http.app, 'GET', `/v1/leads/${leadId}`, { key: ws.apiKey })).status, 404);
      assert.equal((await call(http.app, 'GET', `/v1/leads/${recentId}`, { key: ws.apiKey })).status, 200);
      const moved = await schedule();
      assert.equal(Number(moved?.runs), 1);
      assert.ok(Number(moved?.next_run_at) > Date.now() + DAY - 60_000, 'the next sweep is a day later');
    });
  });
}
