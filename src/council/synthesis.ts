import { assertNever, invariant } from '../core/index.ts';
import type { AgentRunRecord, Vote } from './decision-record.ts';
import { PRECEDENCE } from './knowledge.ts';
import type {
  Answer,
  NextActionAnswer,
  ResearchAnswer,
  ReviewAnswer,
  SegmentAnswer,
} from './question-schemas.ts';
import { mergeRecommendations } from './rules-performance.ts';
import type { QuestionType } from './vocabulary.ts';

/**
 * The synthesis: a structured step, not a conversation. For decisions with one answer (next
 * action, fit, primary channel) the claims with the strongest basis win (a consent rule outranks an
 * industry habit, which outranks a general rule), and among those the class with the most
 * confidence-weighted votes. A performance review merges every optimizer's findings.
 */

/** What the synthesis produced. */
export interface Synthesis {
  output: Answer;
  decisionClass: string;
  confidence: number;
  votes: Vote[];
  dissent: Array<{ agentId: string; decisionClass: string; reason: string }>;
  /** Agents whose final answer is the decision's class. */
  supporters: string[];
}

/** The last run of each agent (its critique if it critiqued), in consultation order. */
export function finalRuns(runs: readonly AgentRunRecord[]): AgentRunRecord[] {
  const latest = new Map<string, AgentRunRecord>();
  for (const run of runs) latest.set(run.sample === null ? run.agentId : `${run.agentId}#${run.sample}`, run);
  return [...latest.values()];
}

const round2 = (value: number) => Math.round(value * 100) / 100;

function unique<T>(items: readonly T[], limit: number): T[] {
  return [...new Set(items)].slice(0, limit);
}

function mergeOutput(
  type: QuestionType,
  winner: AgentRunRecord,
  supporters: readonly AgentRunRecord[],
  all: readonly AgentRunRecord[],
  messageFrom: AgentRunRecord | undefined,
): Answer {
  switch (type) {
    case 'lead.next_action': {
      const base = winner.proposal.answer as NextActionAnswer;
      const answers = supporters.map((run) => run.proposal.answer as NextActionAnswer);
      return {
        action: base.action,
        message: ((messageFrom ?? winner).proposal.answer as NextActionAnswer).message,
        reasons: unique([...base.reasons, ...answers.flatMap((a) => a.reasons)], 10),
        missingInfo: unique([...base.missingInfo, ...answers.flatMap((a) => a.missingInfo)], 10),
      };
    }
    case 'lead.research': {
      const base = winner.proposal.answer as ResearchAnswer;
      const answers = all.map((run) => run.proposal.answer as ResearchAnswer);
      return {
        ...base,
        buyingSignals: unique(
          answers.flatMap((a) => a.buyingSignals),
          10,
        ),
        risks: unique(
          answers.flatMap((a) => a.risks),
          10,
        ),
        gaps: unique(
          answers.flatMap((a) => a.gaps),
          10,
        ),
      };
    }
    case 'segment.strategy': {
      const base = winner.proposal.answer as SegmentAnswer;
      const answers = all.map((run) => run.proposal.answer as SegmentAnswer);
      const styled = messageFrom ? (messageFrom.proposal.answer as SegmentAnswer) : base;
      const avoid = answers.flatMap((a) => a.channels.filter((c) => c.role === 'avoid'));
      const channels = [...base.channels.filter((c) => c.role !== 'avoid'), ...avoid];
      const seen = new Set<string>();
      return {
        primaryChannel: base.primaryChannel,
        tone: styled.tone,
        messaging: unique(
          answers.flatMap((a) => a.messaging),
          10,
        ),
        channels: channels
          .filter((c) => {
            const key = `${c.channel}|${c.role}`;
            if (seen.has(key) || (c.role === 'avoid' && c.channel === base.primaryChannel)) return false;
            seen.add(key);
            return true;
          })
          .slice(0, 12),
        compliance: unique(
          answers.flatMap((a) => a.compliance),
          10,
        ),
      };
    }
    case 'performance.review':
      return mergeRecommendations(all.map((run) => (run.proposal.answer as ReviewAnswer).recommendations));
    default:
      return assertNever(type, 'question type');
  }
}

/**
 * Synthesises the final runs. `preferMessageOf` names agents (regional strategists first) whose
 * drafted message or tone is used when they support the decision.
 */
export function synthesize(
  type: QuestionType,
  runs: readonly AgentRunRecord[],
  preferMessageOf: readonly string[] = [],
): Synthesis {
  const finals = finalRuns(runs);
  const votes: Vote[] = runs.map((run) => ({
    agentId: run.sample === null ? run.agentId : `${run.agentId}#${run.sample}`,
    round: run.round,
    decisionClass: run.decisionClass,
    basis: run.proposal.basis,
    confidence: run.proposal.confidence,
  }));
  invariant(finals.length > 0, 'synthesis needs at least one run');
  let decisionClass: string;
  if (type === 'performance.review') {
    decisionClass = (
      mergeOutput(type, finals[0] as AgentRunRecord, finals, finals, undefined) as ReviewAnswer
    ).primary;
  } else {
    const precedence = PRECEDENCE[type];
    const top = Math.max(...finals.map((run) => precedence[run.proposal.basis]));
    const weights = new Map<string, number>();
    for (const run of finals) {
      if (precedence[run.proposal.basis] !== top) continue;
      weights.set(run.decisionClass, (weights.get(run.decisionClass) ?? 0) + run.proposal.confidence);
    }
    decisionClass =
      [...weights.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? finals[0]?.decisionClass ?? '';
  }
  const supporters = finals.filter((run) => run.decisionClass === decisionClass);
  const ranked = [...supporters].sort(
    (a, b) =>
      (type === 'performance.review'
        ? 0
        : PRECEDENCE[type][b.proposal.basis] - PRECEDENCE[type][a.proposal.basis]) ||
      b.proposal.confidence - a.proposal.confidence,
  );
  const winner = ranked[0] ?? (finals[0] as AgentRunRecord);
  const messageFrom = preferMessageOf
    .map((id) => supporters.find((run) => run.agentId === id))
    .find((run) => run !== undefined);
  const output = mergeOutput(type, winner, supporters, finals, messageFrom);
  const total = finals.reduce((sum, run) => sum + run.proposal.confidence, 0);
  const support = total > 0 ? supporters.reduce((sum, run) => sum + run.proposal.confidence, 0) / total : 0;
  const best = Math.max(...supporters.map((run) => run.proposal.confidence), 0);
  return {
    output,
    decisionClass,
    confidence: round2(best * (0.6 + 0.4 * support)),
    votes,
    dissent: finals
      .filter((run) => run.decisionClass !== decisionClass)
      .map((run) => ({
        agentId: run.sample === null ? run.agentId : `${run.agentId}#${run.sample}`,
        decisionClass: run.decisionClass,
        reason: run.proposal.rules.at(-1)?.text ?? 'no reason given',
      })),
    supporters: supporters.map((run) => run.agentId),
  };
}

/** Majority vote of samples (self-consistency): the most frequent class, ties by confidence. */
export function majorityVote(type: QuestionType, runs: readonly AgentRunRecord[]): Synthesis {
  const counts = new Map<string, { n: number; confidence: number }>();
  for (const run of runs) {
    const entry = counts.get(run.decisionClass) ?? { n: 0, confidence: 0 };
    counts.set(run.decisionClass, { n: entry.n + 1, confidence: entry.confidence + run.proposal.confidence });
  }
  const [decisionClass] =
    [...counts.entries()].sort((a, b) => b[1].n - a[1].n || b[1].confidence - a[1].confidence)[0] ?? [];
  const supporters = runs.filter((run) => run.decisionClass === decisionClass);
  const winner = supporters[0] ?? (runs[0] as AgentRunRecord);
  const share = supporters.length / Math.max(1, runs.length);
  return {
    output: mergeOutput(type, winner, supporters, supporters, undefined),
    decisionClass: winner.decisionClass,
    confidence: round2(share * winner.proposal.confidence),
    votes: runs.map((run) => ({
      agentId: `${run.agentId}#${run.sample ?? 0}`,
      round: run.round,
      decisionClass: run.decisionClass,
      basis: run.proposal.basis,
      confidence: run.proposal.confidence,
    })),
    dissent: runs
      .filter((run) => run.decisionClass !== winner.decisionClass)
      .map((run) => ({
        agentId: `${run.agentId}#${run.sample ?? 0}`,
        decisionClass: run.decisionClass,
        reason: run.proposal.rules.at(-1)?.text ?? 'no reason given',
      })),
    supporters: [...new Set(supporters.map((run) => run.agentId))],
  };
}
