/**
 * Statements per workflow step (a count, independent of load): runs the bench's three-step workflow
 * (condition → HTTP call to a local sink → lead update) for existing leads on SQLite and counts
 * every SQL statement the process executes from the manual start to the last run's end.
 * `node bench/workflow-statements.ts [runs]`
 */
import { StatementSync } from 'node:sqlite';
import { inWorkspace } from '../src/core/index.ts';
import { leadRow } from '../test/support/rows.ts';
import { createTestRuntime, eventually } from '../test/support/runtime.ts';
import { startHttpSink } from '../test/support/sinks.ts';
import { prepareWorkspace, threeStepWorkflow } from '../test/support/workflow-fixtures.ts';

const RUNS = Number(process.argv[2] ?? 200);
const ACTOR = { type: 'system' as const, id: 'bench' };
let statements = 0;
for (const method of ['all', 'get', 'run', 'iterate'] as const) {
  const original = StatementSync.prototype[method] as (...args: unknown[]) => unknown;
  (StatementSync.prototype as unknown as Record<string, unknown>)[method] = function (
    this: unknown,
    ...args: unknown[]
  ) {
    statements++;
    return original.apply(this, args);
  };
}
const sink = await startHttpSink((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"ok":true}');
});
const runtime = await createTestRuntime('sqlite');
const { workspace } = await runtime.tenants.createWorkspace({ name: 'Stmts', actor: ACTOR });
const ws = { workspaceId: workspace.id };
await inWorkspace(workspace.id, async () => {
  await prepareWorkspace(runtime, workspace.id);
  const created = await runtime.workflows.service.create(ws, threeStepWorkflow(sink.url, 'manual'), ACTOR);
  await runtime.workflows.service.activate(ws, created.id, ACTOR);
  const leadIds: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const id = runtime.ids.next('lead');
    const now = Date.now();
    await runtime.inspect
      .insertInto('leads')
      .values(leadRow(id, workspace.id, now, { email: `l${i}@example.com`, score: 10 }))
      .execute();
    leadIds.push(id);
  }
  const before = statements;
  runtime.startWorkers(4);
  for (const leadId of leadIds) await runtime.workflows.service.run(ws, created.id, { leadId }, ACTOR);
  await eventually(async () => {
    const row = await runtime.store.db
      .selectFrom('workflow_runs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'completed')
      .executeTakeFirstOrThrow();
    return Number(row.n) === RUNS ? true : undefined;
  }, 120_000);
  const used = statements - before;
  console.log(
    JSON.stringify({
      runs: RUNS,
      steps: RUNS * 3,
      statements: used,
      perRun: +(used / RUNS).toFixed(1),
      perStep: +(used / RUNS / 3).toFixed(1),
    }),
  );
});
await runtime.close();
await sink.close();
