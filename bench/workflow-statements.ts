/**
 * Statements per workflow step (a count, independent of load): runs the bench's three-step workflow
 * (condition → HTTP call to a local sink → lead update) for existing leads and counts every SQL
 * statement the process executes from the manual start to the last run's end.
 * `node bench/workflow-statements.ts [runs] [--postgres] [--by-statement]`
 * On SQLite (the default) each statement is a call into the engine. With `--postgres` (and
 * TEST_DATABASE_URL; TEST_REDIS_URL adds BullMQ) each is a round trip to the server, counted at the
 * `pg` client, transaction control and the data-scope statements included; the progress poll uses
 * a client of its own, left out. `--by-statement` prints the most frequent statement texts.
 */
import { StatementSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { inWorkspace } from '../src/core/index.ts';
import { createTestRuntime, eventually } from '../test/support/runtime.ts';
import { startHttpSink } from '../test/support/sinks.ts';
import { prepareWorkspace, threeStepWorkflow } from '../test/support/workflow-fixtures.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    postgres: { type: 'boolean', default: false },
    'by-statement': { type: 'boolean', default: false },
  },
});
const RUNS = Number(positionals[0] ?? 200);
const POSTGRES = values.postgres;
if (POSTGRES && !process.env.TEST_DATABASE_URL) throw new Error('--postgres needs TEST_DATABASE_URL');
const ACTOR = { type: 'system' as const, id: 'bench' };
let statements = 0;
const texts = new Map<string, number>();
function counted(text: unknown): void {
  statements++;
  if (!values['by-statement']) return;
  const key = String(text).replace(/\s+/g, ' ').slice(0, 140);
  texts.set(key, (texts.get(key) ?? 0) + 1);
}
let poll: pg.Client | null = null;
if (POSTGRES) {
  const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  (pg.Client.prototype as unknown as Record<string, unknown>).query = function (
    this: pg.Client,
    ...args: unknown[]
  ) {
    if (this !== poll) {
      const first = args[0];
      counted(typeof first === 'string' ? first : (first as { text?: string })?.text);
    }
    return original.apply(this, args);
  };
} else
  for (const method of ['all', 'get', 'run', 'iterate'] as const) {
    const original = StatementSync.prototype[method] as (...args: unknown[]) => unknown;
    (StatementSync.prototype as unknown as Record<string, unknown>)[method] = function (
      this: StatementSync,
      ...args: unknown[]
    ) {
      counted(this.sourceSQL);
      return original.apply(this, args);
    };
  }
const sink = await startHttpSink((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"ok":true}');
});
const runtime = await createTestRuntime(POSTGRES ? 'postgres' : 'sqlite');
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
      .values({
        id,
        workspace_id: workspace.id,
        email: `l${i}@example.com`,
        phone: null,
        name: null,
        company: null,
        company_domain: null,
        title: null,
        country: null,
        source: null,
        utm: '{}',
        attributes: '{}',
        status: 'new',
        score: 10,
        score_breakdown: '[]',
        created_at: now,
        updated_at: now,
      })
      .execute();
    leadIds.push(id);
  }
  const schema = POSTGRES
    ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(runtime.inspect)).rows[0]
        ?.schema
    : '';
  if (POSTGRES) {
    poll = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await poll.connect();
  }
  const before = statements;
  texts.clear();
  runtime.startWorkers(4);
  for (const leadId of leadIds) await runtime.workflows.service.run(ws, created.id, { leadId }, ACTOR);
  const completed = async (): Promise<number> => {
    if (!poll) {
      const row = await runtime.store.db
        .selectFrom('workflow_runs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'completed')
        .executeTakeFirstOrThrow();
      return Number(row.n);
    }
    const { rows } = await poll.query<{ n: string }>(
      `select count(*) as n from ${schema}.workflow_runs where status = 'completed'`,
    );
    return Number(rows[0]?.n);
  };
  await eventually(async () => ((await completed()) === RUNS ? true : undefined), 300_000);
  const used = statements - before;
  if (values['by-statement'])
    for (const [text, n] of [...texts].sort((a, b) => b[1] - a[1]).slice(0, 40))
      console.log(`${(n / RUNS).toFixed(2).padStart(6)} per run  ${text}`);
  console.log(
    JSON.stringify({
      database: POSTGRES ? 'postgres' : 'sqlite',
      runs: RUNS,
      steps: RUNS * 3,
      statements: used,
      perRun: +(used / RUNS).toFixed(1),
      perStep: +(used / RUNS / 3).toFixed(1),
    }),
  );
});
await (poll as pg.Client | null)?.end();
await runtime.dispose();
await sink.close();
