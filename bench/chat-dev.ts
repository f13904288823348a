/**
 * bench:chat:dev — the qualification bot on a dev set, scored by the same issue-18 rules as the
 * held-out bench, but printing every failure by conversation (dev sets are there to be tuned on).
 *
 *   node bench/chat-dev.ts [--dir test/fixtures/conversations-dev5] [--quiet]
 *
 * Writes bench/results/chat-<folder>.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { evaluateSet, loadSet } from './chat-sets.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: 'test/fixtures/conversations-dev5' },
    quiet: { type: 'boolean', default: false },
  },
});
const root = join(import.meta.dirname, '..');
const dir = resolve(root, values.dir);
const failures: { id: string; error: string }[] = [];
const report = await evaluateSet(await loadSet(dir), (id, error) => failures.push({ id, error }));

const pct = (value: number | null) => (value === null ? 'n/a' : `${(value * 100).toFixed(1)}%`);
console.log(`bench:chat:dev — ${report.conversations} conversations in ${values.dir}\n`);
console.log('slot type      tp  fp  fn  precision  recall  F1');
for (const [type, s] of [...Object.entries(report.bySlotType), ['overall', report.overall] as const]) {
  console.log(
    `${type.padEnd(13)} ${String(s.tp).padStart(3)} ${String(s.fp).padStart(3)} ${String(s.fn).padStart(3)}  ${pct(s.precision).padStart(9)}  ${pct(s.recall).padStart(6)}  ${s.f1.toFixed(3)}`,
  );
}
console.log(`\nslot F1 (loose text rule) ${report.overallLooseText.f1.toFixed(3)}`);
console.log(`outcome accuracy ${pct(report.outcomeAccuracy)}, e-mail accuracy ${pct(report.emailAccuracy)}`);
if (!values.quiet) for (const f of failures) console.log(`  ${f.id}: ${f.error}`);

await mkdir(join(root, 'bench/results'), { recursive: true });
const out = join(
  root,
  `bench/results/chat-${basename(dir).replace(/^conversations-?/, '') || 'conversations'}.json`,
);
await writeFile(
  out,
  `${JSON.stringify({ measuredAt: new Date().toISOString(), set: values.dir, ...report, failures }, null, 2)}\n`,
);
console.log(`\nwrote ${out.slice(root.length + 1)}`);
