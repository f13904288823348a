/**
 * npm run bench:workflows — the workflow engine, embedded (SQLite) and, with TEST_DATABASE_URL and
 * TEST_REDIS_URL set, on PostgreSQL + Redis (BullMQ):
 * 1. runs/s: RUNS leads arrive (ingest service), each starts a three-step workflow on lead.created
 *    (condition → HTTP call to a local sink → lead update); from the workers' start until every
 *    run completed. Each step is its own queued job with its result memoised.
 * 2. timer lateness after a restart: TIMERS runs wait 1.5 s; the runtime is closed while they wait
 *    and a new one is started on the same database; lateness = when the wait step settled − due.
 * Then runs WF-A's n8n corpus and generation bench (bench/workflows-corpus.ts) when present.
 * Usage: node bench/workflows.ts [--runs 1000] [--timers 100] [--skip-corpus]
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../src/config/index.ts';
import { inWorkspace } from '../src/core/index.ts';
import { createRuntime, type Runtime } from '../src/main/runtime.ts';
import { startHttpSink } from '../test/support/sinks.ts';
import { threeStepWorkflow, waitingWorkflow } from '../test/support/workflow-fixtures.ts';
import { benchLeadBody, printTable, writeResult } from './support.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    timers: { type: 'string', default: '100' },
    'skip-corpus': { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
const TIMERS = Number(values.timers);
const ACTOR = { type: 'system' as const, id: 'bench' };

type Target = { name: 'embedded' | 'postgres+redis'; config: Record<string, string>; sqlite: boolean };
const targets: Target[] = [{ name: 'embedded', config: {}, sqlite: true }];
if (process.env.TEST_DATABASE_URL && process.env.TEST_REDIS_URL)
  targets.push({
    name: 'postgres+redis',
    config: {
      DATABASE_URL: process.env.TEST_DATABASE_URL,
      REDIS_URL: process.env.TEST_REDIS_URL,
      LEADLOOP_QUEUE_PREFIX: `bench-wf-${Date.now()}`,
    },
    sqlite: false,
  });

async function open(target: Target, dir: string, schema: string): Promise<Runtime> {
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    LEADLOOP_DATA_DIR: dir,
    LEADLOOP_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
    ...target.config,
  });
  return createRuntime(config, {
    logger: pino({ level: 'silent' }),
    queuePollMs: 50,
    ...(target.sqlite ? { sqliteFile: join(dir, 'leadloop.db') } : { postgresSchema: schema }),
  });
}

async function prepare(runtime: Runtime, workspaceId: string): Promise<void> {
  await inWorkspace(workspaceId, () =>
    runtime.workflows.settings.put(
      runtime.store.db,
      { workspaceId },
      {
        egressAllow: ['127.0.0.1'],
        sender: null,
        unsubscribeBaseUrl: null,
        concurrencyPerWorkflow: 10_000,
        ratePerConnector: 10_000,
        maxStepOutputBytes: 4096,
      },
    ),
  );
}

async function countRuns(runtime: Runtime, workspaceId: string, status: string): Promise<number> {
  const row = await inWorkspace(workspaceId, () =>
    runtime.store.db
      .selectFrom('workflow_runs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', workspaceId)
      .where('status', '=', status)
      .executeTakeFirstOrThrow(),
  );
  return Number(row.n);
}

async function throughput(target: Target): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'leadloop-wf-bench-'));
  const sink = await startHttpSink();
  const runtime = await open(target, dir, `bench_wf_${Date.now().toString(36)}`);
  try {
    const { workspace } = await runtime.tenants.createWorkspace({ name: 'Bench', actor: ACTOR });
    const ws = { workspaceId: workspace.id };
    await prepare(runtime, workspace.id);
    await inWorkspace(workspace.id, async () => {
      const created = await runtime.workflows.service.create(
        ws,
        threeStepWorkflow(sink.url, 'lead.created'),
        ACTOR,
      );
      await runtime.workflows.service.activate(ws, created.id, ACTOR);
    });
    const pending: Promise<unknown>[] = [];
    for (let n = 1; n <= RUNS; n++) {
      pending.push(
        runtime.ingest.acceptLead({
          workspaceId: workspace.id,
          source: 'webhook',
          idempotencyKey: `wf_${n}`,
          rawBody: benchLeadBody(n),
        }),
      );
      if (pending.length === 64) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    runtime.startWorkers(runtime.config.LEADLOOP_WORKER_CONCURRENCY);
    let completed = 0;
    let settled = 0;
    let total = Number.POSITIVE_INFINITY;
    const deadline = Date.now() + 600_000;
    while (settled < total && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      completed = await countRuns(runtime, workspace.id, 'completed');
      settled = completed + (await countRuns(runtime, workspace.id, 'failed'));
      // Leads with the same e-mail merge (no lead.created): the runs to wait for are those created once the backlog is processed.
      const unprocessed = await inWorkspace(workspace.id, () =>
        runtime.store.db
          .selectFrom('events')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('status', '=', 'accepted')
          .executeTakeFirstOrThrow(),
      );
      if (Number(unprocessed.n) === 0)
        total =
          settled +
          (await countRuns(runtime, workspace.id, 'queued')) +
          (await countRuns(runtime, workspace.id, 'running'));
    }
    const seconds = (performance.now() - started) / 1000;
    // This process's CPU time per run (the pipeline, the council's reactions, the engine and the
    // sink): a figure a loaded machine changes far less than the rate.
    const cpu = process.cpuUsage(cpuBefore);
    const failed = await countRuns(runtime, workspace.id, 'failed');
    if (failed > 0) {
      const sample = await inWorkspace(workspace.id, () =>
        runtime.store.db
          .selectFrom('workflow_runs')
          .select('error')
          .where('status', '=', 'failed')
          .limit(3)
          .execute(),
      );
      process.stderr.write(`failed runs, e.g.: ${sample.map((r) => r.error).join(' | ')}\n`);
    }
    const keys = new Set(sink.requests.map((r) => r.headers['idempotency-key']));
    return {
      leads: RUNS,
      runs: total,
      completed,
      failed,
      seconds: Number(seconds.toFixed(2)),
      completedRunsPerSecond: Math.round(completed / seconds),
      stepsPerSecond: Math.round((completed * 3) / seconds),
      cpuMsPerRun: Number(((cpu.user + cpu.system) / 1000 / Math.max(1, completed)).toFixed(2)),
      sinkRequests: sink.requests.length,
      sinkDistinctKeys: keys.size,
    };
  } finally {
    await runtime.close();
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function timerLateness(target: Target): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'leadloop-wf-timers-'));
  const schema = `bench_wft_${Date.now().toString(36)}`;
  let runtime = await open(target, dir, schema);
  const { workspace } = await runtime.tenants.createWorkspace({ name: 'Timers', actor: ACTOR });
  const ws = { workspaceId: workspace.id };
  try {
    const workflowId = await inWorkspace(workspace.id, async () => {
      const created = await runtime.workflows.service.create(ws, waitingWorkflow(1500), ACTOR);
      await runtime.workflows.service.activate(ws, created.id, ACTOR);
      return created.id;
    });
    runtime.startWorkers(16);
    for (let i = 0; i < TIMERS; i++)
      await inWorkspace(workspace.id, () =>
        runtime.workflows.service.run(ws, workflowId, { leadId: null }, ACTOR),
      );
    // Every wait recorded as a due row, then the process goes away while they are pending. On a
    // loaded machine starting the runs can take longer than a wait, so the first may have fired
    // already: waiting for all of them to be waiting at once never ended (those are counted apart).
    let firedBeforeRestart = 0;
    for (;;) {
      const pauses = await inWorkspace(workspace.id, () =>
        runtime.store.db
          .selectFrom('workflow_steps')
          .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
          .where('workspace_id', '=', workspace.id)
          .where('step_id', '=', 'pause')
          .where('status', 'in', ['waiting', 'completed'])
          .groupBy('status')
          .execute(),
      );
      const count = (status: string) => Number(pauses.find((p) => p.status === status)?.n ?? 0);
      firedBeforeRestart = count('completed');
      if (count('waiting') + firedBeforeRestart >= TIMERS) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await runtime.close();
    await new Promise((r) => setTimeout(r, 300));
    runtime = await open(target, dir, schema);
    runtime.startWorkers(16);
    // A timer that fell due while no process ran cannot fire before one is back: lateness is also
    // counted from max(due, back) so the figure says what the engine adds once it can act.
    const backAt = Date.now();
    const deadline = Date.now() + 60_000;
    while ((await countRuns(runtime, workspace.id, 'completed')) < TIMERS && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const rows = await inWorkspace(workspace.id, () =>
      runtime.store.db
        .selectFrom('workflow_steps')
        .select(['output', 'finished_at'])
        .where('workspace_id', '=', workspace.id)
        .where('step_id', '=', 'pause')
        .where('status', '=', 'completed')
        .execute(),
    );
    // The wake time is cleared once the step settles; it is the settle time less its lateness.
    const sinceBack = rows
      .map((r) => ({
        finished: Number(r.finished_at),
        late: Number((JSON.parse(r.output ?? '{}') as { lateMs?: number }).lateMs ?? Number.NaN),
      }))
      .filter((r) => Number.isFinite(r.late) && r.finished >= backAt)
      .map((r) => r.finished - Math.max(r.finished - r.late, backAt))
      .sort((a, b) => a - b);
    const late = rows
      .map((r) => Number((JSON.parse(r.output ?? '{}') as { lateMs?: number }).lateMs ?? Number.NaN))
      .sort((a, b) => a - b);
    const q = (p: number) => late[Math.min(late.length - 1, Math.floor(p * late.length))] ?? Number.NaN;
    return {
      timers: TIMERS,
      firedBeforeRestart,
      fired: late.length,
      p50LateMs: q(0.5),
      p99LateMs: q(0.99),
      maxLateMs: late.at(-1) ?? Number.NaN,
      firedAfterBack: sinceBack.length,
      p50LateAfterBackMs: sinceBack[Math.floor(0.5 * sinceBack.length)] ?? Number.NaN,
      p99LateAfterBackMs:
        sinceBack[Math.min(sinceBack.length - 1, Math.floor(0.99 * sinceBack.length))] ?? Number.NaN,
    };
  } finally {
    // Bounded: on PostgreSQL + Redis this close has been seen to hang after the timers fired; the
    // figures are taken by then, and the process exits at the end.
    await Promise.race([runtime.close(), new Promise((r) => setTimeout(r, 15_000))]);
    rmSync(dir, { recursive: true, force: true });
  }
}

const results: Record<string, unknown> = {
  measuredAt: new Date().toISOString(),
  // The load average at the start says whether other work shared the machine.
  loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
  note: '2-core machine; figures vary run to run, more so when loadAverageAtStart is high',
  command: `${process.env.TEST_DATABASE_URL ? 'TEST_DATABASE_URL=… TEST_REDIS_URL=… ' : ''}node bench/workflows.ts --runs ${RUNS} --timers ${TIMERS}`,
  n8nReference: { workflow: 'webhook → code → IF', acceptedPerSecond: '83–89', completedPerSecond: '60–62' },
};
for (const target of targets) {
  process.stderr.write(`${target.name}: ${RUNS} runs of a three-step workflow\n`);
  const t = await throughput(target);
  printTable([{ target: target.name, ...t }]);
  process.stderr.write(`${target.name}: ${TIMERS} timers across a restart\n`);
  const l = await timerLateness(target);
  results[target.name] = { throughput: t, timersAfterRestart: l };
  printTable([{ target: target.name, ...l }]);
}
const file = writeResult('workflows', results);
process.stderr.write(`wrote ${file}\n`);

const corpus = join(import.meta.dirname, 'workflows-corpus.ts');
if (!values['skip-corpus'] && existsSync(corpus)) {
  const mod = (await import(corpus)) as { runCorpusBench?: () => Promise<unknown> };
  if (mod.runCorpusBench) await mod.runCorpusBench();
}
process.exit(0);
