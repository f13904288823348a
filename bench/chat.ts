/**
 * bench:chat — quality and speed of the dialog engine with the offline extractor.
 *
 *   node bench/chat.ts [--rounds 10] [--load 0.5,0.8]
 *
 * Quality: every scripted conversation under test/fixtures/conversations is played once; slot
 * precision, recall and F1 per slot type and overall, outcome accuracy, per split (dev / holdout).
 * Speed: the corpus is replayed `rounds` times; each `handle` call is timed (server-side turn
 * latency, p50/p99, and capacity in sessions per second), then sessions arrive at `load` × capacity
 * with think time between messages, and turn latency is measured again with queueing included.
 * Prints a table; writes bench/results/chat.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { evaluateCorpus, loadConversationFixtures, runConversation } from '../src/chat/index.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '10' }, load: { type: 'string', default: '0.5,0.8' } },
});
const rounds = Math.max(1, Number(values.rounds));
const loads = values.load
  .split(',')
  .map(Number)
  .filter((n) => n > 0 && n < 1);
const root = join(import.meta.dirname, '..');
const fixtures = await loadConversationFixtures(join(root, 'test/fixtures/conversations'));

const quality = await evaluateCorpus(fixtures);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? 0;
}

// Warm up the JIT and the regex caches before timing.
for (const fixture of fixtures) await runConversation(fixture);

const latencies: number[] = [];
const sequentialStart = performance.now();
for (let round = 0; round < rounds; round++) {
  for (const fixture of fixtures) {
    const { turnMs } = await runConversation(fixture, { timer: () => performance.now() });
    latencies.push(...turnMs);
  }
}
const sequentialMs = performance.now() - sequentialStart;
latencies.sort((a, b) => a - b);

// Under load: sessions arrive at a steady rate (a share of the back-to-back capacity); each
// visitor thinks 50 ms between messages. A turn's latency runs from when its message arrives to
// the reply, so time spent queueing behind other sessions counts.
const capacity = (fixtures.length * rounds) / (sequentialMs / 1000);
const queue = Array.from({ length: rounds }, () => fixtures).flat();
const thinkMs = 50;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function underLoad(share: number) {
  const offered = Math.max(1, Math.floor(capacity * share));
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    queue.map(async (fixture, i) => {
      const arrival = started + (i * 1000) / offered;
      await sleep(Math.max(0, arrival - performance.now()));
      let due = arrival;
      const { turnMs } = await runConversation(fixture, {
        timer: () => performance.now(),
        pace: async () => {
          due = Math.max(due, performance.now()) + thinkMs;
          await sleep(Math.max(0, due - performance.now()));
          // A timer may fire a little early: then the message arrived when it fired.
          return Math.min(due, performance.now());
        },
      });
      latencies.push(...turnMs);
    }),
  );
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return {
    share,
    offeredSessionsPerSecond: offered,
    completedSessionsPerSecond: Math.round(queue.length / (elapsed / 1000)),
    turns: latencies.length,
    p50Ms: round3(percentile(latencies, 50)),
    p99Ms: round3(percentile(latencies, 99)),
  };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
const loadResults = [];
for (const share of loads) loadResults.push(await underLoad(share));

const result = {
  at: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  extractor: 'offline',
  conversations: quality.conversations,
  slots: {
    overall: quality.overall,
    bySlotType: quality.bySlotType,
    bySplit: quality.bySplit,
  },
  outcomeAccuracy: quality.outcomeAccuracy,
  consentAccuracy: quality.consentAccuracy,
  latency: {
    turns: latencies.length,
    p50Ms: round3(percentile(latencies, 50)),
    p99Ms: round3(percentile(latencies, 99)),
    maxMs: round3(latencies.at(-1) ?? 0),
    sessionsPerSecond: Math.round((fixtures.length * rounds) / (sequentialMs / 1000)),
  },
  /** Sessions arriving at `share` of the capacity above, 50 ms think time; latency includes queueing. */
  load: loadResults,
  targets: { f1: 0.9, p99Ms: 15 },
  failures: quality.results.filter((r) => r.errors.length > 0),
};

const pct = (n: number) => `${(n * 100).toFixed(1)}%`;
const rows: string[][] = [['slot type', 'tp', 'fp', 'fn', 'precision', 'recall', 'F1']];
for (const [type, s] of Object.entries(quality.bySlotType)) {
  rows.push([
    type,
    String(s.tp),
    String(s.fp),
    String(s.fn),
    pct(s.precision),
    pct(s.recall),
    s.f1.toFixed(3),
  ]);
}
const o = quality.overall;
rows.push([
  'overall',
  String(o.tp),
  String(o.fp),
  String(o.fn),
  pct(o.precision),
  pct(o.recall),
  o.f1.toFixed(3),
]);
for (const [split, s] of Object.entries(quality.bySplit)) {
  const t = s.overall;
  rows.push([
    `  ${split} (${s.conversations})`,
    String(t.tp),
    String(t.fp),
    String(t.fn),
    pct(t.precision),
    pct(t.recall),
    t.f1.toFixed(3),
  ]);
}
const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
const line = (r: string[]) =>
  r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
console.log(`bench:chat — ${quality.conversations} conversations, offline extractor, ${result.node}\n`);
console.log(line(rows[0] ?? []));
for (const r of rows.slice(1)) console.log(line(r));
console.log('');
console.log(
  'note: the extractor was tuned on these conversations (the holdout splits only after their first run);\n' +
    '      first-run holdout figures are in docs/decisions/2026-11-28-dialog-engine.md\n',
);
console.log(
  `outcome accuracy   ${pct(quality.outcomeAccuracy)}${Object.entries(quality.bySplit)
    .map(([k, s]) => `  (${k} ${pct(s.outcomeAccuracy)})`)
    .join('')}`,
);
if (quality.consentAccuracy !== null) console.log(`consent accuracy   ${pct(quality.consentAccuracy)}`);
console.log(
  `turn latency       p50 ${result.latency.p50Ms} ms  p99 ${result.latency.p99Ms} ms  max ${result.latency.maxMs} ms  (${latencies.length} turns, sequential)`,
);
for (const l of loadResults) {
  console.log(
    `under load ${String(Math.round(l.share * 100)).padStart(3)}%    p50 ${l.p50Ms} ms  p99 ${l.p99Ms} ms  (${l.offeredSessionsPerSecond} sessions/s arriving, 50 ms think time, queueing included)`,
  );
}
console.log(`capacity           ${result.latency.sessionsPerSecond} sessions/s back to back on one core`);
console.log(
  `targets            F1 >= 0.90: ${o.f1 >= 0.9 ? 'met' : 'MISSED'}; p99 < 15 ms: ${result.latency.p99Ms < 15 ? 'met' : 'MISSED'}`,
);
for (const failure of result.failures) console.log(`  ${failure.id}: ${failure.errors.join('; ')}`);

await mkdir(join(root, 'bench/results'), { recursive: true });
await writeFile(join(root, 'bench/results/chat.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log('\nwrote bench/results/chat.json');
