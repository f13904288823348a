import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Cluster, startCluster } from './support/cluster.ts';
import { type HttpSink, startHttpSink } from './support/sinks.ts';
import { crashWorkflow, setUpWorkflow, startRuns, timerWorkflow, until } from './support/workflow-crash.ts';

/**
 * The workflow engine's crash test on PostgreSQL with a broker, as it runs scaled out: an API
 * process starts the runs, worker processes execute their steps, and the workers are SIGKILLed
 * while runs are in flight and while timers wait. Afterwards every acknowledged run has finished,
 * the sink has seen each run's idempotency key (repeats of a key are deliveries the receiver
 * deduplicates, as the key is there for), every step row is settled once, and every timer fired
 * from its due row, never before it was due. `WORKFLOW_CRASH_RUNS` sets the number of runs.
 */
const adminUrl = process.env.TEST_DATABASE_URL;
const RUNS = Number(process.env.WORKFLOW_CRASH_RUNS ?? 300);

const BROKERS = [
  { name: 'Redis (BullMQ)', env: 'TEST_REDIS_URL', variable: 'REDIS_URL' },
  { name: 'RabbitMQ', env: 'TEST_AMQP_URL', variable: 'QUEUE_URL' },
] as const;

async function count(cluster: Cluster, sql: string, values?: unknown[]): Promise<number> {
  const [row] = await cluster.query<{ n: string }>(sql, values);
  return Number(row?.n ?? 0);
}

for (const broker of BROKERS) {
  const brokerUrl = process.env[broker.env];
  describe(`workflow runs across SIGKILLed workers (PostgreSQL + ${broker.name}, processes)`, {
    skip: !adminUrl ? 'TEST_DATABASE_URL is not set' : !brokerUrl ? `${broker.env} is not set` : false,
  }, () => {
    let cluster: Cluster;
    let sink: HttpSink;
    before(async () => {
      sink = await startHttpSink();
      cluster = await startCluster(adminUrl as string, {
        redis: false,
        workers: 2,
        workerConcurrency: 8,
        // Short leases, so that a killed worker's jobs are taken over within the test's patience.
        env: {
          [broker.variable]: brokerUrl as string,
          LEADLOOP_QUEUE_VISIBILITY_MS: '2000',
          LEADLOOP_QUEUE_RESEND_AFTER_MS: '3000',
        },
      });
    });
    after(async () => {
      await cluster?.close();
      await sink?.close();
    });

    it(`finishes every run, each idempotency key reaching the sink (${RUNS} runs, workers killed mid-flight)`, {
      timeout: 600_000,
    }, async () => {
      const { apiKey } = cluster.workspace;
      const workflowId = await setUpWorkflow(cluster.apiUrl, apiKey, crashWorkflow(sink.url));
      const open = () =>
        count(
          cluster,
          "select count(*) as n from workflow_runs where workflow_id = $1 and status in ('queued','running')",
          [workflowId],
        );
      const effects = () => sink.requests.filter((r) => r.url === '/effect').length;
      const accepted = await startRuns(cluster.apiUrl, apiKey, workflowId, RUNS);
      assert.equal(accepted.length, RUNS, 'the API acknowledged every run');

      // One worker dies early (the other takes its leased jobs over once their leases lapse), then
      // the last one dies while runs are in flight, and a fresh worker picks up what is left.
      await until(async () => effects() >= RUNS / 8, 300_000);
      await cluster.killWorker(0, 'SIGKILL');
      await until(async () => effects() >= RUNS / 3, 300_000);
      await cluster.killWorker(1, 'SIGKILL');
      const unfinishedAtKill = await open();
      await cluster.startWorker();
      const finished = await until(async () => (await open()) === 0, Math.max(300_000, RUNS * 400));
      assert.ok(finished, `${await open()} runs still open\n${cluster.output().slice(-3000)}`);

      const runs = await cluster.query<{ id: string; status: string }>(
        'select id, status from workflow_runs where workflow_id = $1',
        [workflowId],
      );
      const statuses: Record<string, number> = {};
      for (const r of runs) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      assert.deepEqual(statuses, { completed: RUNS }, 'every run finished, and no run was invented');
      assert.deepEqual(
        new Set(runs.map((r) => r.id)),
        new Set(accepted),
        'the runs are the acknowledged ones',
      );

      const keys = sink.requests
        .filter((r) => r.url === '/effect')
        .map((r) => String(r.headers['idempotency-key']));
      const distinct = new Set(keys);
      assert.deepEqual(
        distinct,
        new Set(accepted.map((id) => `${id}:call#1`)),
        'one key per run at the sink, no other',
      );
      const steps = await cluster.query<{ step_id: string; status: string; n: string }>(
        `select s.step_id, s.status, count(*) as n from workflow_steps s
          join workflow_runs r on r.id = s.run_id where r.workflow_id = $1 group by s.step_id, s.status`,
        [workflowId],
      );
      assert.deepEqual(
        Object.fromEntries(steps.map((s) => [`${s.step_id}:${s.status}`, Number(s.n)])),
        { 'check:completed': RUNS, 'call:completed': RUNS, 'mark:completed': RUNS },
        'each step of each run settled once',
      );
      const actions = await count(
        cluster,
        "select count(*) as n from audit_log where action = 'workflow.action' and data::text like '%call#1%'",
      );
      assert.equal(actions, RUNS, 'one audit entry per outbound call');
      assert.ok(
        await until(
          async () =>
            (await count(cluster, "select count(*) as n from jobs where name = 'workflow.step'")) === 0,
          30_000,
        ),
        'no workflow.step job left behind',
      );
      assert.ok(unfinishedAtKill > 0, 'the workers died while runs were in flight');
      process.stderr.write(
        `workflow crash test (PostgreSQL + ${broker.name}): ${runs.length} runs, ${unfinishedAtKill} unfinished at the kill, ${keys.length} requests at the sink for ${distinct.size} keys (${keys.length - distinct.size} repeated deliveries, deduplicated by key)\n`,
      );
    });

    it('fires every timer after the workers were killed, from its durable due row, never before due', {
      timeout: 300_000,
    }, async () => {
      const { apiKey } = cluster.workspace;
      const TIMERS = 20;
      const workflowId = await setUpWorkflow(cluster.apiUrl, apiKey, timerWorkflow(sink.url, 8_000));
      const accepted = await startRuns(cluster.apiUrl, apiKey, workflowId, TIMERS);
      assert.equal(accepted.length, TIMERS);
      const waiting = () =>
        count(
          cluster,
          `select count(*) as n from workflow_steps s join workflow_runs r on r.id = s.run_id
            where r.workflow_id = $1 and s.step_id = 'pause' and s.status = 'waiting'`,
          [workflowId],
        );
      assert.ok(await until(async () => (await waiting()) === TIMERS, 60_000), 'every run waits');
      // Every worker goes away while the timers are pending; a new one starts later.
      for (let i = 0; i < 8; i++) await cluster.killWorker(i, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 1_000));
      await cluster.startWorker();
      const completed = () =>
        count(
          cluster,
          "select count(*) as n from workflow_runs where workflow_id = $1 and status = 'completed'",
          [workflowId],
        );
      assert.ok(
        await until(async () => (await completed()) === TIMERS, 120_000),
        `${await completed()} fired`,
      );
      const waits = await cluster.query<{ output: string }>(
        `select s.output from workflow_steps s join workflow_runs r on r.id = s.run_id
          where r.workflow_id = $1 and s.step_id = 'pause' and s.status = 'completed'`,
        [workflowId],
      );
      assert.equal(waits.length, TIMERS, 'every wait settled once');
      const late = waits.map((w) => (JSON.parse(w.output) as { lateMs: number }).lateMs);
      for (const lateMs of late)
        assert.ok(Number.isFinite(lateMs) && lateMs >= 0, `fired ${lateMs} ms after due`);
      const calls = sink.requests.filter((r) => r.url === '/timer');
      assert.deepEqual(
        new Set(calls.map((r) => String(r.headers['idempotency-key']))),
        new Set(accepted.map((id) => `${id}:call#1`)),
        'each timer acted, under its own key',
      );
      process.stderr.write(
        `workflow timers after the workers were killed (PostgreSQL + ${broker.name}): late by max ${Math.max(...late)} ms\n`,
      );
    });
  });
}
