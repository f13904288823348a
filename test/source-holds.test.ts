import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import type { HttpApp } from '../src/http/index.ts';
import { createSourceHolds } from '../src/main/source-holds.ts';
import { DIALECTS, eventually, stopTestApp, type TestRuntime } from './support/runtime.ts';
import { startWorkflowApp, submitLeadAndWait } from './support/workflow-fixtures.ts';

const ACTOR = { type: 'system' as const, id: 'test' };

for (const dialect of DIALECTS) {
  describe(`a paused source's leads are stored but held from automation (${dialect})`, () => {
    let runtime: TestRuntime;
    let http: HttpApp;
    const ws = { workspaceId: '', apiKey: '' };

    before(async () => {
      const app = await startWorkflowApp(dialect, { workers: 2, qualifyAll: true });
      ({ runtime, http } = app);
      Object.assign(ws, app.ws);
    });
    after(async () => {
      await stopTestApp({ runtime, http });
    });

    const newLead = (email: string, source: string) =>
      submitLeadAndWait({ runtime, http }, ws, { email, name: 'Ann', country: 'US', source });
    const runsOf = (leadId: string) =>
      runtime.inspect
        .selectFrom('workflow_runs')
        .select('id')
        .where('workspace_id', '=', ws.workspaceId)
        .where('lead_id', '=', leadId)
        .execute();

    it('holds the paused source only, audits each held lead, and lets it through once released', () =>
      inWorkspace(ws.workspaceId, async () => {
        const created = await runtime.workflows.service.create(
          ws,
          {
            schemaVersion: 1,
            name: 'Welcome',
            triggers: [{ type: 'lead.created' }],
            start: 'tag',
            steps: [{ id: 'tag', type: 'update_lead', addTags: ['welcomed'] }],
          },
          ACTOR,
        );
        await runtime.workflows.service.activate(ws, created.id, ACTOR);
        const holds = createSourceHolds(runtime.clock);
        const by = { adjustmentId: 'adj_test', reason: 'test pause' };
        assert.equal(
          await runtime.store.transaction((trx) => holds.hold(trx, ws.workspaceId, 'webinar', by)),
          true,
        );
        assert.equal(
          await runtime.store.transaction((trx) => holds.hold(trx, ws.workspaceId, 'webinar', by)),
          false,
          'a held source is not held twice',
        );

        const ads = await newLead('ads@example.com', 'ads');
        await eventually(async () => ((await runsOf(ads)).length === 1 ? true : undefined));
        const held = await newLead('held@example.com', 'webinar');
        const audited = await eventually(async () => {
          const list = await runtime.audit.list(ws.workspaceId, { subject: held, limit: 20 });
          return list.items.some((e) => e.action === 'lead.held') ? list.items : undefined;
        });
        assert.ok(
          audited.some((e) => e.action === 'lead.created'),
          'the lead itself is stored',
        );
        assert.match(audited.find((e) => e.action === 'lead.held')?.reason ?? '', /adj_test/);
        assert.equal((await runsOf(held)).length, 0, 'no workflow runs for a held lead');

        assert.equal(
          await runtime.store.transaction((trx) =>
            holds.release(trx, ws.workspaceId, 'webinar', 'adj_other'),
          ),
          false,
          'only the change that placed a hold lifts it',
        );
        assert.equal(
          await runtime.store.transaction((trx) => holds.release(trx, ws.workspaceId, 'webinar', 'adj_test')),
          true,
        );
        const after = await newLead('after@example.com', 'webinar');
        await eventually(async () => ((await runsOf(after)).length === 1 ? true : undefined));
      }));
  });
}
