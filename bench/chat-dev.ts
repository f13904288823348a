/**
 * bench:chat:dev — the qualification bot on a dev set, scored by the same issue-18 rules as the
 * held-out bench, but printing every failure by conversation (dev sets are there to be tuned on).
 *
 *   node bench/chat-dev.ts [--dir test/fixtures/conversations-dev5 --dir …] [--quiet]
 *
 * Without --dir it plays dev sets 5, 6 and 7 and prints each, then all together.
 *
 *   node bench/chat-dev.ts --questions test/fixtures/knowledge-dev
 *
 * Writes bench/results/chat-<folder>.json (and chat-questions-<folder>.json).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  evaluateSet,
  type Fixture,
  loadKnowledge,
  loadSet,
  playQuestions,
  questionSchema,
} from './chat-sets.ts';

const DEV_SETS = [
  'test/fixtures/conversations-dev5',
  'test/fixtures/conversations-dev6',
  'test/fixtures/conversations-dev7',
];
const { values } = parseArgs({
  options: {
    dir: { type: 'string', multiple: true, default: DEV_SETS },
    quiet: { type: 'boolean', default: false },
    /** A folder with `knowledge/*.md` and `questions.json`: the questions are played too. */
    questions: { type: 'string' },
  },
});
const root = join(import.meta.dirname, '..');
const pct = (value: number | null) => (value === null ? 'n/a' : `${(value * 100).toFixed(1)}%`);
await mkdir(join(root, 'bench/results'), { recursive: true });

async function playSet(label: string, fixtures: Fixture[], out: string | null) {
  const failures: { id: string; error: string }[] = [];
  const report = await evaluateSet(fixtures, (id, error) => failures.push({ id, error }));
  console.log(`bench:chat:dev — ${report.conversations} conversations in ${label}\n`);
  console.log('slot type      tp  fp  fn  precision  recall  F1');
  for (const [type, s] of [...Object.entries(report.bySlotType), ['overall', report.overall] as const]) {
    console.log(
      `${type.padEnd(13)} ${String(s.tp).padStart(3)} ${String(s.fp).padStart(3)} ${String(s.fn).padStart(3)}  ${pct(s.precision).padStart(9)}  ${pct(s.recall).padStart(6)}  ${s.f1.toFixed(3)}`,
    );
  }
  console.log(`\nslot F1 (loose text rule) ${report.overallLooseText.f1.toFixed(3)}`);
  console.log(
    `outcome accuracy ${pct(report.outcomeAccuracy)}, e-mail accuracy ${pct(report.emailAccuracy)}`,
  );
  if (out === null) return;
  if (!values.quiet) for (const f of failures) console.log(`  ${f.id}: ${f.error}`);
  await writeFile(
    out,
    `${JSON.stringify({ measuredAt: new Date().toISOString(), set: label, ...report, failures }, null, 2)}\n`,
  );
  console.log(`\nwrote ${out.slice(root.length + 1)}\n`);
}

const sets = await Promise.all(
  values.dir.map(async (dir) => ({ dir, fixtures: await loadSet(resolve(root, dir)) })),
);
for (const { dir, fixtures } of sets) {
  const name = basename(resolve(root, dir)).replace(/^conversations-?/, '') || 'conversations';
  await playSet(dir, fixtures, join(root, `bench/results/chat-${name}.json`));
}
if (sets.length > 1)
  await playSet(
    sets.map((set) => basename(set.dir)).join(' + '),
    sets.flatMap((set) => set.fixtures),
    null,
  );

if (values.questions !== undefined) {
  const folder = resolve(root, values.questions);
  const questions = questionSchema.parse(JSON.parse(await readFile(join(folder, 'questions.json'), 'utf8')));
  const misses: { id: string; error: string }[] = [];
  const played = await playQuestions(await loadKnowledge(join(folder, 'knowledge')), questions, (id, error) =>
    misses.push({ id, error }),
  );
  console.log(
    `\nquestions (${values.questions}): ${played.total} labelled — answered right or handed to a person ${pct(played.rightOrHandedOver)}; ` +
      `${played.answerable} answerable: right ${pct(played.answeredRightShare)}, wrong ${played.answeredWrong}, handed over ${played.handedOver}, no offer ${played.declinedWithoutOffer}; ` +
      `${played.unanswerable} unanswerable: handed over ${played.unanswerableHandedOver}, answered ${played.unanswerableAnswered}, no offer ${played.unanswerableWithoutOffer}`,
  );
  if (!values.quiet) for (const m of misses) console.log(`  ${m.id}: ${m.error.slice(0, 220)}`);
  const file = join(root, `bench/results/chat-questions-${basename(folder)}.json`);
  await writeFile(
    file,
    `${JSON.stringify({ measuredAt: new Date().toISOString(), ...played, misses }, null, 2)}\n`,
  );
}
