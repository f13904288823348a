import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createManualClock, inWorkspace } from '../src/core/index.ts';
import { leadRow } from './support/rows.ts';
import { createTestRuntime, eventually, type TestRuntime } from './support/runtime.ts';
import { defineWorkflow } from './support/workflow-definition.ts';
import { createActiveWorkflow } from './support/workflow-fixtures.ts';

const ACTOR = { type: 'system' as const, id: 'test' };

/** A schedule with `forEachLead`: one run per matching lead, oldest first, up to the limit; set-based. */
describe('schedule trigger with forEachLead (SQLite, manual clock)', () => {
  // 2026-01-05 08:58 UTC.
  const clock = createManualClock(Date.UTC(2026, 0, 5, 8, 58));
  let runtime: TestRuntime;
  after(() => runtime?.dispose());

  it('starts one run per lead matching the filter, oldest first, at most `limit`, each once', async () => {
    runtime = await createTestRuntime('sqlite', { clock, queuePollMs: 5 });
    const { workspace } = await runtime.tenants.createWorkspace({
      name: 'S',
      organisation: 'Org',
      actor: ACTOR,
    });
    const workspaceId = workspace.id;
    const scores = [10, 80, 55, 90, 20, 70];
    const ids: string[] = [];
    for (const [i, score] of scores.entries()) {
      const id = runtime.ids.next('lead');
      ids.push(id);
      await runtime.inspect
        .insertInto('leads')
        .values(
          leadRow(id, workspaceId, Date.UTC(2026, 0, 1) + i * 1000, {
            email: `l${i}@example.com`,
            country: 'US',
            score,
          }),
        )
        .execute();
    }
    const workflowId = await inWorkspace(workspaceId, () =>
      createActiveWorkflow(
        runtime,
        { workspaceId },
        defineWorkflow('Hot leads every hour', [{ id: 'done', type: 'noop' }], {
          type: 'schedule',
          cron: '0 * * * *',
          timezone: 'UTC',
          forEachLead: { where: { field: 'lead.score', op: 'gte', value: 50 }, limit: 3 },
        }),
      ),
    );
    runtime.startWorkers(2);
    clock.set(Date.UTC(2026, 0, 5, 9, 0, 1));
    runtime.queue.notify();
    const runs = await eventually(async () => {
      const rows = await runtime.inspect
        .selectFrom('workflow_runs')
        .select(['lead_id', 'dedupe_key', 'status'])
        .where('workflow_id', '=', workflowId)
        .execute();
      return rows.length === 3 && rows.every((r) => r.status === 'completed') ? rows : undefined;
    }, 30_000);
    // Scores 80, 55 and 90 are the three oldest at 50 or more; 70 is over the limit.
    assert.deepEqual(runs.map((r) => r.lead_id).sort(), [ids[1], ids[2], ids[3]].sort());
    assert.equal(new Set(runs.map((r) => r.dedupe_key)).size, 3);
    // The row moved on to the next hour; nothing more starts for this occurrence.
    const schedule = await runtime.inspect
      .selectFrom('workflow_schedules')
      .selectAll()
      .executeTakeFirstOrThrow();
    assert.equal(Number(schedule.next_at), Date.UTC(2026, 0, 5, 10, 0));
    await new Promise((r) => setTimeout(r, 200));
    const again = await runtime.inspect
      .selectFrom('workflow_runs')
      .select('id')
      .where('workflow_id', '=', workflowId)
      .execute();
    assert.equal(again.length, 3);
  });
});
