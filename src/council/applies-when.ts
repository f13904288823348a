import type { Agent, ConditionSet, SignalName } from './agent-schema.ts';
import type { QuestionType } from './vocabulary.ts';

/** What the router knows about a question before consulting anyone (read through the tools). */
export interface QuestionContext {
  workspaceId: string;
  type: QuestionType;
  industry: string | null;
  region: string | null;
  country: string | null;
  dealSizeUsd: number | null;
  source: string | null;
  scoreUncertain: boolean;
  signals: Partial<Record<SignalName, number>>;
}

/** Whether an agent applies, how specific the matching condition set is, and why. */
export interface Applicability {
  applies: boolean;
  /** Number of constrained dimensions of the best matching set (0 for a generalist). */
  specificity: number;
  /** The reasons of the best matching set, in words. */
  reasons: string[];
}

function matchSet(set: ConditionSet, ctx: QuestionContext): { ok: boolean; reasons: string[] } {
  const reasons: string[] = [];
  if (!set.questionTypes.includes(ctx.type)) return { ok: false, reasons };
  if (set.industries) {
    if (ctx.industry === null || !set.industries.includes(ctx.industry)) return { ok: false, reasons };
    reasons.push(`industry ${ctx.industry}`);
  }
  if (set.regions) {
    if (ctx.region === null || !set.regions.includes(ctx.region)) return { ok: false, reasons };
    reasons.push(`region ${ctx.region}`);
  }
  if (set.countries) {
    if (ctx.country === null || !set.countries.includes(ctx.country)) return { ok: false, reasons };
    reasons.push(`country ${ctx.country}`);
  }
  if (set.sources) {
    if (ctx.source === null || !set.sources.includes(ctx.source)) return { ok: false, reasons };
    reasons.push(`source ${ctx.source}`);
  }
  if (set.dealSizeUsd) {
    const { min, max } = set.dealSizeUsd;
    const deal = ctx.dealSizeUsd;
    if (deal === null || (min !== undefined && deal < min) || (max !== undefined && deal >= max)) {
      return { ok: false, reasons };
    }
    reasons.push(`deal size ${deal} USD`);
  }
  if (set.scoreUncertain !== undefined) {
    if (ctx.scoreUncertain !== set.scoreUncertain) return { ok: false, reasons };
    reasons.push(set.scoreUncertain ? 'the score is uncertain' : 'the score is certain');
  }
  for (const signal of set.signals ?? []) {
    const value = ctx.signals[signal.name];
    if (value === undefined) return { ok: false, reasons };
    if (signal.op === 'gte' ? value < signal.value : value > signal.value) return { ok: false, reasons };
    reasons.push(`${signal.name} ${Math.round(value * 1000) / 1000}`);
  }
  return { ok: true, reasons };
}

/** Evaluates an agent's `appliesWhen` against a question's context; disabled agents never apply. */
export function applicability(agent: Agent, ctx: QuestionContext): Applicability {
  if (!agent.enabled) return { applies: false, specificity: 0, reasons: [] };
  let best: Applicability = { applies: false, specificity: 0, reasons: [] };
  for (const set of agent.appliesWhen) {
    const result = matchSet(set, ctx);
    if (!result.ok) continue;
    const specificity = [set.industries, set.regions, set.countries, set.sources, set.dealSizeUsd].filter(
      (field) => field !== undefined,
    ).length;
    if (!best.applies || specificity > best.specificity) {
      best = { applies: true, specificity, reasons: result.reasons };
    }
  }
  return best;
}
