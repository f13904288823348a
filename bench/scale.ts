/**
 * npm run bench:scale — embedded mode versus PostgreSQL + Redis with 1 API and 1 or 2 worker
 * processes, on this machine.
 *
 * For each deployment:
 *   1. load: autocannon posts leads (POST /v1/leads, API key) for DURATION seconds; accepted/s and
 *      the request latency; then we wait for every event to be processed and report processed
 *      end-to-end per second (first request to last processed event) and the p99 of each event's
 *      accepted → processed time;
 *   2. backlog: with no worker running, BACKLOG events are accepted; then the workers start and we
 *      time the drain.
 * Leads are spread round-robin over --workspaces workspaces (default 4).
 * Usage: node bench/scale.ts [--duration 15] [--connections 32] [--backlog 50000] [--workspaces 4] [--only embedded,redis-1,redis-2,rabbitmq-1,rabbitmq-2]
 * Needs BENCH_DATABASE_URL or TEST_DATABASE_URL (a PostgreSQL superuser URL) for the scaled modes.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import autocannon, { type Request } from 'autocannon';
import { deleteRabbitmqTopology } from '../src/queue/testing/rabbitmq-test-support.ts';
import { type Cluster, freePort, startCluster } from '../test/support/cluster.ts';
import { printTable, startArgs, writeResult } from './support.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '32' },
    backlog: { type: 'string', default: '50000' },
    only: { type: 'string' },
    workspaces: { type: 'string', default: '4' },
  },
});
/** Leads are spread over this many workspaces: each workspace's audit chain is one serial order. */
const WORKSPACES = Number(values.workspaces);
const duration = Number(values.duration);
const connections = Number(values.connections);
const backlog = Number(values.backlog);
const adminUrl =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/test';
const root = join(import.meta.dirname, '..');
/** The RabbitMQ the `rabbitmq-1` mode dispatches through (the machine's own; a prefix per run). */
const amqpUrl =
  process.env.BENCH_AMQP_URL ?? process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** What the benchmark needs of a running deployment, whatever its storage. */
interface Deployment {
  name: string;
  url: string;
  /** One admin key per workspace; the load is spread over them round-robin. */
  apiKeys: string[];
  /** Events stored, processed, and the e2e figures over the processed ones. */
  stats(): Promise<{
    events: number;
    processed: number;
    firstCreated: number;
    lastProcessed: number;
    p99Ms: number;
  }>;
  /** Starts the processing side (workers) after a backlog was accepted without it. */
  startWorkers(): Promise<void>;
  close(): Promise<void>;
}

function leadRequests(prefix: string, apiKeys: string[]) {
  let n = 0;
  const titles = ['VP Sales', 'Director of Marketing', 'Engineer', 'CEO', 'Student', 'Marketing Manager'];
  return (request: Request): Request => {
    n++;
    return {
      ...request,
      method: 'POST',
      headers: headersFor(apiKeys[n % apiKeys.length] as string),
      body: JSON.stringify({
        email: `${prefix}${n}@company${n % 997}.example.com`,
        title: titles[n % titles.length],
        company: `Company ${n % 997}`,
        source: 'webinar',
      }),
    };
  };
}

function headersFor(apiKey: string) {
  return { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
}

async function liftRateLimit(url: string, apiKey: string): Promise<void> {
  const response = await fetch(`${url}/v1/workspace/settings`, {
    method: 'PUT',
    headers: { ...headersFor(apiKey), connection: 'close' },
    body: JSON.stringify({ rateLimit: { perSecond: 100_000, burst: 200_000 } }),
  });
  if (!response.ok)
    throw new Error(`could not lift the rate limit: ${response.status} ${await response.text()}`);
}

// --- embedded: one `leadloop serve` process on SQLite -------------------------------------------

async function startServe(dataDir: string, role: 'all' | 'api', port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [...startArgs(), 'serve', '--data-dir', dataDir, '--port', String(port), '--role', role],
    { env: embeddedEnv(), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('running at')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  return child;
}

/** The environment without any PostgreSQL or Redis setting: embedded storage and queue. */
function embeddedEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  for (const key of ['DATABASE_URL', 'DATABASE_OWNER_URL', 'REDIS_URL']) delete env[key];
  return env;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

async function embedded(withWorkers: boolean): Promise<Deployment> {
  const dataDir = mkdtempSync(join(tmpdir(), 'leadloop-scale-'));
  const port = await freePort();
  let child = await startServe(dataDir, withWorkers ? 'all' : 'api', port);
  const demo = JSON.parse(readFileSync(join(dataDir, 'demo-credentials.json'), 'utf8')) as { apiKey: string };
  const file = join(dataDir, 'leadloop.db');
  const apiKeys = [demo.apiKey];
  for (let i = 1; i < WORKSPACES; i++) {
    const created = spawnSync(
      process.execPath,
      [join(root, 'src/main/cli.ts'), 'workspace', 'create', `Bench ${i}`, '--json', '--data-dir', dataDir],
      { env: embeddedEnv(), encoding: 'utf8' },
    );
    if (created.status !== 0) throw new Error(`workspace create failed: ${created.stderr}`);
    apiKeys.push(
      (JSON.parse(created.stdout.trim().split('\n').at(-1) as string) as { apiKey: string }).apiKey,
    );
  }
  return {
    name: 'embedded (SQLite, 1 process)',
    url: `http://127.0.0.1:${port}`,
    apiKeys,
    async stats() {
      const db = new DatabaseSync(file, { readOnly: true });
      try {
        const rows = db
          .prepare("select created_at as c, processed_at as p from events where status = 'processed'")
          .all() as { c: number; p: number }[];
        const events = Number((db.prepare('select count(*) as n from events').get() as { n: number }).n);
        const latencies = rows.map((r) => Number(r.p) - Number(r.c)).sort((a, b) => a - b);
        return {
          events,
          processed: rows.length,
          // A loop, not Math.min(...rows): a spread of 150,000 arguments overflows the stack.
          firstCreated: rows.reduce((min, r) => Math.min(min, Number(r.c)), Number.POSITIVE_INFINITY),
          lastProcessed: rows.reduce((max, r) => Math.max(max, Number(r.p)), Number.NEGATIVE_INFINITY),
          p99Ms: percentile(latencies, 0.99),
        };
      } finally {
        db.close();
      }
    },
    async startWorkers() {
      // Embedded mode has its workers in the server: restart it with them.
      await stop(child);
      child = await startServe(dataDir, 'all', port);
    },
    async close() {
      await stop(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// --- scaled: PostgreSQL + Redis or RabbitMQ, 1 API process and N worker processes -----------------

async function scaled(
  workers: number,
  startNow: boolean,
  broker: 'redis' | 'rabbitmq' = 'redis',
): Promise<Deployment> {
  const cluster: Cluster = await startCluster(adminUrl, {
    redis: broker === 'redis',
    ...(broker === 'rabbitmq' ? { env: { QUEUE_URL: amqpUrl } } : {}),
    workers: startNow ? workers : 0,
    workerConcurrency: 16,
  });
  return {
    name: `PostgreSQL + ${broker === 'redis' ? 'Redis' : 'RabbitMQ'}, 1 API + ${workers} worker${workers > 1 ? 's' : ''}`,
    url: cluster.apiUrl,
    apiKeys: [
      cluster.workspace.apiKey,
      ...Array.from({ length: WORKSPACES - 1 }, (_, i) => cluster.createWorkspace(`Bench ${i + 1}`).apiKey),
    ],
    async stats() {
      const [row] = await cluster.query<Record<string, string | null>>(
        `select (select count(*) from events) as events, count(*) as processed,
                min(created_at) as first_created, max(processed_at) as last_processed,
                percentile_disc(0.99) within group (order by processed_at - created_at) as p99
           from events where status = 'processed'`,
      );
      return {
        events: Number(row?.events ?? 0),
        processed: Number(row?.processed ?? 0),
        firstCreated: Number(row?.first_created ?? 0),
        lastProcessed: Number(row?.last_processed ?? 0),
        p99Ms: Number(row?.p99 ?? 0),
      };
    },
    async startWorkers() {
      for (let i = 0; i < workers; i++) await cluster.startWorker();
    },
    async close() {
      await cluster.close();
      // The cluster's queue prefix is its database's name; its RabbitMQ queues go with it.
      if (broker === 'rabbitmq')
        await deleteRabbitmqTopology(amqpUrl, new URL(cluster.ownerUrl).pathname.slice(1)).catch(() => {});
    },
  };
}

async function drained(d: Deployment, expected: number, timeoutMs = 600_000) {
  const deadline = Date.now() + timeoutMs;
  let last = await d.stats();
  let reported = 0;
  // Requests in flight when the load stopped may be stored without their 202 counted: wait for those too.
  while ((last.processed < expected || last.processed < last.events) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    last = await d.stats();
    if (Date.now() - reported > 5000) {
      process.stderr.write(`  processed ${last.processed}/${expected}\n`);
      reported = Date.now();
    }
  }
  if (last.processed < expected) throw new Error(`${d.name}: only ${last.processed}/${expected} processed`);
  return last;
}

interface ScaleResult {
  deployment: string;
  acceptedPerSecond: number;
  requestP99Ms: number;
  non2xx: number;
  processedPerSecond: number;
  endToEndP99Ms: number;
  drainSeconds: number;
  drainPerSecond: number;
}

async function measure(
  label: string,
  make: (startWorkers: boolean) => Promise<Deployment>,
): Promise<ScaleResult> {
  process.stderr.write(`\n${label}: load for ${duration}s with ${connections} connections\n`);
  const live = await make(true);
  let load: Omit<ScaleResult, 'deployment' | 'drainSeconds' | 'drainPerSecond'>;
  try {
    for (const key of live.apiKeys) await liftRateLimit(live.url, key);
    const started = Date.now();
    const result = await autocannon({
      url: `${live.url}/v1/leads`,
      connections,
      duration,
      requests: [{ setupRequest: leadRequests('load', live.apiKeys) }],
    });
    const acceptedPerSecond = result['2xx'] / ((Date.now() - started) / 1000);
    const final = await drained(live, result['2xx']);
    load = {
      acceptedPerSecond: Math.round(acceptedPerSecond),
      requestP99Ms: result.latency.p99,
      non2xx: result.non2xx + result.errors,
      processedPerSecond: Math.round(final.processed / ((final.lastProcessed - started) / 1000)),
      endToEndP99Ms: final.p99Ms,
    };
  } finally {
    await live.close();
  }

  process.stderr.write(`${label}: backlog of ${backlog} events accepted without workers, then drained\n`);
  const cold = await make(false);
  let drain: Pick<ScaleResult, 'drainSeconds' | 'drainPerSecond'>;
  try {
    for (const key of cold.apiKeys) await liftRateLimit(cold.url, key);
    const result = await autocannon({
      url: `${cold.url}/v1/leads`,
      connections,
      amount: backlog,
      requests: [{ setupRequest: leadRequests('backlog', cold.apiKeys) }],
    });
    if (result['2xx'] !== backlog) throw new Error(`backlog: ${result['2xx']} of ${backlog} accepted`);
    const started = Date.now();
    await cold.startWorkers();
    await drained(cold, backlog);
    const seconds = (Date.now() - started) / 1000;
    drain = { drainSeconds: Math.round(seconds * 10) / 10, drainPerSecond: Math.round(backlog / seconds) };
  } finally {
    await cold.close();
  }
  return { deployment: label, ...load, ...drain };
}

const modes: Record<string, [string, (startWorkers: boolean) => Promise<Deployment>]> = {
  embedded: ['embedded (SQLite, 1 process)', (w) => embedded(w)],
  'redis-1': ['PostgreSQL + Redis, 1 API + 1 worker', (w) => scaled(1, w)],
  'redis-2': ['PostgreSQL + Redis, 1 API + 2 workers', (w) => scaled(2, w)],
  'rabbitmq-1': ['PostgreSQL + RabbitMQ, 1 API + 1 worker', (w) => scaled(1, w, 'rabbitmq')],
  'rabbitmq-2': ['PostgreSQL + RabbitMQ, 1 API + 2 workers', (w) => scaled(2, w, 'rabbitmq')],
};
const chosen = values.only ? values.only.split(',') : Object.keys(modes);
const results: ScaleResult[] = [];
for (const key of chosen) {
  const mode = modes[key];
  if (!mode) throw new Error(`unknown mode ${key}; choose from ${Object.keys(modes).join(', ')}`);
  results.push(await measure(mode[0], mode[1]));
}
printTable(
  results.map((r) => ({
    deployment: r.deployment,
    'accepted/s': r.acceptedPerSecond,
    'request p99 ms': r.requestP99Ms,
    'processed e2e/s': r.processedPerSecond,
    'e2e p99 ms': r.endToEndP99Ms,
    [`drain ${backlog} s`]: r.drainSeconds,
    'drain/s': r.drainPerSecond,
  })),
);
const out = writeResult('scale', {
  workspaces: WORKSPACES,
  command: `node bench/scale.ts --duration ${duration} --connections ${connections} --backlog ${backlog} --workspaces ${WORKSPACES}${values.only ? ` --only ${values.only}` : ''}`,
  duration,
  connections,
  backlog,
  results,
});
process.stdout.write(`written to ${out}\n`);
