/**
 * npm run bench:accept — the CPU the accept side spends per signed webhook, without the pipeline:
 * starts the runtime and its HTTP app on a fresh SQLite file (synchronous=FULL, as `serve` runs
 * it) with no workers, signs REQUESTS webhooks of bench:ingest's mix beforehand (benchLeadBody,
 * signed as bench/ingest.ts signs them), sends them 64 at a time and counts the process's CPU
 * (`process.cpuUsage()`) per request. `--mode inject` goes through Fastify's `inject` (no
 * sockets: the application's share of the HTTP thread); `--mode socket` listens on loopback and
 * sends over keep-alive connections (node:http) from this process, so Node's HTTP parsing and the client's own work are
 * both in the figure (read it as an upper bound for the server's share).
 * Every request must answer 202; the events and jobs stored are checked against the count sent.
 * It runs under `npm start`'s Node flags (it starts itself again with them). Profile with
 * `node --cpu-prof --cpu-prof-dir=DIR bench/accept.ts --runs 1`: the profile of the measured window
 * is the child's (the run's window is printed in the profile's clock).
 * Usage: node bench/accept.ts [--requests 20000] [--warmup 3000] [--runs 3] [--mode inject|socket|both] [--alloc]
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../src/config/index.ts';
import { createRuntime } from '../src/main/runtime.ts';
import {
  benchWebhookSigner,
  countAllocations,
  printTable,
  type SignedWebhook,
  startArgs,
  writeResult,
} from './support.ts';

// The heap flags of `npm start` (the young generation's size sets how often, and how much, the
// collector copies): run again under them unless this process already is the measured one.
if (process.env.BENCH_ACCEPT_CHILD === undefined) {
  const flags = startArgs().filter((arg) => arg.startsWith('--'));
  const { status } = spawnSync(
    process.execPath,
    [
      ...flags,
      // Later flags win: BENCH_NODE_ARGS="--max-semi-space-size=16" measures another setting.
      ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      ...process.execArgv,
      import.meta.filename,
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit', env: { ...process.env, BENCH_ACCEPT_CHILD: '1' } },
  );
  process.exit(status ?? 1);
}

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '3000' },
    runs: { type: 'string', default: '3' },
    mode: { type: 'string', default: 'inject' },
    alloc: { type: 'boolean', default: false },
  },
});
const REQUESTS = Number(values.requests);
/** `--alloc`: also count bytes allocated per request (V8's sampling heap profiler, collected objects included). */
const ALLOC = values.alloc;
const WARMUP = Number(values.warmup);
const RUNS = Number(values.runs);
const MODES = values.mode === 'both' ? ['inject', 'socket'] : [values.mode as string];
for (const mode of MODES)
  if (mode !== 'inject' && mode !== 'socket')
    throw new Error(`--mode must be inject, socket or both: ${mode}`);
/** In flight at once, as bench:ingest's open loop keeps at most 64 on the wire. */
const CONCURRENCY = 64;

/** bench/ingest.ts's requests: the same bodies, ids and Standard Webhooks signature. */
function sign(secret: string, from: number, count: number): SignedWebhook[] {
  const signed = benchWebhookSigner(secret);
  const timestamp = Math.floor(Date.now() / 1000);
  return Array.from({ length: count }, (_, i) => signed(from + i, timestamp));
}

const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

const hrMicros = () => Number(process.hrtime.bigint() / 1000n);

type Send = (request: SignedWebhook) => Promise<number>;

/** Sends every request, CONCURRENCY at a time; throws on any answer but 202. */
async function sendAll(send: Send, requests: SignedWebhook[]): Promise<void> {
  for (let i = 0; i < requests.length; i += CONCURRENCY) {
    const statuses = await Promise.all(requests.slice(i, i + CONCURRENCY).map(send));
    const bad = statuses.find((s) => s !== 202);
    if (bad !== undefined) throw new Error(`a webhook was answered ${bad}, not 202`);
  }
}

interface RunResult {
  cpuMicrosPerRequest: number;
  requestsPerSecond: number;
  /** With --alloc: KiB allocated per request. */
  kibPerRequest: number | null;
  windowUs: number[];
}

async function run(mode: string): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'leadloop-accept-'));
  const file = join(dir, 'leadloop.db');
  const config = loadConfig({
    LOG_LEVEL: 'info',
    LEADLOOP_DATA_DIR: dir,
    LEADLOOP_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
  });
  // `serve` logs at info; request logging is off in the app, so nothing is written per request.
  const runtime = await createRuntime(config, {
    logger: pino({ level: 'info' }, pino.destination('/dev/null')),
    sqliteFile: file,
  });
  let agent: Agent | null = null;
  try {
    const created = await runtime.tenants.createWorkspace({
      name: 'Accept bench',
      actor: { type: 'system', id: 'bench' },
    });
    const workspaceId = created.workspace.id;
    // The benchmark measures acceptance, not the per-workspace limiter (which still runs).
    await runtime.tenants.updateSettings(
      workspaceId,
      { rateLimit: { perSecond: 100_000, burst: 200_000 } },
      { type: 'system', id: 'bench' },
    );
    const http = await runtime.createHttp();
    runtime.lifecycle.set('ready');
    const url = `/v1/webhooks/${workspaceId}/leads`;
    let send: Send;
    if (mode === 'socket') {
      await http.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = http.app.server.address() as AddressInfo;
      const keepAlive = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
      agent = keepAlive;
      send = ({ headers, body }) =>
        new Promise((resolve, reject) => {
          const req = httpRequest(
            { agent: keepAlive, host: '127.0.0.1', port, method: 'POST', path: url, headers },
            (response) => {
              response.resume();
              response.once('end', () => resolve(response.statusCode ?? 0));
            },
          );
          req.once('error', reject);
          req.end(body);
        });
    } else {
      send = async ({ headers, body }) =>
        (await http.app.inject({ method: 'POST', url, headers, payload: body })).statusCode;
    }

    await sendAll(send, sign(created.webhookSecret, 1, WARMUP));
    const requests = sign(created.webhookSecret, WARMUP + 1, REQUESTS);
    const allocations = ALLOC ? await countAllocations() : null;
    const cpuBefore = cpuMicros();
    const started = performance.now();
    await sendAll(send, requests);
    const elapsed = performance.now() - started;
    const cpu = cpuMicros() - cpuBefore;
    // The measured window on the monotonic clock a --cpu-prof profile's timestamps use (µs).
    const windowUs = [hrMicros() - Math.round(elapsed * 1000), hrMicros()];
    let kibPerRequest: number | null = null;
    if (allocations) kibPerRequest = (await allocations.stop()) / REQUESTS / 1024;

    agent?.destroy();
    agent = null;
    http.closeStreams();
    await http.app.close();
    const db = new DatabaseSync(file, { readOnly: true });
    const count = (table: string) =>
      Number((db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n);
    const stored = { events: count('events'), jobs: count('jobs') };
    db.close();
    if (stored.events !== WARMUP + REQUESTS || stored.jobs < stored.events)
      throw new Error(`stored ${stored.events} events and ${stored.jobs} jobs for ${WARMUP + REQUESTS} 202s`);
    return {
      cpuMicrosPerRequest: cpu / REQUESTS,
      requestsPerSecond: Math.round((REQUESTS / elapsed) * 1000),
      kibPerRequest,
      windowUs,
    };
  } finally {
    agent?.destroy();
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

const rows: Record<string, string | number>[] = [];
const results: Record<string, unknown>[] = [];
for (const mode of MODES) {
  const runs: RunResult[] = [];
  for (let i = 0; i < RUNS; i++) {
    const result = await run(mode);
    runs.push(result);
    process.stderr.write(
      `${mode} run ${i + 1}: ${result.cpuMicrosPerRequest.toFixed(1)} CPU µs/request, ${result.requestsPerSecond}/s` +
        `${result.kibPerRequest === null ? '' : `, ${result.kibPerRequest.toFixed(1)} KiB allocated/request`}` +
        ` (window ${result.windowUs.join('-')} µs)\n`,
    );
  }
  const cpu = median(runs.map((r) => r.cpuMicrosPerRequest));
  const rate = median(runs.map((r) => r.requestsPerSecond));
  rows.push({
    mode,
    requests: REQUESTS,
    runs: RUNS,
    'CPU µs/request (median)': cpu,
    'CPU µs/request (runs)': runs.map((r) => r.cpuMicrosPerRequest.toFixed(0)).join(' / '),
    'requests/s (median)': rate,
    ...(ALLOC ? { 'KiB allocated/request (median)': median(runs.map((r) => r.kibPerRequest ?? 0)) } : {}),
  });
  results.push({ mode, cpuMicrosPerRequest: cpu, requestsPerSecond: rate, runs });
}
printTable(rows);
const written = writeResult('accept', {
  requests: REQUESTS,
  warmup: WARMUP,
  concurrency: CONCURRENCY,
  nodeFlags: process.execArgv,
  loadAverage: loadavg(),
  results,
});
process.stderr.write(`wrote ${written}\n`);
