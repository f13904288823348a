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
 *   string; an unanswerable question is right when the bot declines (returns null).
 * Writes bench/results/chat-heldout.json.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import * as chat from '../src/chat/index.ts';

const root = join(import.meta.dirname, '..');
const heldout = join(root, 'test/fixtures/heldout');

const fixtureSchema = z.object({
  id: z.string(),
  split: z.string(),
  playbook: z.enum(['bant', 'champ', 'meddic']).default('bant'),
  now: z.string(),
  locale: z.string().optional(),
  tags: z.array(z.string()).default([]),
  title: z.string(),
  turns: z.array(z.string()).min(1),
  expected: z.object({
    slots: z.record(z.string(), z.unknown()),
    outcome: z.string().nullable(),
    consent: z.boolean().optional(),
    email: z.string().optional(),
    name: z.string().optional(),
    company: z.string().optional(),
  }),
});
type Fixture = z.output<typeof fixtureSchema>;

async function loadSet(dir: string): Promise<Fixture[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  return Promise.all(
    names.map(async (name) => fixtureSchema.parse(JSON.parse(await readFile(join(dir, name), 'utf8')))),
  );
}

const SPAN_SLOTS = new Set(['need', 'identify_pain', 'challenges']);
const PERIOD_PER_YEAR: Record<string, number> = { one_off: 1, year: 1, quarter: 4, month: 12 };
const norm = (text: string) => text.toLowerCase().replace(/\s+/g, ' ').trim();
const stem = (word: string) => word.replace(/(?:ing|ed|es|s)$/, '');

function spanMatches(actual: string, expected: string, visitorTurns: readonly string[]): boolean {
  const got = norm(actual).replace(/[.!?,;]+$/, '');
  if (!visitorTurns.some((turn) => norm(turn).includes(got))) return false;
  const have = new Set(chat.contentWords(got).map(stem));
  return chat
    .contentWords(expected)
    .map(stem)
    .every((word) => have.has(word));
}

function moneyMatches(actual: unknown, expected: unknown): boolean {
  if (typeof actual !== 'object' || actual === null || typeof expected !== 'object' || expected === null)
    return false;
  const got = actual as { min: number; max: number; currency: string; period?: string };
  const want = expected as { min: number; max: number; currency: string; period?: string };
  const close = (a: number, b: number) => Math.abs(a - b) <= Math.max(1, Math.abs(b) * 0.01);
  if (got.currency !== want.currency) return false;
  const wantPeriod = want.period ?? 'one_off';
  if (got.period !== undefined)
    return got.period === wantPeriod && close(got.min, want.min) && close(got.max, want.max);
  const factor = PERIOD_PER_YEAR[wantPeriod] ?? 1;
  return close(got.min, want.min * factor) && close(got.max, want.max * factor);
}

interface Counts {
  tp: number;
  fp: number;
  fn: number;
}
const f1Of = ({ tp, fp, fn }: Counts) => {
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  return {
    ...{ tp, fp, fn },
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
  };
};
const add = (map: Map<string, Counts>, key: string, field: keyof Counts) => {
  const entry = map.get(key) ?? { tp: 0, fp: 0, fn: 0 };
  entry[field]++;
  map.set(key, entry);
};
const sum = (map: Map<string, Counts>) =>
  [...map.values()].reduce((a, b) => ({ tp: a.tp + b.tp, fp: a.fp + b.fp, fn: a.fn + b.fn }), {
    tp: 0,
    fp: 0,
    fn: 0,
  });

interface SetReport {
  conversations: number;
  bySlotType: Record<string, ReturnType<typeof f1Of>>;
  overall: ReturnType<typeof f1Of>;
  overallLooseText: ReturnType<typeof f1Of>;
  outcomeAccuracy: number;
  consentAccuracy: number;
  emailAccuracy: number;
  nameAccuracy: number | null;
  companyAccuracy: number | null;
}

async function evaluateSet(fixtures: Fixture[]): Promise<SetReport> {
  const strict = new Map<string, Counts>();
  const loose = new Map<string, Counts>();
  let outcomes = 0;
  let consents = 0;
  let consentTotal = 0;
  let emails = 0;
  let emailTotal = 0;
  const named = { right: 0, total: 0 };
  const company = { right: 0, total: 0 };
  for (const fixture of fixtures) {
    const playbook = chat.BUILT_IN_PLAYBOOKS[fixture.playbook];
    // The held-out files carry labels the older fixture schema does not know; the run needs only these fields.
    const { state } = await chat.runConversation({
      ...fixture,
      split: 'holdout-2',
      expected: { slots: {}, outcome: null },
    });
    const actual = chat.slotValues(state) as Record<string, unknown>;
    for (const question of playbook.questions) {
      const got = actual[question.slot];
      const want = fixture.expected.slots[question.slot];
      const kind = SPAN_SLOTS.has(question.slot) ? 'need' : question.type;
      for (const [map, rule] of [
        [strict, 'strict'],
        [loose, 'loose'],
      ] as const) {
        if (got === undefined && want === undefined) continue;
        if (got === undefined) add(map, kind, 'fn');
        else if (want === undefined) add(map, kind, 'fp');
        else {
          const right =
            question.type === 'money'
              ? moneyMatches(got, want)
              : SPAN_SLOTS.has(question.slot) && rule === 'strict'
                ? spanMatches(String(got), String(want), fixture.turns)
                : chat.valueMatches(question.type, got as chat.SlotValue, want);
          if (right) add(map, kind, 'tp');
          else {
            add(map, kind, 'fp');
            add(map, kind, 'fn');
          }
        }
      }
    }
    if (chat.decidedOutcome(state) === fixture.expected.outcome) outcomes++;
    if (fixture.expected.consent !== undefined) {
      consentTotal++;
      if ((state.consent !== null) === fixture.expected.consent) consents++;
    }
    if (fixture.expected.email !== undefined || state.contact.email !== undefined) {
      emailTotal++;
      if (state.contact.email?.toLowerCase() === fixture.expected.email?.toLowerCase()) emails++;
    }
    const contact = state.contact as { name?: string; company?: string };
    for (const [field, tally] of [
      ['name', named],
      ['company', company],
    ] as const) {
      const want = fixture.expected[field];
      if (want === undefined) continue;
      tally.total++;
      if (contact[field] !== undefined && norm(contact[field]) === norm(want)) tally.right++;
    }
  }
  const ratio = (right: number, total: number) => (total === 0 ? 1 : right / total);
  return {
    conversations: fixtures.length,
    bySlotType: Object.fromEntries(
      [...strict.entries()].sort().map(([type, counts]) => [type, f1Of(counts)]),
    ),
    overall: f1Of(sum(strict)),
    overallLooseText: f1Of(sum(loose)),
    outcomeAccuracy: ratio(outcomes, fixtures.length),
    consentAccuracy: ratio(consents, consentTotal),
    emailAccuracy: ratio(emails, emailTotal),
    nameAccuracy: named.total === 0 ? null : named.right / named.total,
    companyAccuracy: company.total === 0 ? null : company.right / company.total,
  };
}

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

const questionSchema = z.array(
  z.object({
    id: z.string(),
    question: z.string(),
    answerable: z.boolean(),
    source: z.string().optional(),
    mustContain: z.array(z.string()).optional(),
  }),
);
async function evaluateQuestions() {
  const dir = join(heldout, 'knowledge');
  const files = (await readdir(dir)).filter((name) => name.endsWith('.md')).sort();
  const documents = await Promise.all(
    files.map(async (file) => ({ file, markdown: await readFile(join(dir, file), 'utf8') })),
  );
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
  return {
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
const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  '));
console.log(
  `\ntime phrases: ${timePhrases.phrases}, end of window right ${pct(timePhrases.accuracy)}, unparsed ${timePhrases.unparsed}`,
);
console.log(
  `questions: ${questions.answerable} answerable — right ${pct(questions.answeredRight)} (right section ${pct(questions.rightSection)}, declined ${pct(questions.declinedAnswerable)}); ` +
    `${questions.unanswerable} unanswerable — declined ${pct(questions.declinedUnanswerable)}`,
);

await mkdir(join(root, 'bench/results'), { recursive: true });
await writeFile(
  join(root, 'bench/results/chat-heldout.json'),
  `${JSON.stringify({ measuredAt: new Date().toISOString(), sets, timePhrases, questions }, null, 2)}\n`,
);
