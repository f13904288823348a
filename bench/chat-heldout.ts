/**
 * bench:chat:heldout — the qualification bot on the frozen held-out sets of issue 18.
 *
 *   node bench/chat-heldout.ts
 *
 * The sets under test/fixtures/heldout/ were written blind to the bot's code and are frozen. This
 * script prints aggregate figures only (per slot type, per set, per question class): it never prints
 * which conversation, phrase or question failed, so that running it cannot become tuning against it.
 * Whoever improves the bot measures with it and does not open the files.
 *
 * Scoring follows the sets' README:
 * - `need` / `identify_pain` / `challenges`: right when the stored text is a contiguous span of one
 *   visitor message (case and spacing aside) holding every content word of the label; the looser rule
 *   of the earlier sets (60% of the label's content words anywhere) is printed beside it.
 * - money: amounts and currency as stated for the period, with the period; a value without a period
 *   (the bot before periods existed) counts as right when it equals the label annualised.
 * - timeline: the end of the window, exact date.
 * - name / company: compared case-insensitively when the label has them.
 * - questions: an answer is right when it cites the labelled section and contains every `mustContain`
 *   string; an unanswerable question is right when the bot declines (returns null). Then the issue's
 *   figure: every question played through the dialog engine, right when answered right or handed to
 *   a person, and a decline is a hand-off only when the bot's reply offers one (`playQuestions`).
 * Writes bench/results/chat-heldout.json.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import * as chat from '../src/chat/index.ts';
import {
  evaluateSet,
  loadKnowledge,
  loadSet,
  playQuestions,
  questionSchema,
  type SetReport,
} from './chat-sets.ts';

const root = join(import.meta.dirname, '..');
const heldout = join(root, 'test/fixtures/heldout');

const timePhraseSchema = z.array(z.object({ text: z.string(), now: z.string(), byDate: z.string() }));

function evaluateTimePhrases(phrases: z.output<typeof timePhraseSchema>) {
  let right = 0;
  let missing = 0;
  for (const phrase of phrases) {
    const [match] = chat.extractTimeline(phrase.text, { now: Date.parse(phrase.now), expecting: true });
    if (match === undefined) missing++;
    else if (match.value.byDate === phrase.byDate) right++;
  }
  return { phrases: phrases.length, accuracy: right / phrases.length, unparsed: missing };
}

async function evaluateQuestions() {
  const documents = await loadKnowledge(join(heldout, 'knowledge'));
  const kb = chat.createKnowledgeBase(documents);
  const questions = questionSchema.parse(JSON.parse(await readFile(join(heldout, 'questions.json'), 'utf8')));
  const answerable = { right: 0, rightSection: 0, declined: 0, total: 0 };
  const unanswerable = { declined: 0, total: 0 };
  for (const question of questions) {
    const answer = await kb.answer(question.question);
    if (!question.answerable) {
      unanswerable.total++;
      if (answer === null) unanswerable.declined++;
      continue;
    }
    answerable.total++;
    if (answer === null) {
      answerable.declined++;
      continue;
    }
    const section = `${answer.source.file}#${answer.source.heading}` === question.source;
    const words = (question.mustContain ?? []).every((part) =>
      answer.text.toLowerCase().includes(part.toLowerCase()),
    );
    if (section) answerable.rightSection++;
    if (section && words) answerable.right++;
  }
  // The figure: each question played through the engine, a decline counted as a hand-off
  // only when the reply offers a person. Aggregates only: no error callback.
  const played = await playQuestions(documents, questions);
  return {
    rightOrHandedOver: played.rightOrHandedOver,
    played,
    answerable: answerable.total,
    answeredRight: answerable.right / answerable.total,
    rightSection: answerable.rightSection / answerable.total,
    declinedAnswerable: answerable.declined / answerable.total,
    unanswerable: unanswerable.total,
    declinedUnanswerable: unanswerable.declined / unanswerable.total,
  };
}

const sets: Record<string, SetReport> = {};
for (const name of ['set-3', 'set-4']) {
  process.stderr.write(`playing ${name}…\n`);
  sets[name] = await evaluateSet(await loadSet(join(heldout, name)));
}
const timePhrases = evaluateTimePhrases(
  timePhraseSchema.parse(JSON.parse(await readFile(join(heldout, 'time-phrases.json'), 'utf8'))),
);
const questions = await evaluateQuestions();

const pct = (value: number | null) => (value === null ? 'n/a' : `${(value * 100).toFixed(1)}%`);
const rows: string[][] = [['figure', ...Object.keys(sets)]];
const types = [...new Set(Object.values(sets).flatMap((report) => Object.keys(report.bySlotType)))].sort();
rows.push(['slot F1 (issue-18 rules)', ...Object.values(sets).map((r) => r.overall.f1.toFixed(3))]);
rows.push(['slot F1 (loose text rule)', ...Object.values(sets).map((r) => r.overallLooseText.f1.toFixed(3))]);
for (const type of types) {
  rows.push([`  ${type} F1`, ...Object.values(sets).map((r) => r.bySlotType[type]?.f1.toFixed(3) ?? '-')]);
}
rows.push(['outcome accuracy', ...Object.values(sets).map((r) => pct(r.outcomeAccuracy))]);
rows.push(['consent accuracy', ...Object.values(sets).map((r) => pct(r.consentAccuracy))]);
rows.push(['e-mail accuracy', ...Object.values(sets).map((r) => pct(r.emailAccuracy))]);
rows.push(['name accuracy', ...Object.values(sets).map((r) => pct(r.nameAccuracy))]);
rows.push(['company accuracy', ...Object.values(sets).map((r) => pct(r.companyAccuracy))]);
rows.push([
  'fragment needs (not a span)',
  ...Object.values(sets).map((r) => `${r.fragmentNeeds} of ${r.storedNeeds}`),
]);
const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  '));
console.log(
  `\ntime phrases: ${timePhrases.phrases}, end of window right ${pct(timePhrases.accuracy)}, unparsed ${timePhrases.unparsed}`,
);
console.log(
  `questions: ${questions.answerable} answerable — right ${pct(questions.answeredRight)} (right section ${pct(questions.rightSection)}, declined ${pct(questions.declinedAnswerable)}); ` +
    `${questions.unanswerable} unanswerable — declined ${pct(questions.declinedUnanswerable)}`,
);
const p = questions.played;
console.log(
  `questions played through the engine: answered right or handed to a person ${pct(p.rightOrHandedOver)} of ${p.total} ` +
    `(answerable: right ${p.answeredRight}, wrong ${p.answeredWrong}, declined with an offer of a person ${p.handedOver}, without one ${p.declinedWithoutOffer}; ` +
    `unanswerable: declined with an offer ${p.unanswerableHandedOver}, answered ${p.unanswerableAnswered}, without an offer ${p.unanswerableWithoutOffer}); target 90%`,
);

await mkdir(join(root, 'bench/results'), { recursive: true });
await writeFile(
  join(root, 'bench/results/chat-heldout.json'),
  `${JSON.stringify({ measuredAt: new Date().toISOString(), sets, timePhrases, questions }, null, 2)}\n`,
);
