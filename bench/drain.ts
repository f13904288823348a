/**
 * npm run bench:drain — what the pipeline costs per lead, without HTTP: how fast the in-process
 * workers drain a backlog, how many SQL statements and how much JavaScript allocation one
 * processed lead takes. Allocation drives garbage collection and so the server's peak memory,
 * which bench:ingest measures at its drain, when workers run flat out.
 *
 * Accepts LEADS leads (the bench:ingest mix, benchLeadBody) through the
 * ingest service into a fresh SQLite file, then starts the workers and counts, until every event
 * is processed: statements by SQL text (node:sqlite's statement methods, wrapped), and bytes
 * allocated (V8's sampling heap profiler, counting objects already collected).
 * Usage: node bench/drain.ts [--leads 3000] [--runs 3] [--top 12]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatementSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../src/config/index.ts';
import { createRuntime } from '../src/main/runtime.ts';
import { benchLeadBody, printTable, writeResult } from './support.ts';

const { values } = parseArgs({
  options: {
    leads: { type: 'string', default: '3000' },
    runs: { type: 'string', default: '3' },
    top: { type: 'string', default: '12' },
  },
});
const LEADS = Number(values.leads);

const statements = new Map<string, number>();
let counting = false;
type StatementMethod = (this: StatementSync, ...args: unknown[]) => unknown;
const proto = StatementSync.prototype as unknown as Record<
  'all' | 'run' | 'get' | 'iterate',
  StatementMethod
>;
for (const method of ['all', 'run', 'get', 'iterate'] as const) {
  const original = proto[method];
  proto[method] = function (this: StatementSync, ...args: unknown[]) {
    if (counting) {
      // Multi-row statements differ only in their number of value tuples: count them as one text.
      const text = this.sourceSQL.replace(/\(\?(, \?)*\)(, \(\?(, \?)*\))*/g, '(…)');
      statements.set(text, (statements.get(text) ?? 0) + 1);
    }
    return original.apply(this, args);
  };
}

interface ProfileNode {
  selfSize: number;
  children: ProfileNode[];
}
const allocated = (node: ProfileNode): number =>
  node.children.reduce((sum, child) => sum + allocated(child), node.selfSize);

async function run(): Promise<{ leadsPerSecond: number; statementsPerLead: number; kibPerLead: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'leadloop-drain-'));
  const config = loadConfig({ LOG_LEVEL: 'silent', LEADLOOP_DATA_DIR: dir });
  const runtime = await createRuntime(config, {
    logger: pino({ level: 'silent' }),
    sqliteFile: join(dir, 'leadloop.db'),
  });
  try {
    const { workspace } = await runtime.tenants.createWorkspace({
      name: 'Drain',
      actor: { type: 'system', id: 'bench' },
    });
    const pending: Promise<unknown>[] = [];
    for (let n = 1; n <= LEADS; n++) {
      const rawBody = benchLeadBody(n);
      pending.push(
        runtime.ingest.acceptLead({
          workspaceId: workspace.id,
          source: 'webhook',
          idempotencyKey: `msg_${n}`,
          rawBody,
        }),
      );
      if (pending.length === 64) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);

    const session = new Session();
    session.connect();
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 16_384,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    statements.clear();
    counting = true;
    const started = performance.now();
    runtime.startWorkers(config.LEADLOOP_WORKER_CONCURRENCY);
    for (;;) {
      const row = await runtime.store.db
        .selectFrom('events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'accepted')
        .executeTakeFirstOrThrow();
      if (Number(row.n) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const elapsed = performance.now() - started;
    counting = false;
    const { profile } = await session.post('HeapProfiler.stopSampling');
    session.disconnect();
    await runtime.stopWorkers();
    const total = [...statements.values()].reduce((a, b) => a + b, 0);
    return {
      leadsPerSecond: Math.round((LEADS / elapsed) * 1000),
      statementsPerLead: total / LEADS,
      kibPerLead: allocated(profile.head as unknown as ProfileNode) / LEADS / 1024,
    };
  } finally {
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

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
  statementsPerLead: Number(median((r) => r.statementsPerLead).toFixed(1)),
  kibAllocatedPerLead: Math.round(median((r) => r.kibPerLead)),
};
printTable(
  runs.map((r, i) => ({
    run: i + 1,
    'drained leads/s': r.leadsPerSecond,
    'statements/lead': r.statementsPerLead.toFixed(1),
    'KiB allocated/lead': Math.round(r.kibPerLead),
  })),
);
process.stdout.write(
  `\nstatements per lead in the last run (of ${Math.round(summary.statementsPerLead * LEADS)}):\n`,
);
const top = [...statements].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
for (const [text, n] of top)
  process.stdout.write(`${(n / LEADS).toFixed(2).padStart(6)}  ${text.slice(0, 110)}\n`);
const file = writeResult('drain', {
  command: `node bench/drain.ts --leads ${LEADS} --runs ${values.runs}`,
  leads: LEADS,
  median: summary,
  runs,
  topStatements: top.map(([sql, n]) => ({ sql, perLead: Number((n / LEADS).toFixed(2)) })),
});
process.stdout.write(`wrote ${file}\n`);
