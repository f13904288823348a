import { assertNever } from '../core/index.ts';
import { annualised } from '../leads/index.ts';
import { daysBetween, parseIsoDate, ymdOf } from './dates.ts';
import type { Condition, Outcome, Playbook, Question } from './playbook-schema.ts';
import {
  isCompanySize,
  isMoney,
  isTimeline,
  type MoneyValue,
  type SlotValue,
  type SlotValues,
} from './slot-values.ts';

/** Points one slot earned toward the lead score, and why. */
export interface PointsLine {
  slot: string;
  points: number;
  /** The most this question can earn. */
  max: number;
  reason: string;
}

/** The lead-score contribution of a conversation, per slot. */
export interface ScoreBreakdown {
  total: number;
  max: number;
  lines: PointsLine[];
}

/**
 * Approximate US dollars per unit, used only to compare budgets with point tiers when the visitor
 * answers in another currency than the playbook's. A playbook can pin its own rates.
 */
export const APPROXIMATE_USD_RATES: Readonly<Record<string, number>> = {
  USD: 1,
  EUR: 1.08,
  GBP: 1.27,
  CHF: 1.13,
  CAD: 0.73,
  AUD: 0.66,
  NZD: 0.6,
  JPY: 0.0067,
  INR: 0.012,
  SEK: 0.095,
  NOK: 0.093,
  DKK: 0.145,
  PLN: 0.25,
  CZK: 0.043,
  BRL: 0.2,
  MXN: 0.055,
  SGD: 0.74,
  HKD: 0.128,
  CNY: 0.138,
  ZAR: 0.055,
};

/** The top of a budget per year in the playbook's scoring currency, or undefined for an unknown currency. */
export function budgetInScoringCurrency(value: MoneyValue, playbook: Playbook): number | undefined {
  const target = playbook.scoring.currency;
  // Points and rules compare amounts per year, whatever period the visitor stated.
  const max = annualised(value.max, value.period);
  if (value.currency === target) return max;
  const pinned = playbook.scoring.exchangeRates?.[value.currency];
  if (pinned !== undefined) return max * pinned;
  const from = APPROXIMATE_USD_RATES[value.currency];
  const to = APPROXIMATE_USD_RATES[target];
  if (from === undefined || to === undefined) return undefined;
  return Math.round(((max * from) / to) * 100) / 100;
}

function tierPoints<T>(
  tiers: readonly T[],
  matches: (tier: T) => boolean,
  points: (tier: T) => number,
): number | undefined {
  const hits = tiers.filter(matches).map(points);
  return hits.length === 0 ? undefined : Math.max(...hits);
}

function maxOf(values: number[]): number {
  return values.length === 0 ? 0 : Math.max(0, ...values);
}

function questionMax(question: Question): number {
  switch (question.type) {
    case 'money':
    case 'company_size':
    case 'timeline':
      return maxOf(question.points.tiers.map((t) => t.points));
    case 'role':
      return maxOf(Object.values(question.points.levels));
    case 'enum':
      return maxOf(Object.values(question.points.values));
    case 'email':
    case 'phone':
    case 'text':
      return Math.max(0, question.points.present);
    default:
      return assertNever(question, 'question');
  }
}

function linePoints(
  question: Question,
  value: SlotValue,
  playbook: Playbook,
  now: number,
): { points: number; reason: string } {
  switch (question.type) {
    case 'money': {
      if (!isMoney(value)) return { points: 0, reason: 'not an amount' };
      const amount = budgetInScoringCurrency(value, playbook);
      if (amount === undefined) return { points: 0, reason: `no exchange rate for ${value.currency}` };
      const points =
        tierPoints(
          question.points.tiers,
          (t) => amount >= t.atLeast,
          (t) => t.points,
        ) ?? 0;
      return { points, reason: `top of budget ${amount} ${playbook.scoring.currency}` };
    }
    case 'company_size': {
      if (!isCompanySize(value)) return { points: 0, reason: 'not a head count' };
      const points =
        tierPoints(
          question.points.tiers,
          (t) => value.max >= t.atLeast,
          (t) => t.points,
        ) ?? 0;
      return { points, reason: `${value.max} employees` };
    }
    case 'timeline': {
      const date = isTimeline(value) ? parseIsoDate(value.byDate) : undefined;
      if (date === undefined) return { points: 0, reason: 'not a date' };
      const days = daysBetween(ymdOf(now), date);
      const points =
        tierPoints(
          question.points.tiers,
          (t) => days <= t.withinDays,
          (t) => t.points,
        ) ?? 0;
      return { points, reason: `${days} days from now` };
    }
    case 'role':
      return {
        points: question.points.levels[value as keyof typeof question.points.levels] ?? 0,
        reason: `level ${String(value)}`,
      };
    case 'enum':
      return { points: question.points.values[String(value)] ?? 0, reason: `option ${String(value)}` };
    case 'email':
    case 'phone':
    case 'text':
      return { points: question.points.present, reason: 'answered' };
    default:
      return assertNever(question, 'question');
  }
}

/** Points per slot and in total, for the filled slots of the playbook, on the day `now`. */
export function scoreSlots(playbook: Playbook, slots: SlotValues, now: number): ScoreBreakdown {
  const lines: PointsLine[] = [];
  for (const question of playbook.questions) {
    const max = questionMax(question);
    const value = slots[question.slot];
    if (value === undefined) {
      lines.push({ slot: question.slot, points: 0, max, reason: 'not answered' });
      continue;
    }
    lines.push({ slot: question.slot, max, ...linePoints(question, value, playbook, now) });
  }
  return {
    total: lines.reduce((sum, line) => sum + line.points, 0),
    max: lines.reduce((sum, line) => sum + line.max, 0),
    lines,
  };
}

/** What a rule can see: slots, contact details and points. */
export interface RuleInput {
  slots: SlotValues;
  contact: { email?: string; phone?: string };
  points: number;
  now: number;
}

function numeric(playbook: Playbook, value: SlotValue | undefined): number | undefined {
  if (isMoney(value)) return budgetInScoringCurrency(value, playbook);
  if (isCompanySize(value)) return value.max;
  return undefined;
}

/** Whether a rule's condition holds. */
export function holds(condition: Condition, playbook: Playbook, input: RuleInput): boolean {
  const filled = (slot: string) =>
    slot === 'email' && input.slots.email === undefined
      ? input.contact.email !== undefined
      : slot === 'phone' && input.slots.phone === undefined
        ? input.contact.phone !== undefined
        : input.slots[slot] !== undefined;
  if ('minPoints' in condition) return input.points >= condition.minPoints;
  if ('maxPoints' in condition) return input.points <= condition.maxPoints;
  if ('filled' in condition) return condition.filled.every(filled);
  if ('missing' in condition) return condition.missing.every((slot) => !filled(slot));
  if ('all' in condition) return condition.all.every((c) => holds(c, playbook, input));
  if ('any' in condition) return condition.any.some((c) => holds(c, playbook, input));
  if ('not' in condition) return !holds(condition.not, playbook, input);
  const value = input.slots[condition.slot];
  if ('in' in condition) return typeof value === 'string' && condition.in.includes(value);
  if ('withinDays' in condition) {
    const date = isTimeline(value) ? parseIsoDate(value.byDate) : undefined;
    return date !== undefined && daysBetween(ymdOf(input.now), date) <= condition.withinDays;
  }
  const n = numeric(playbook, value);
  if (n === undefined) return false;
  if ('below' in condition) return n < condition.below;
  return n >= condition.atLeast;
}

/** The outcome the playbook's rules give: the first rule that holds, otherwise the default. */
export function decideOutcome(playbook: Playbook, input: RuleInput): Outcome {
  for (const rule of playbook.outcomes.rules) {
    if (holds(rule.when, playbook, input)) return rule.outcome;
  }
  return playbook.outcomes.otherwise;
}
