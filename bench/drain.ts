/**
 * npm run bench:drain — what the pipeline costs per lead, without HTTP: how fast the in-process
 * workers drain a backlog, how many SQL statements and how much JavaScript allocation one
 * processed lead takes. Allocation drives garbage collection and so the server's peak memory,
 * which bench:ingest measures at its drain, when workers run flat out.
 *
 * Accepts LEADS leads (the bench:ingest mix, benchLeadBody) through the
 * ingest service into a fresh SQLite file, then starts the workers and counts, until every event
 * is processed ("drained leads/s") and then until the queue has nothing due (the council's
 * decisions and the workflows the leads caused: "queue idle, leads/s"): statements by SQL text
 * (node:sqlite's statement methods, wrapped), and bytes allocated (V8's sampling heap profiler,
 * counting objects already collected).
 * With --postgres the runtime runs on PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL, a
 * superuser URL; a fresh schema per run, the application role under row-level security, as the
 * test suites do), with --broker redis|rabbitmq dispatching through TEST_REDIS_URL / TEST_AMQP_URL,
 * and counts every query the pg driver sends: one round trip each (node-postgres sends a
 * parameterised query as one parse/bind/execute/sync exchange and does not pipeline).
 * With --workers N (PostgreSQL) N-1 more worker processes (this script, forked) drain beside this
 * one; their statements and CPU are added to the totals. --workspaces N spreads the leads
 * round-robin over N workspaces (one workspace's sets run one at a time, whatever the workers).
 * It also sums the time spent in each statement text (on PostgreSQL, from sending to answer).
 * With --pg-stat (PostgreSQL, with pg_stat_statements in shared_preload_libraries and the extension
 * created in the database's public schema) it also prints the database's own execution time per
 * lead until the events are processed, whole cluster, and the statements that took most of it.
 * With --only, "queue idle" waits only for the pools that run.
 * Usage: node bench/drain.ts [--leads 3000] [--runs 3] [--top 12] [--postgres] [--broker none|redis|rabbitmq] [--workers 1] [--workspaces 1] [--pg-stat]
 */

import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatementSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../src/config/index.ts';
import { asScheduler, inWorkspace } from '../src/core/index.ts';
import type { PipelineStage } from '../src/leads/index.ts';
import { createRuntime } from '../src/main/runtime.ts';
import { jobNamesOf } from '../src/queue/catalog.ts';
import { parsePools } from '../src/queue/index.ts';
import { benchLeadBody, countAllocations, printTable, writeResult } from './support.ts';

const { values } = parseArgs({
  options: {
    leads: { type: 'string', default: '3000' },
    runs: { type: 'string', default: '3' },
    top: { type: 'string', default: '12' },
    postgres: { type: 'boolean', default: false },
    broker: { type: 'string', default: 'none' },
    only: { type: 'string' },
    concurrency: { type: 'string' },
    workers: { type: 'string', default: '1' },
    workspaces: { type: 'string', default: '1' },
    'pg-stat': { type: 'boolean', default: false },
  },
});
const WORKERS = Number(values.workers);
/** Leads spread round-robin over this many workspaces: one workspace's sets run one at a time. */
const WORKSPACES = Number(values.workspaces);
if (WORKERS > 1 && !values.postgres) throw new Error('--workers needs --postgres (SQLite is one process)');
/** Set in a forked worker process: the schema and data directory of the run it joins. */
const CHILD = process.env.DRAIN_CHILD_SCHEMA
  ? { schema: process.env.DRAIN_CHILD_SCHEMA, dir: process.env.DRAIN_CHILD_DIR as string }
  : null;
const POSTGRES = values.postgres;
/** `--only pipeline`: only the pipeline's pool runs (the council's follow-up jobs wait), so the figures are the pipeline's. */
const parsedPools = values.only === undefined ? undefined : parsePools(values.only);
if (parsedPools && !parsedPools.ok) throw new Error(parsedPools.error);
const ONLY = parsedPools?.ok ? parsedPools.value : undefined;
const adminUrl =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/test';
const LEADS = Number(values.leads);

/**
 * Runs `text` on the database as the superuser (for pg_stat_statements), marked as the script's
 * own work like its poll, so the statement counts leave it out.
 */
async function pgStat<R extends pg.QueryResultRow>(text: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return (await client.query<R>(`${text} /* ${POLL_MARK} */`)).rows;
  } finally {
    await client.end();
  }
}

/** The database's execution time since the reset, per lead, and the statements that took most. */
async function readPgStat(): Promise<{ usPerLead: number; top: { us: number; text: string }[] }> {
  const rows = await pgStat<{ ms: number; text: string }>(
    `select total_exec_time as ms, regexp_replace(query, '\\s+', ' ', 'g') as text
       from public.pg_stat_statements order by total_exec_time desc`,
  );
  const perLead = (ms: number) => (1000 * ms) / LEADS;
  return {
    usPerLead: perLead(rows.reduce((sum, row) => sum + Number(row.ms), 0)),
    top: rows.slice(0, Number(values.top)).map((row) => ({ us: perLead(Number(row.ms)), text: row.text })),
  };
}

const statements = new Map<string, number>();
/**
 * Milliseconds spent in each statement text, summed: on SQLite the call's own time (the
 * statement runs on this thread), on PostgreSQL from sending it to its answer (the round trip,
 * the server's work, and any wait for this process's event loop to take the answer). Where the
 * database's share of a lead goes, which counts cannot say.
 */
const statementMs = new Map<string, number>();
function addTime(text: string, started: bigint): void {
  statementMs.set(text, (statementMs.get(text) ?? 0) + Number(process.hrtime.bigint() - started) / 1e6);
}
let counting = false;
/**
 * The script's own poll for "anything left?" is not the pipeline's work: it is left out of the
 * statement counts, and it reads one row through the status index. (Until 2026-12-07 it counted
 * every accepted event every 20 ms: on PostgreSQL about 8% of the database's time in a 10,000-lead
 * drain, on SQLite CPU on the pipeline's own thread, and 0.02 of the statements per lead.)
 */
const POLL_MARK = 'bench:drain poll';
/** How long after the events are processed the run waits for the queue to have nothing due. */
const QUEUE_WAIT_MS = 120_000;
type StatementMethod = (this: StatementSync, ...args: unknown[]) => unknown;
const proto = StatementSync.prototype as unknown as Record<
  'all' | 'run' | 'get' | 'iterate',
  StatementMethod
>;
for (const method of ['all', 'run', 'get', 'iterate'] as const) {
  const original = proto[method];
  proto[method] = function (this: StatementSync, ...args: unknown[]) {
    if (counting && !this.sourceSQL.includes(POLL_MARK)) {
      // Multi-row statements differ only in their number of value tuples: count them as one text.
      const text = this.sourceSQL.replace(/\(\?(, \?)*\)(, \(\?(, \?)*\))*/g, '(…)');
      statements.set(text, (statements.get(text) ?? 0) + 1);
      const started = process.hrtime.bigint();
      try {
        return original.apply(this, args);
      } finally {
        addTime(text, started);
      }
    }
    return original.apply(this, args);
  };
}

// PostgreSQL: every query the driver sends (Kysely's pg driver calls Client#query once per statement).
type QueryMethod = (this: pg.Client, ...args: unknown[]) => unknown;
const clientProto = pg.Client.prototype as unknown as { query: QueryMethod };
const originalQuery = clientProto.query;
clientProto.query = function (this: pg.Client, ...args: unknown[]) {
  const first = args[0] as string | { text?: string };
  const raw = typeof first === 'string' ? first : (first?.text ?? '');
  if (counting && !raw.includes(POLL_MARK)) {
    const text = raw.replace(/\(\$\d+(, \$\d+)*\)(, \(\$\d+(, \$\d+)*\))*/g, '(…)').replace(/\$\d+/g, '$');
    statements.set(text, (statements.get(text) ?? 0) + 1);
    const started = process.hrtime.bigint();
    const result = originalQuery.apply(this, args);
    if (result instanceof Promise) {
      const done = () => addTime(text, started);
      result.then(done, done);
    }
    return result;
  }
  return originalQuery.apply(this, args);
};

function appRoleUrl(): string {
  const url = new URL(adminUrl);
  url.username = 'leadloop_app';
  url.password = '';
  return url.toString();
}

function brokerEnv(prefix: string): Record<string, string> {
  if (values.broker === 'redis')
    return {
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      LEADLOOP_QUEUE_PREFIX: prefix,
    };
  if (values.broker === 'rabbitmq')
    return {
      QUEUE_URL: process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
      LEADLOOP_QUEUE_PREFIX: prefix,
    };
  return {};
}

function configFor(dir: string, schema: string) {
  return loadConfig({
    LOG_LEVEL: 'silent',
    LEADLOOP_DATA_DIR: dir,
    ...(values.concurrency ? { LEADLOOP_WORKER_CONCURRENCY: values.concurrency } : {}),
    ...(POSTGRES
      ? { DATABASE_OWNER_URL: adminUrl, DATABASE_URL: appRoleUrl(), ...brokerEnv(`leadloop-drain-${schema}`) }
      : {}),
  });
}

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
/**
 * Bytes this process passed to write(2) (Linux `/proc/self/io` wchar): on SQLite, the log frames
 * its commits write, what checkpoints copy, and any temporary files SQLite writes; null elsewhere.
 */
const writtenBytes = (): number | null => {
  try {
    const wchar = /^wchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1];
    return wchar === undefined ? null : Number(wchar);
  } catch {
    return null;
  }
};
const totalStatements = () => [...statements.values()].reduce((a, b) => a + b, 0);

/**
 * A forked worker process: opens the parent's schema (already migrated), runs the same pools when
 * told to start, and reports its statements and CPU when told to stop.
 */
async function runChild(child: { schema: string; dir: string }): Promise<void> {
  const config = configFor(child.dir, child.schema);
  const runtime = await createRuntime(config, {
    logger: pino({ level: 'silent' }),
    postgresSchema: child.schema,
    migrated: true,
  });
  let cpuBefore = 0;
  process.on('message', async (message: string) => {
    if (message === 'start') {
      statements.clear();
      statementMs.clear();
      cpuBefore = cpuMs();
      counting = true;
      runtime.startWorkers(config.LEADLOOP_WORKER_CONCURRENCY, ONLY);
    } else if (message === 'stop') {
      counting = false;
      const cpu = cpuMs() - cpuBefore;
      await runtime.stopWorkers();
      process.send?.({
        statements: Object.fromEntries(statements),
        statementMs: Object.fromEntries(statementMs),
        cpuMs: cpu,
      });
      await runtime.close();
      process.disconnect();
    }
  });
  // A parent that died mid-run leaves nothing running behind it.
  process.on('disconnect', () => process.exit(0));
  process.send?.('ready');
}

/** Forks the extra worker processes of a run and waits until each has opened the database. */
async function forkWorkers(schema: string, dir: string): Promise<ChildProcess[]> {
  const children = Array.from({ length: WORKERS - 1 }, () =>
    fork(import.meta.filename, process.argv.slice(2), {
      env: { ...process.env, DRAIN_CHILD_SCHEMA: schema, DRAIN_CHILD_DIR: dir },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  await Promise.all(children.map(async (child) => ((await once(child, 'message')) as [string])[0]));
  return children;
}

/** Stops the extra workers; adds their statements to this process's and returns their CPU ms. */
async function stopWorkers(children: ChildProcess[]): Promise<number> {
  let cpu = 0;
  await Promise.all(
    children.map(async (child) => {
      const reply = once(child, 'message');
      child.send('stop');
      const [report] = (await reply) as [
        { statements: Record<string, number>; statementMs: Record<string, number>; cpuMs: number },
      ];
      for (const [text, n] of Object.entries(report.statements))
        statements.set(text, (statements.get(text) ?? 0) + n);
      for (const [text, ms] of Object.entries(report.statementMs))
        statementMs.set(text, (statementMs.get(text) ?? 0) + ms);
      cpu += report.cpuMs;
      if (child.exitCode === null) await once(child, 'exit');
    }),
  );
  return cpu;
}

async function run(): Promise<{
  leadsPerSecond: number;
  everythingPerSecond: number;
  statementsPerLead: number;
  kibPerLead: number;
  kibWrittenPerLead: number | null;
  cpuMsPerLead: number;
  /** With --pg-stat: the database's execution time until the events were processed. */
  databaseTime: Awaited<ReturnType<typeof readPgStat>> | null;
  stageCpuMsPerLead: Record<string, number>;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'leadloop-drain-'));
  const schema = `drain_${randomBytes(4).toString('hex')}`;
  const config = configFor(dir, schema);
  const runtime = await createRuntime(config, {
    logger: pino({ level: 'silent' }),
    ...(POSTGRES ? { postgresSchema: schema } : { sqliteFile: join(dir, 'leadloop.db') }),
  });
  try {
    const workspaceIds: string[] = [];
    for (let i = 0; i < WORKSPACES; i++) {
      const { workspace } = await runtime.tenants.createWorkspace({
        name: `Drain ${i + 1}`,
        actor: { type: 'system', id: 'bench' },
      });
      workspaceIds.push(workspace.id);
    }
    const pending: Promise<unknown>[] = [];
    for (let n = 1; n <= LEADS; n++) {
      const rawBody = benchLeadBody(n);
      pending.push(
        runtime.ingest.acceptLead({
          workspaceId: workspaceIds[n % WORKSPACES] as string,
          source: 'webhook',
          idempotencyKey: `msg_${n}`,
          rawBody,
        }),
      );
      if (pending.length === 64) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);

    const allocations = await countAllocations();
    statements.clear();
    statementMs.clear();
    // CPU time (not wall time: the machine may be shared) per stage, and of the whole process.
    const stageCpu = new Map<string, number>();
    const stages = runtime.pipeline.stages as PipelineStage[];
    stages.forEach((stage, i) => {
      const timed = async <T>(fn: () => Promise<T>): Promise<T> => {
        const before = cpuMs();
        try {
          return await fn();
        } finally {
          stageCpu.set(stage.name, (stageCpu.get(stage.name) ?? 0) + cpuMs() - before);
        }
      };
      stages[i] = {
        name: stage.name,
        run: (ctx) => timed(() => stage.run(ctx)),
        ...(stage.runBatch
          ? {
              runBatch: (batch) =>
                timed(() => (stage.runBatch as NonNullable<PipelineStage['runBatch']>)(batch)),
            }
          : {}),
      };
    });
    const children = await forkWorkers(schema, dir);
    const cpuBefore = cpuMs();
    const writtenBefore = writtenBytes();
    counting = true;
    if (values['pg-stat']) await pgStat('select public.pg_stat_statements_reset()');
    const started = performance.now();
    for (const child of children) child.send('start');
    runtime.startWorkers(config.LEADLOOP_WORKER_CONCURRENCY, ONLY);
    for (;;) {
      let left = 0;
      for (const workspaceId of workspaceIds) {
        const rows = await inWorkspace(workspaceId, () =>
          sql<{ one: number }>`select 1 as one from events where workspace_id = ${workspaceId}
            and status = 'accepted' limit 1 ${sql.raw(`/* ${POLL_MARK} */`)}`.execute(runtime.store.db),
        );
        left += rows.rows.length;
        if (left > 0) break;
      }
      if (left === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const elapsed = performance.now() - started;
    const databaseTime = values['pg-stat'] ? await readPgStat() : null;
    // Then until the queue has nothing due: the council's decisions for the qualified leads, the
    // workflows they start. Statements and CPU count to here, so a lead's cost includes what it
    // caused, however much of it ran while the events were still being processed.
    let idlePolls = 0;
    while (idlePolls < 2 && performance.now() - started < elapsed + QUEUE_WAIT_MS) {
      const due = await asScheduler(() =>
        sql<{ one: number }>`select 1 as one from jobs where status <> 'dead'
          and run_at <= ${Date.now()} ${ONLY ? sql`and name in (${sql.join(jobNamesOf(ONLY))})` : sql``}
          limit 1 ${sql.raw(`/* ${POLL_MARK} */`)}`.execute(runtime.store.db),
      );
      idlePolls = due.rows.length === 0 ? idlePolls + 1 : 0;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const allElapsed = performance.now() - started;
    if (idlePolls < 2)
      process.stderr.write(
        `the queue still had jobs due ${QUEUE_WAIT_MS / 1000} s after the last event: "queue idle" is a lower bound\n`,
      );
    const ownCpu = cpuMs() - cpuBefore;
    const writtenAfter = writtenBytes();
    counting = false;
    const cpuPerLead = (ownCpu + (await stopWorkers(children))) / LEADS;
    const allocatedBytes = await allocations.stop();
    await runtime.stopWorkers();
    const total = totalStatements();
    return {
      leadsPerSecond: Math.round((LEADS / elapsed) * 1000),
      everythingPerSecond: Math.round((LEADS / allElapsed) * 1000),
      statementsPerLead: total / LEADS,
      kibPerLead: allocatedBytes / LEADS / 1024,
      // The database's own writes happen in this process only with SQLite and no worker processes.
      kibWrittenPerLead:
        POSTGRES || children.length > 0 || writtenBefore === null || writtenAfter === null
          ? null
          : (writtenAfter - writtenBefore) / LEADS / 1024,
      cpuMsPerLead: cpuPerLead,
      databaseTime,
      stageCpuMsPerLead: Object.fromEntries(
        [...stageCpu].map(([name, ms]) => [name, Number((ms / LEADS).toFixed(4))]),
      ),
    };
  } finally {
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
    if (POSTGRES) {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    }
  }
}

if (CHILD) {
  await runChild(CHILD);
} else {
  await main();
}

async function main(): Promise<void> {
  const database = POSTGRES ? `postgres${values.broker === 'none' ? '' : ` + ${values.broker}`}` : 'sqlite';
  process.stderr.write(
    `database: ${database}, ${WORKERS} worker process${WORKERS > 1 ? 'es' : ''}, ${WORKSPACES} workspace${WORKSPACES > 1 ? 's' : ''}\n`,
  );
  const runs: Awaited<ReturnType<typeof run>>[] = [];
  for (let i = 1; i <= Number(values.runs); i++) {
    process.stderr.write(`run ${i}/${values.runs}: ${LEADS} leads\n`);
    runs.push(await run());
  }
  const median = (pick: (r: (typeof runs)[number]) => number) => {
    const sorted = runs.map(pick).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? 0;
  };
  const summary = {
    leadsPerSecond: median((r) => r.leadsPerSecond),
    queueIdleLeadsPerSecond: median((r) => r.everythingPerSecond),
    statementsPerLead: Number(median((r) => r.statementsPerLead).toFixed(2)),
    kibAllocatedPerLead: Math.round(median((r) => r.kibPerLead)),
    kibWrittenPerLead: runs.some((r) => r.kibWrittenPerLead === null)
      ? null
      : Number(median((r) => r.kibWrittenPerLead ?? 0).toFixed(1)),
    cpuMsPerLead: Number(median((r) => r.cpuMsPerLead).toFixed(3)),
  };
  printTable(
    runs.map((r, i) => ({
      run: i + 1,
      'drained leads/s': r.leadsPerSecond,
      'queue idle, leads/s': r.everythingPerSecond,
      [POSTGRES ? 'statements (= round trips)/lead' : 'statements/lead (in-process, no round trips)']:
        r.statementsPerLead.toFixed(2),
      'KiB allocated/lead': Math.round(r.kibPerLead),
      'KiB written/lead': r.kibWrittenPerLead === null ? 'n/a' : r.kibWrittenPerLead.toFixed(1),
      'CPU ms/lead (process)': r.cpuMsPerLead.toFixed(3),
    })),
  );
  const last = runs.at(-1);
  if (last) {
    process.stdout.write(
      '\nCPU ms per lead by pipeline stage in the last run (the rest: runner, persistence, queue):\n',
    );
    for (const [name, ms] of Object.entries(last.stageCpuMsPerLead))
      process.stdout.write(`${ms.toFixed(4).padStart(8)}  ${name}\n`);
  }
  process.stdout.write(
    `\nstatements per lead in the last run (of ${Math.round(summary.statementsPerLead * LEADS)}):\n`,
  );
  const top = [...statements].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
  for (const [text, n] of top)
    process.stdout.write(`${(n / LEADS).toFixed(2).padStart(6)}  ${text.slice(0, 110)}\n`);
  const totalMs = [...statementMs.values()].reduce((a, b) => a + b, 0);
  process.stdout.write(
    `\ntime in statements in the last run, µs per lead (of ${((1000 * totalMs) / LEADS).toFixed(0)}${POSTGRES ? ', each from sending to answer, summed over connections' : ''}):\n`,
  );
  const slowest = [...statementMs].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
  for (const [text, ms] of slowest)
    process.stdout.write(
      `${((1000 * ms) / LEADS).toFixed(1).padStart(7)}  ${text.replace(/\s+/g, ' ').slice(0, 110)}\n`,
    );
  if (last?.databaseTime) {
    process.stdout.write(
      `\ndatabase execution time until the events were processed, µs per lead (pg_stat_statements, of ${last.databaseTime.usPerLead.toFixed(0)}):\n`,
    );
    for (const { us, text } of last.databaseTime.top)
      process.stdout.write(`${us.toFixed(1).padStart(7)}  ${text.slice(0, 110)}\n`);
  }
  const file = writeResult(
    `${POSTGRES ? `drain-${database.replace(/ \+ /, '-')}` : 'drain'}${values.only ? `-${values.only}` : ''}${WORKERS > 1 ? `-${WORKERS}-workers` : ''}${WORKSPACES > 1 ? `-${WORKSPACES}-workspaces` : ''}`,
    {
      command: `node bench/drain.ts --leads ${LEADS} --runs ${values.runs}${POSTGRES ? ` --postgres --broker ${values.broker}` : ''}${values.only ? ` --only ${values.only}` : ''}${values.concurrency ? ` --concurrency ${values.concurrency}` : ''}${WORKERS > 1 ? ` --workers ${WORKERS}` : ''}${WORKSPACES > 1 ? ` --workspaces ${WORKSPACES}` : ''}${values['pg-stat'] ? ' --pg-stat' : ''}`,
      database,
      workerProcesses: WORKERS,
      roundTripsPerLead: POSTGRES ? summary.statementsPerLead : 0,
      ...(last?.databaseTime ? { databaseExecUsPerLead: Math.round(last.databaseTime.usPerLead) } : {}),
      leads: LEADS,
      median: summary,
      runs,
      topStatements: top.map(([sql, n]) => ({ sql, perLead: Number((n / LEADS).toFixed(2)) })),
      statementMicrosecondsPerLead: Number(((1000 * totalMs) / LEADS).toFixed(1)),
      slowestStatements: slowest.map(([sql, ms]) => ({
        sql,
        microsecondsPerLead: Number(((1000 * ms) / LEADS).toFixed(1)),
      })),
    },
  );
  process.stdout.write(`wrote ${file}\n`);
}
