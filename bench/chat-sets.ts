/**
 * Scoring shared by the chat benches that play whole conversations by the issue-18 rules
 * (`bench:chat:heldout` on the frozen sets, `bench:chat:dev` on the dev sets):
 * - `need` / `identify_pain` / `challenges`: right when the stored text is a contiguous span of one
 *   visitor message (case and spacing aside) holding every content word of the label; the looser rule
 *   of the earlier sets (60% of the label's content words anywhere) is kept beside it.
 * - money: amounts and currency as stated for the period, with the period; a value without a period
 *   (the bot before periods existed) counts as right when it equals the label annualised.
 * - timeline: the end of the window, exact date.
 * - name / company: compared case-insensitively when the label has them.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import * as chat from '../src/chat/index.ts';
import { createManualClock } from '../src/core/index.ts';

const fixtureSchema = z.object({
  id: z.string(),
  split: z.string(),
  playbook: z.enum(['bant', 'champ', 'meddic']).default('bant'),
  now: z.string().default('2026-11-28T10:00:00Z'),
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
export type Fixture = z.output<typeof fixtureSchema>;

/** The conversations of one folder; those with a playbook of their own (not BANT, CHAMP, MEDDIC) are left out. */
export async function loadSet(dir: string): Promise<Fixture[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  const raw = await Promise.all(
    names.map(async (name) => JSON.parse(await readFile(join(dir, name), 'utf8'))),
  );
  return raw
    .filter((fixture) => typeof fixture.playbook !== 'object')
    .map((fixture) => fixtureSchema.parse(fixture));
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

export interface SetReport {
  conversations: number;
  bySlotType: Record<string, ReturnType<typeof f1Of>>;
  overall: ReturnType<typeof f1Of>;
  overallLooseText: ReturnType<typeof f1Of>;
  outcomeAccuracy: number;
  consentAccuracy: number;
  emailAccuracy: number;
  nameAccuracy: number | null;
  companyAccuracy: number | null;
  /** Need-like texts stored, and those that are not a contiguous span of a visitor turn. */
  storedNeeds: number;
  fragmentNeeds: number;
}

/**
 * Plays every fixture and scores it by the issue-18 rules. `onError` hears each wrong or missing
 * value by conversation; the held-out bench passes none, so it cannot print what failed.
 */
export async function evaluateSet(
  fixtures: Fixture[],
  onError: (id: string, error: string) => void = () => {},
): Promise<SetReport> {
  const strict = new Map<string, Counts>();
  const loose = new Map<string, Counts>();
  let outcomes = 0;
  let consents = 0;
  let consentTotal = 0;
  let emails = 0;
  let emailTotal = 0;
  const named = { right: 0, total: 0 };
  const company = { right: 0, total: 0 };
  const spans = { stored: 0, fragments: 0 };
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
      // The "zero fragment needs": every stored need-like text, right or wrong, must be a
      // contiguous span of one visitor turn (counted whether or not a need was expected).
      if (SPAN_SLOTS.has(question.slot) && typeof got === 'string') {
        spans.stored++;
        const text = norm(got).replace(/[.!?,;]+$/, '');
        if (!fixture.turns.some((turn) => norm(turn).includes(text))) {
          spans.fragments++;
          onError(fixture.id, `${question.slot}: ${JSON.stringify(got)} is not a span of a visitor turn`);
        }
      }
      const kind = SPAN_SLOTS.has(question.slot) ? 'need' : question.type;
      for (const [map, rule] of [
        [strict, 'strict'],
        [loose, 'loose'],
      ] as const) {
        if (got === undefined && want === undefined) continue;
        const report = (what: string) => {
          if (rule === 'strict') onError(fixture.id, `${question.slot}: ${what}`);
        };
        if (got === undefined) {
          add(map, kind, 'fn');
          report(`missing, want ${JSON.stringify(want)}`);
        } else if (want === undefined) {
          add(map, kind, 'fp');
          report(`got ${JSON.stringify(got)}, want nothing`);
        } else {
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
            report(`got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
          }
        }
      }
    }
    const outcome = chat.decidedOutcome(state);
    if (outcome === fixture.expected.outcome) outcomes++;
    else onError(fixture.id, `outcome: got ${outcome}, want ${fixture.expected.outcome}`);
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
    storedNeeds: spans.stored,
    fragmentNeeds: spans.fragments,
  };
}

export const questionSchema = z.array(
  z.object({
    id: z.string(),
    question: z.string(),
    answerable: z.boolean(),
    source: z.string().optional(),
    mustContain: z.array(z.string()).optional(),
  }),
);
export type LabelledQuestion = z.output<typeof questionSchema>[number];

/** The `*.md` files of a folder as knowledge documents. */
export async function loadKnowledge(dir: string): Promise<{ file: string; markdown: string }[]> {
  const files = (await readdir(dir)).filter((name) => name.endsWith('.md')).sort();
  return Promise.all(
    files.map(async (file) => ({ file, markdown: await readFile(join(dir, file), 'utf8') })),
  );
}

/**
 * Each labelled question played as a visitor's message through the dialog engine with the knowledge
 * base, and the engine's replies judged by the issue-18 definition: right when an answer cites the
 * labelled section and holds every `mustContain` string (an unanswerable question has no right
 * answer); handed to a person when no answer came and a reply of that turn really offers one
 * (`offersHandoff` reads the reply). Anything else — a wrong answer, an answer to an unanswerable
 * question, a decline or a next qualification question without that offer — fails.
 */
export async function playQuestions(
  documents: readonly { file: string; markdown: string }[],
  questions: readonly LabelledQuestion[],
  onError: (id: string, error: string) => void = () => {},
) {
  const knowledge = chat.createKnowledgeBase(documents);
  const tally = {
    answerable: 0,
    answeredRight: 0,
    answeredWrong: 0,
    handedOver: 0,
    declinedWithoutOffer: 0,
    unanswerable: 0,
    unanswerableHandedOver: 0,
    unanswerableAnswered: 0,
    unanswerableWithoutOffer: 0,
  };
  for (const question of questions) {
    const engine = chat.createDialogEngine({
      clock: createManualClock(Date.parse('2026-11-28T10:00:00Z')),
      knowledge,
    });
    const { state } = await engine.start(chat.BUILT_IN_PLAYBOOKS.bant, { sessionId: `ses_${question.id}` });
    const { replies } = await engine.handle(state, question.question);
    const answer = replies.find((reply) => reply.kind === 'answer');
    const offered = answer === undefined && replies.some((reply) => chat.offersHandoff(reply.text));
    const said = replies.map((reply) => reply.text).join(' | ');
    if (question.answerable) {
      tally.answerable++;
      const right =
        answer !== undefined &&
        `${answer.source?.file}#${answer.source?.heading}` === question.source &&
        (question.mustContain ?? []).every((part) => answer.text.toLowerCase().includes(part.toLowerCase()));
      if (right) tally.answeredRight++;
      else if (answer !== undefined) {
        tally.answeredWrong++;
        onError(question.id, `wrong answer from ${answer.source?.file}#${answer.source?.heading}: ${said}`);
      } else if (offered) {
        tally.handedOver++;
        onError(question.id, `declined with an offer of a person: ${said}`);
      } else {
        tally.declinedWithoutOffer++;
        onError(question.id, `no answer and no offer of a person: ${said}`);
      }
    } else {
      tally.unanswerable++;
      if (answer !== undefined) {
        tally.unanswerableAnswered++;
        onError(question.id, `answered an unanswerable question: ${said}`);
      } else if (offered) tally.unanswerableHandedOver++;
      else {
        tally.unanswerableWithoutOffer++;
        onError(question.id, `unanswerable, no offer of a person: ${said}`);
      }
    }
  }
  const total = tally.answerable + tally.unanswerable;
  const ratio = (n: number, d: number) => (d === 0 ? 1 : n / d);
  return {
    ...tally,
    total,
    /** The target figure: answered right or handed to a person, over all labelled questions. */
    rightOrHandedOver: ratio(tally.answeredRight + tally.handedOver + tally.unanswerableHandedOver, total),
    answeredRightShare: ratio(tally.answeredRight, tally.answerable),
  };
}
