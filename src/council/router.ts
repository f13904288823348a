import type { Agent } from './agent-schema.ts';
import { applicability, type QuestionContext } from './applies-when.ts';
import { factorOf } from './knowledge.ts';
import { comboKey, posterior, type RouterStats } from './router-stats.ts';
import type { AgentRole, Factor, QuestionType } from './vocabulary.ts';

/**
 * The router: which agents to consult, in which order, and why. It ranks the agents that apply to
 * the question's context (specialists before generalists, the question's lead role first, learned
 * payoff as a tie-breaker), starts with one, and lets the cascade add agents for the factors the
 * first could not assess.
 */

/** The role that owns each question type (it is consulted first). */
export const LEAD_ROLE: Record<QuestionType, AgentRole> = {
  'lead.next_action': 'strategist',
  'lead.research': 'researcher',
  'segment.strategy': 'strategist',
  'performance.review': 'optimizer',
};

/** An agent the router considered. */
export interface Candidate {
  agent: Agent;
  specificity: number;
  score: number;
  reasons: string[];
}

/** An agent chosen, with the reason recorded in the decision. */
export interface Choice {
  agent: Agent;
  why: string;
  stage: 'initial' | 'cascade' | 'learned';
}

/** Router tuning. */
export interface RouterOptions {
  /** Observations before learned stats change a choice. Default 6. */
  minEvidence?: number;
  /** A lone first agent whose combination is accepted less often than this gets company. Default 0.5. */
  escalateBelow?: number;
}

function describe(agent: Agent): string {
  return agent.specialty.kind === 'general'
    ? `general ${agent.role}`
    : `${agent.specialty.value.replaceAll('_', ' ')} ${agent.role}`;
}

/** Every applicable agent, best first. */
export function rankCandidates(
  agents: readonly Agent[],
  ctx: QuestionContext,
  stats: RouterStats,
): Candidate[] {
  const lead = LEAD_ROLE[ctx.type];
  const candidates: Candidate[] = [];
  for (const agent of agents) {
    const fit = applicability(agent, ctx);
    if (!fit.applies) continue;
    const learned = posterior(stats.agents[`${ctx.type}|${agent.id}`]);
    const score =
      fit.specificity * 10 + (agent.role === lead ? 5 : 0) + (learned.n > 0 ? learned.mean * 2 : 1);
    candidates.push({ agent, specificity: fit.specificity, score, reasons: fit.reasons });
  }
  return candidates.sort((a, b) => b.score - a.score || (a.agent.id < b.agent.id ? -1 : 1));
}

function whyFirst(candidate: Candidate, ctx: QuestionContext): string {
  const role = LEAD_ROLE[ctx.type];
  const matched =
    candidate.reasons.length > 0 ? `matches ${candidate.reasons.join(', ')}` : 'applies to every context';
  const lead =
    candidate.agent.role === role
      ? `the ${role} leads ${ctx.type} questions`
      : `no ${role} applies, so the best-matching agent leads`;
  return `${describe(candidate.agent)} consulted first: ${lead}; it ${matched}.`;
}

/** The first agent(s): the best candidate of the lead role, plus a second if learning says so. */
export function initialChoice(
  candidates: readonly Candidate[],
  ctx: QuestionContext,
  stats: RouterStats,
  options: RouterOptions = {},
): Choice[] {
  const role = LEAD_ROLE[ctx.type];
  const first = candidates.find((c) => c.agent.role === role) ?? candidates[0];
  if (!first) return [];
  const choices: Choice[] = [{ agent: first.agent, why: whyFirst(first, ctx), stage: 'initial' }];
  const minEvidence = options.minEvidence ?? 6;
  const alone = posterior(stats.combos[comboKey(ctx.type, [first.agent.id])]);
  if (alone.n >= minEvidence && alone.mean < (options.escalateBelow ?? 0.5)) {
    let best: { candidate: Candidate; mean: number; n: number } | null = null;
    for (const other of candidates) {
      if (other.agent.id === first.agent.id) continue;
      const pair = posterior(stats.combos[comboKey(ctx.type, [first.agent.id, other.agent.id])]);
      const mean = pair.n > 0 ? pair.mean : 0.5;
      if (!best || mean > best.mean) best = { candidate: other, mean, n: pair.n };
    }
    if (best && best.mean > alone.mean) {
      choices.push({
        agent: best.candidate.agent,
        why: `${describe(best.candidate.agent)} added from the start: in this workspace ${describe(first.agent)} alone was accepted ${Math.round(alone.mean * 100)}% of the time over ${alone.n} decisions${best.n > 0 ? `, with ${describe(best.candidate.agent)} ${Math.round(best.mean * 100)}%` : ''}.`,
        stage: 'learned',
      });
    }
  }
  return choices;
}

/** Whether an agent can answer a factor. */
function covers(agent: Agent, factor: Factor): boolean {
  if (factor === 'metrics') return agent.role === 'optimizer';
  return factorOf(agent) === factor;
}

/**
 * The cascade: for each open factor, the best candidate not consulted yet that covers it. Factors
 * no applicable agent covers are reported so the decision can say so.
 */
export function cascadeChoice(
  candidates: readonly Candidate[],
  consulted: ReadonlySet<string>,
  open: ReadonlyArray<{ factor: Factor; askedBy: Agent }>,
): { choices: Choice[]; unanswered: Factor[] } {
  const choices: Choice[] = [];
  const unanswered: Factor[] = [];
  const taken = new Set(consulted);
  for (const { factor, askedBy } of open) {
    const next = candidates.find((c) => !taken.has(c.agent.id) && covers(c.agent, factor));
    if (!next) {
      if (
        ![...consulted].some((id) => candidates.find((c) => c.agent.id === id && covers(c.agent, factor)))
      ) {
        unanswered.push(factor);
      }
      continue;
    }
    taken.add(next.agent.id);
    choices.push({
      agent: next.agent,
      why: `${describe(next.agent)} added: ${describe(askedBy)} could not assess the ${factor === 'metrics' ? 'statistics' : factor} and this agent ${next.reasons.length > 0 ? `matches ${next.reasons.join(', ')}` : 'covers it'}.`,
      stage: 'cascade',
    });
  }
  return { choices, unanswered };
}
