import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { createManualClock, LeadloopError } from '../core/index.ts';
import { annualised } from '../leads/index.ts';
import { BUILT_IN_PLAYBOOKS } from './builtin-playbooks.ts';
import { createDialogEngine } from './dialog-engine.ts';
import type { DialogEngineOptions } from './dialog-engine-types.ts';
import { OUTCOMES, type Outcome, type Playbook, playbookSchema, type Question } from './playbook-schema.ts';
import { type SessionState, slotValues } from './session-state.ts';
import { isCompanySize, isMoney, isTimeline, type SlotValue } from './slot-values.ts';
import { contentWords } from './text.ts';

/** A scripted conversation: what the visitor says, and what the engine should end with. */
const conversationFixtureSchema = z
  .object({
    id: z.string().min(1),
    title: z.string().min(1),
    tags: z.array(z.string()).default([]),
    /** `dev` conversations were available while tuning the extractor; `holdout` ones were written after. */
    split: z.enum(['dev', 'holdout-1', 'holdout-2']).default('dev'),
    playbook: z.union([z.enum(['bant', 'champ', 'meddic']), playbookSchema]).default('bant'),
    now: z.iso.datetime({ offset: true }).default('2026-11-28T10:00:00Z'),
    locale: z.string().optional(),
    turns: z.array(z.string().min(1)).min(1),
    expected: z
      .object({
        /** Every slot that should be filled at the end; slots not named should stay empty. */
        slots: z.record(z.string(), z.unknown()),
        /** Null: the conversation should still be open. */
        outcome: z.enum(OUTCOMES).nullable(),
        consent: z.boolean().optional(),
        email: z.string().optional(),
      })
      .strict(),
  })
  .strict();
/** A validated scripted conversation. */
export type ConversationFixture = z.output<typeof conversationFixtureSchema>;

/** Reads and validates every `*.json` conversation directly in `dir` (not its subfolders). */
export async function loadConversationFixtures(dir: string): Promise<ConversationFixture[]> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
    .map((entry) => entry.name)
    .sort();
  const fixtures: ConversationFixture[] = [];
  for (const name of names) {
    const parsed = conversationFixtureSchema.safeParse(JSON.parse(await readFile(join(dir, name), 'utf8')));
    if (!parsed.success) throw new LeadloopError('validation_failed', `${name}: ${parsed.error.message}`);
    fixtures.push(parsed.data);
  }
  return fixtures;
}

function playbookOf(fixture: ConversationFixture): Playbook {
  return typeof fixture.playbook === 'string' ? BUILT_IN_PLAYBOOKS[fixture.playbook] : fixture.playbook;
}

export interface ConversationRun {
  state: SessionState;
  /** Milliseconds each visitor turn took, measured with `timer`. */
  turnMs: number[];
}

/** Plays a fixture through a fresh engine on a manual clock (20 seconds between messages). */
export async function runConversation(
  fixture: ConversationFixture,
  options: {
    timer?: () => number;
    engine?: Omit<DialogEngineOptions, 'clock'>;
    /** Waits until the visitor sends the next message; resolves to the time (by `timer`) it was meant to be sent. */
    pace?: () => Promise<number>;
  } = {},
): Promise<ConversationRun> {
  const clock = createManualClock(Date.parse(fixture.now));
  const engine = createDialogEngine({ ...options.engine, clock });
  const timer = options.timer ?? (() => 0);
  let { state } = await engine.start(playbookOf(fixture), {
    sessionId: `ses_${fixture.id}`,
    ...(fixture.locale !== undefined ? { locale: fixture.locale } : {}),
  });
  const turnMs: number[] = [];
  for (const text of fixture.turns) {
    clock.advance(20_000);
    const started = options.pace === undefined ? timer() : await options.pace();
    ({ state } = await engine.handle(state, text));
    turnMs.push(timer() - started);
  }
  return { state, turnMs };
}

/**
 * The conversation's outcome as decided so far: a disqualified visitor is offered to leave contact
 * details before the end, and the outcome is decided then, whether or not the script answers the offer.
 */
export function decidedOutcome(state: SessionState): Outcome | null {
  return state.outcome ?? (state.contactOffer ? 'disqualified' : null);
}

type EvalType = Question['type'];

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= Math.max(1, Math.abs(b) * 0.01);
}

/**
 * Whether an extracted value matches the expected one. Free text matches when at least 60% of
 * the expected content words appear in it (so "lead routing" matches "a better way to route leads"
 * only if the words are there); everything else must be equal (money within 1%).
 */
export function valueMatches(type: EvalType, actual: SlotValue, expected: unknown): boolean {
  switch (type) {
    case 'money': {
      if (!isMoney(actual) || typeof expected !== 'object' || expected === null) return false;
      const want = expected as { min?: unknown; max?: unknown; currency?: unknown; period?: unknown };
      if (want.currency !== actual.currency) return false;
      // A label with a period compares amounts as stated; one without (older fixtures) compares per year.
      if (want.period !== undefined)
        return (
          want.period === actual.period &&
          close(actual.min, Number(want.min)) &&
          close(actual.max, Number(want.max))
        );
      return (
        close(annualised(actual.min, actual.period), Number(want.min)) &&
        close(annualised(actual.max, actual.period), Number(want.max))
      );
    }
    case 'timeline':
      return isTimeline(actual) && (expected as { byDate?: unknown } | null)?.byDate === actual.byDate;
    case 'company_size':
      return (
        isCompanySize(actual) &&
        (expected as { min?: unknown } | null)?.min === actual.min &&
        (expected as { max?: unknown } | null)?.max === actual.max
      );
    case 'text': {
      const stem = (w: string) => w.replace(/(?:ing|ed|es|s)$/, '');
      const want = contentWords(String(expected)).map(stem);
      const have = new Set(contentWords(String(actual)).map(stem));
      if (want.length === 0) return have.size > 0;
      return want.filter((w) => have.has(w)).length / want.length >= 0.6;
    }
    case 'email':
      return String(actual).toLowerCase() === String(expected).toLowerCase();
    default:
      return actual === expected;
  }
}

/** Counts for one slot type. */
interface SlotScore {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
}

interface FixtureResult {
  id: string;
  split: 'dev' | 'holdout-1' | 'holdout-2';
  outcome: Outcome | null;
  expectedOutcome: Outcome | null;
  errors: string[];
}

/** Slot precision/recall/F1 per slot type, per split and overall; outcome and consent accuracy. */
export interface CorpusReport {
  conversations: number;
  bySlotType: Record<string, SlotScore>;
  overall: SlotScore;
  outcomeAccuracy: number;
  consentAccuracy: number | null;
  bySplit: Record<string, { conversations: number; overall: SlotScore; outcomeAccuracy: number }>;
  results: FixtureResult[];
}

function score(tp: number, fp: number, fn: number): SlotScore {
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { tp, fp, fn, precision, recall, f1 };
}

type Counts = Record<string, { tp: number; fp: number; fn: number }>;

function count(counts: Counts, type: string, field: 'tp' | 'fp' | 'fn') {
  const entry = counts[type] ?? { tp: 0, fp: 0, fn: 0 };
  entry[field] += 1;
  counts[type] = entry;
}

function compare(fixture: ConversationFixture, state: SessionState, counts: Counts): string[] {
  const playbook = playbookOf(fixture);
  const actual: Record<string, SlotValue> = slotValues(state);
  const errors: string[] = [];
  const check = (slot: string, type: EvalType, got: SlotValue | undefined, want: unknown) => {
    if (got !== undefined && want !== undefined) {
      if (valueMatches(type, got, want)) count(counts, type, 'tp');
      else {
        count(counts, type, 'fp');
        count(counts, type, 'fn');
        errors.push(`${slot}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
      }
    } else if (got !== undefined) {
      count(counts, type, 'fp');
      errors.push(`${slot}: got ${JSON.stringify(got)}, want nothing`);
    } else if (want !== undefined) {
      count(counts, type, 'fn');
      errors.push(`${slot}: missing, want ${JSON.stringify(want)}`);
    }
  };
  for (const question of playbook.questions) {
    check(question.slot, question.type, actual[question.slot], fixture.expected.slots[question.slot]);
  }
  if (fixture.expected.email !== undefined || state.contact.email !== undefined) {
    check('contact.email', 'email', state.contact.email, fixture.expected.email);
  }
  return errors;
}

/** Plays every fixture and scores slot extraction (per slot type and overall) and outcomes. */
export async function evaluateCorpus(
  fixtures: readonly ConversationFixture[],
  options: { engine?: Omit<DialogEngineOptions, 'clock'> } = {},
): Promise<CorpusReport> {
  const counts: Counts = {};
  const splitCounts: Record<string, { counts: Counts; right: number; total: number }> = {};
  const results: FixtureResult[] = [];
  let outcomesRight = 0;
  let consentRight = 0;
  let consentTotal = 0;
  for (const fixture of fixtures) {
    const { state } = await runConversation(fixture, options);
    const fixtureCounts: Counts = {};
    const errors = compare(fixture, state, fixtureCounts);
    for (const [type, c] of Object.entries(fixtureCounts)) {
      for (const field of ['tp', 'fp', 'fn'] as const) {
        for (let i = 0; i < c[field]; i++) count(counts, type, field);
      }
    }
    const outcome = decidedOutcome(state);
    const outcomeRight = outcome === fixture.expected.outcome;
    if (!outcomeRight) errors.push(`outcome: got ${outcome}, want ${fixture.expected.outcome}`);
    outcomesRight += outcomeRight ? 1 : 0;
    if (fixture.expected.consent !== undefined) {
      consentTotal++;
      const given = state.consent !== null;
      if (given === fixture.expected.consent) consentRight++;
      else errors.push(`consent: got ${given}, want ${fixture.expected.consent}`);
    }
    const split = splitCounts[fixture.split] ?? { counts: {}, right: 0, total: 0 };
    splitCounts[fixture.split] = split;
    split.total++;
    split.right += outcomeRight ? 1 : 0;
    for (const [type, c] of Object.entries(fixtureCounts)) {
      for (const field of ['tp', 'fp', 'fn'] as const) {
        for (let i = 0; i < c[field]; i++) count(split.counts, type, field);
      }
    }
    results.push({
      id: fixture.id,
      split: fixture.split,
      outcome,
      expectedOutcome: fixture.expected.outcome,
      errors,
    });
  }
  const total = (c: Counts) => {
    const sum = { tp: 0, fp: 0, fn: 0 };
    for (const entry of Object.values(c)) {
      sum.tp += entry.tp;
      sum.fp += entry.fp;
      sum.fn += entry.fn;
    }
    return score(sum.tp, sum.fp, sum.fn);
  };
  const bySlotType: Record<string, SlotScore> = {};
  for (const [type, c] of Object.entries(counts).sort()) bySlotType[type] = score(c.tp, c.fp, c.fn);
  const bySplit: CorpusReport['bySplit'] = {};
  for (const [split, s] of Object.entries(splitCounts)) {
    bySplit[split] = {
      conversations: s.total,
      overall: total(s.counts),
      outcomeAccuracy: s.total === 0 ? 0 : s.right / s.total,
    };
  }
  return {
    conversations: fixtures.length,
    bySlotType,
    overall: total(counts),
    outcomeAccuracy: fixtures.length === 0 ? 0 : outcomesRight / fixtures.length,
    consentAccuracy: consentTotal === 0 ? null : consentRight / consentTotal,
    bySplit,
    results,
  };
}
