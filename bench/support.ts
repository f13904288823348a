import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

/**
 * The bank-marketing CSV the optimiser benchmarks replay: `given` (their --data), else
 * ../shared/data/bank-marketing beside the repository (a worktree one level deeper finds it one more
 * level up).
 */
export function bankMarketingCsv(given: string | undefined): string {
  const found =
    given ??
    [join(import.meta.dirname, '..', '..', 'shared'), join(import.meta.dirname, '..', '..', '..', 'shared')]
      .map((dir) => join(dir, 'data', 'bank-marketing', 'bank-additional-full.csv'))
      .find((path) => existsSync(path));
  if (!found)
    throw new Error('bank-additional-full.csv not found under ../shared/data/bank-marketing; pass --data');
  return found;
}

/** Where every benchmark writes its JSON. */
export const RESULTS_DIR = join(import.meta.dirname, 'results');

export function writeResult(name: string, result: Record<string, unknown>): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  const machine = {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
  writeFileSync(
    file,
    `${JSON.stringify({ benchmark: name, at: new Date().toISOString(), machine, ...result }, null, 2)}\n`,
  );
  return file;
}

/** Prints rows as an aligned text table. */
export function printTable(rows: Record<string, string | number>[]): void {
  if (rows.length === 0) return;
  // Every column any row has, in the order they first appear (a capacity probe adds `held`).
  const headers = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cell = (v: string | number | undefined) =>
    typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : String(v ?? '');
  const widths = headers.map((h) => Math.max(h.length, ...rows.map((r) => cell(r[h]).length)));
  const line = (values: string[]) => `| ${values.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  process.stdout.write(`${line(headers)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`);
  for (const row of rows) process.stdout.write(`${line(headers.map((h) => cell(row[h])))}\n`);
}

/** Peak resident set size of a process, from /proc (Linux). */
export function peakRssMiB(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * `npm start`'s Node flags and entry file (absolute), so a benchmark runs the server as users do:
 * `[...flags, ...extraFlags, entry]`, to be followed by the command and its options.
 */
export function startArgs(extraFlags: string[] = []): string[] {
  const root = join(import.meta.dirname, '..');
  const start = (
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      scripts: { start: string };
    }
  ).scripts.start;
  const tokens = start.split(' ');
  const entry = tokens.find((token) => /\.(js|ts)$/.test(token));
  if (!entry) throw new Error(`no entry file in npm start: ${start}`);
  return [...tokens.filter((token) => token.startsWith('--')), ...extraFlags, join(root, entry)];
}

const TITLES = ['VP Sales', 'Director of Marketing', 'Engineer', 'CEO', 'Student', 'Marketing Manager'];
const SOURCES = ['demo-request', 'webinar', 'referral', 'newsletter'];

/**
 * The JSON body of the n-th lead (from 1) of the benchmarks' mix. One lead in five repeats an
 * earlier email, so the dedupe/merge path is exercised too.
 */
export function benchLeadBody(n: number): string {
  const person = n % 5 === 0 ? Math.floor(n / 2) : n;
  return JSON.stringify({
    email: `person${person}@company${person % 997}.example.com`,
    name: `Person ${person}`,
    title: TITLES[n % TITLES.length],
    company: `Company ${person % 997}`,
    source: SOURCES[n % SOURCES.length],
    attributes: { employees: (n * 37) % 5000 },
  });
}

/** A webhook as a client sends it: the JSON body and the Standard Webhooks headers. */
export interface SignedWebhook {
  body: string;
  headers: Record<string, string>;
}

/**
 * Signs the benchmarks' leads for a workspace's `whsec_` secret (Standard Webhooks): the n-th lead
 * of the mix (`benchLeadBody`) with webhook id `msg_bench_<pid>_<n>` and the given Unix timestamp.
 */
export function benchWebhookSigner(secret: string): (n: number, timestamp: number) => SignedWebhook {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return (n, timestamp) => {
    const body = benchLeadBody(n);
    const id = `msg_bench_${process.pid}_${n}`;
    const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
    return {
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

interface ProfileNode {
  selfSize: number;
  children: ProfileNode[];
}
const allocated = (node: ProfileNode): number =>
  node.children.reduce((sum, child) => sum + allocated(child), node.selfSize);

/**
 * Starts counting the bytes this thread allocates (V8's sampling heap profiler, objects already
 * collected included); `stop()` returns the count since the start.
 */
export async function countAllocations(): Promise<{ stop(): Promise<number> }> {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 16_384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return {
    async stop() {
      const { profile } = await session.post('HeapProfiler.stopSampling');
      session.disconnect();
      return allocated(profile.head as unknown as ProfileNode);
    },
  };
}
