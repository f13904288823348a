/**
 * npm run bench:ingest — loopback load on signed webhooks against a server started here.
 *
 * Phases (each on a fresh data directory, one server process with in-process workers):
 *   1. accept: autocannon sends signed Standard Webhooks for DURATION seconds; we report accepted/s,
 *      p50/p99 latency and non-2xx answers.
 *   2. drain: we wait until every accepted event is processed (normalised, deduplicated, scored,
 *      audited), read from the database, and report end-to-end processed leads/s from the first
 *      request to the last processed event.
 * Checks: 2xx answers == events stored == events processed (nothing lost, nothing doubled), and
 * peak RSS of the server process. Usage: node bench/ingest.ts [--duration 20] [--connections 64]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import autocannon, { type Request } from 'autocannon';
import { peakRssMiB, printTable, writeResult } from './support.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    connections: { type: 'string', default: '64' },
    port: { type: 'string', default: '3917' },
    role: { type: 'string', default: 'all' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const port = Number(values.port);
const root = join(import.meta.dirname, '..');

interface Demo {
  workspaceId: string;
  apiKey: string;
  webhookSecret: string;
}

/** The Node flags of `npm start`, so the benchmark measures the server as users run it. */
function startFlags(): string[] {
  const start = (
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }
  ).scripts.start;
  return start.split(' ').filter((token) => token.startsWith('--'));
}

async function startServer(dataDir: string): Promise<{ child: ChildProcess; demo: Demo }> {
  const child = spawn(
    process.execPath,
    [
      ...startFlags(),
      ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      join(root, 'src/main/cli.ts'),
      'serve',
      '--data-dir',
      dataDir,
      '--port',
      String(port),
      '--role',
      String(values.role),
    ],
    {
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Try it:')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  const demo = JSON.parse(readFileSync(join(dataDir, 'demo-credentials.json'), 'utf8')) as Demo;
  return { child, demo };
}

function signer(secret: string) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  let n = 0;
  const titles = ['VP Sales', 'Director of Marketing', 'Engineer', 'CEO', 'Student', 'Marketing Manager'];
  const sources = ['demo-request', 'webinar', 'referral', 'newsletter'];
  return (request: Request): Request => {
    n++;
    // One lead in five repeats an earlier email, so the dedupe/merge path is exercised too.
    const person = n % 5 === 0 ? Math.floor(n / 2) : n;
    const body = JSON.stringify({
      email: `person${person}@company${person % 997}.example.com`,
      name: `Person ${person}`,
      title: titles[n % titles.length],
      company: `Company ${person % 997}`,
      source: sources[n % sources.length],
      attributes: { employees: (n * 37) % 5000 },
    });
    const id = `msg_bench_${process.pid}_${n}`;
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
    return {
      ...request,
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': `v1,${signature}`,
      },
    };
  };
}

/** How many of the given event ids are stored, and how many of those are processed. */
function statusOf(file: string, ids: string[]): { stored: number; processed: number } {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    let stored = 0;
    let processed = 0;
    const statement = db.prepare('select status from events where id = ?');
    for (const id of ids) {
      const row = statement.get(id) as { status: string } | undefined;
      if (row) stored++;
      if (row?.status === 'processed') processed++;
    }
    return { stored, processed };
  } finally {
    db.close();
  }
}

function counts(file: string): {
  events: number;
  processed: number;
  failed: number;
  leads: number;
  lastProcessedAt: number;
  firstAcceptedAt: number;
} {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const row = db
      .prepare(
        `select count(*) as events, sum(status = 'processed') as processed, sum(status = 'failed') as failed,
         max(processed_at) as lastProcessedAt, min(created_at) as firstAcceptedAt, (select count(*) from leads) as leads from events`,
      )
      .get() as Record<string, number | null>;
    return {
      events: Number(row.events ?? 0),
      processed: Number(row.processed ?? 0),
      failed: Number(row.failed ?? 0),
      leads: Number(row.leads ?? 0),
      lastProcessedAt: Number(row.lastProcessedAt ?? 0),
      firstAcceptedAt: Number(row.firstAcceptedAt ?? 0),
    };
  } finally {
    db.close();
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'leadloop-bench-'));
const { child, demo } = await startServer(dataDir);
process.stderr.write(`server pid ${child.pid}; ${connections} connections for ${duration}s\n`);
// The benchmark measures ingestion, not the per-workspace limiter: lift the demo workspace's limit.
const settings = await fetch(`http://127.0.0.1:${port}/v1/workspace/settings`, {
  method: 'PUT',
  headers: {
    authorization: `Bearer ${demo.apiKey}`,
    'content-type': 'application/json',
    connection: 'close',
  },
  body: JSON.stringify({ rateLimit: { perSecond: 100_000, burst: 200_000 } }),
});
if (!settings.ok)
  throw new Error(`could not lift the rate limit: ${settings.status} ${await settings.text()}`);
const url = `http://127.0.0.1:${port}/v1/webhooks/${demo.workspaceId}/leads`;
const sign = signer(demo.webhookSecret);
const acceptedIds: string[] = [];
const onResponse = (status: number, body: string) => {
  if (status === 202) acceptedIds.push((JSON.parse(body) as { eventId: string }).eventId);
};

// A short warm-up so the JIT has compiled the hot path before we measure.
await autocannon({ url, connections: 8, duration: 2, requests: [{ setupRequest: sign, onResponse }] });
const warm = counts(join(dataDir, 'leadloop.db')).events;

const started = Date.now();
const result = await autocannon({
  url,
  connections,
  duration,
  requests: [{ setupRequest: sign, onResponse }],
});
const acceptedPerSecond = result['2xx'] / ((Date.now() - started) / 1000);

process.stderr.write('load done; waiting for every accepted event to be processed\n');
const file = join(dataDir, 'leadloop.db');
let final = counts(file);
const drainDeadline = Date.now() + 300_000;
while (final.processed + final.failed < final.events && Date.now() < drainDeadline) {
  await new Promise((r) => setTimeout(r, 250));
  final = counts(file);
}
const rss = child.pid ? peakRssMiB(child.pid) : null;
// The server's own view of its memory, to tell V8 heap from native allocations.
// A fresh connection: an idle keep-alive socket from the settings call may have been closed by now.
const metricsText = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { connection: 'close' } })
  .then((r) => r.text())
  .catch(() =>
    fetch(`http://127.0.0.1:${port}/metrics`, { headers: { connection: 'close' } }).then((r) => r.text()),
  )
  .catch((error: unknown) => `# metrics unavailable: ${String(error)}`);
const gauge = (name: string) =>
  Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metricsText)?.[1] ?? Number.NaN) / 2 ** 20;
const memory = {
  heapUsedMiB: gauge('leadloop_nodejs_heap_size_used_bytes'),
  heapTotalMiB: gauge('leadloop_nodejs_heap_size_total_bytes'),
  externalMiB: gauge('leadloop_nodejs_external_memory_bytes'),
  rssNowMiB: gauge('leadloop_process_resident_memory_bytes'),
};
process.stderr.write(`memory at the end: ${JSON.stringify(memory)}\n`);
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));

const measured = final.events - warm;
const endToEndSeconds = (final.lastProcessedAt - started) / 1000;
// Every 202 the load generator saw (warm-up included) must be a stored, processed event. Requests
// still in flight when autocannon stops may be stored without their answer being counted.
const accepted = statusOf(file, acceptedIds);
const checks = {
  everyAcceptedEventStored: accepted.stored === acceptedIds.length,
  everyAcceptedEventProcessed: accepted.processed === acceptedIds.length,
  everyStoredEventProcessed: final.processed === final.events,
  noFailures: final.failed === 0 && result.non2xx === 0 && result.errors === 0,
};
const row = {
  'accepted/s': Math.round(acceptedPerSecond),
  'p50 ms': result.latency.p50,
  'p99 ms': result.latency.p99,
  '2xx': result['2xx'],
  'non-2xx': result.non2xx,
  errors: result.errors,
  'processed e2e/s': Math.round(measured / endToEndSeconds),
  'peak RSS MiB': rss === null ? 'n/a' : Math.round(rss),
};
printTable([row]);
process.stdout.write(`checks: ${JSON.stringify(checks)}\n`);
const out = writeResult('ingest', {
  command: `node bench/ingest.ts --duration ${duration} --connections ${connections}`,
  duration,
  connections,
  acceptedPerSecond,
  latencyMs: {
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
  },
  acceptedEventIdsChecked: acceptedIds.length,
  responses: { ok: result['2xx'], non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts },
  endToEnd: {
    events: measured,
    seconds: endToEndSeconds,
    processedPerSecond: measured / endToEndSeconds,
    leads: final.leads,
  },
  peakRssMiB: rss,
  memory,
  checks,
  targets: { acceptedPerSecond: 3000, p99Ms: 25, peakRssMiB: 250 },
});
process.stderr.write(`wrote ${out}\n`);
rmSync(dataDir, { recursive: true, force: true });
if (!Object.values(checks).every(Boolean)) process.exitCode = 1;
