import type { ChatAlignment } from './chat-alignment.ts';
import type { AgentRunRecord } from './decision-record.ts';
import type {
  Answer,
  NextActionAnswer,
  ResearchAnswer,
  ReviewAnswer,
  SegmentAnswer,
} from './question-schemas.ts';
import type { Choice } from './router.ts';
import type { Synthesis } from './synthesis.ts';
import type { Factor, QuestionType } from './vocabulary.ts';

const CLASS_TEXT: Record<string, string> = {
  route_to_rep: 'route the lead to a sales rep',
  start_nurture: 'start a nurture sequence',
  ask_for_info: 'ask the lead for missing information',
  disqualify: 'disqualify the lead',
  strong: 'a strong fit',
  moderate: 'a moderate fit',
  weak: 'a weak fit',
  unknown: 'fit unknown (too little data)',
  email: 'e-mail',
  paid_search: 'paid search',
  paid_social: 'paid social',
  events: 'events',
  partners: 'partners',
  sales_outreach: 'sales outreach',
  raise_threshold: 'raise the routing threshold',
  lower_threshold: 'lower the routing threshold',
  revise_playbook: 'revise a chat playbook question',
  change_workflow: 'change a workflow step',
  no_change: 'no change needed',
};

const FACTOR_TEXT: Record<Factor, string> = {
  industry: 'industry-specific rules',
  region: 'regional rules',
  metrics: 'conversion statistics',
  chat: 'chat drop-off',
  email: 'e-mail deliverability',
  paid: 'paid-channel quality',
};

function headline(type: QuestionType, cls: string): string {
  const text = CLASS_TEXT[cls] ?? cls;
  switch (type) {
    case 'lead.next_action':
      return `Recommendation: ${text}.`;
    case 'lead.research':
      return `Account brief: ${text}.`;
    case 'segment.strategy':
      return `Primary channel for this segment: ${text}.`;
    default:
      return `Performance review: ${text}.`;
  }
}

function why(type: QuestionType, output: Answer): string[] {
  switch (type) {
    case 'lead.next_action':
      return (output as NextActionAnswer).reasons.slice(0, 3);
    case 'lead.research': {
      const brief = output as ResearchAnswer;
      return [
        brief.gaps.length > 0 ? `Missing: ${brief.gaps.slice(0, 4).join(', ')}.` : 'The key facts are known.',
      ];
    }
    case 'segment.strategy':
      return (output as SegmentAnswer).channels
        .filter((c) => c.role === 'primary')
        .map((c) => c.why)
        .slice(0, 2);
    default:
      return (output as ReviewAnswer).recommendations.slice(0, 3).map((r) => `${r.change} (${r.evidence})`);
  }
}

/** The plain-language explanation of a decision, for the person who reviews it. */
export function explain(options: {
  type: QuestionType;
  synthesis: Synthesis;
  choices: readonly Choice[];
  runs: readonly AgentRunRecord[];
  critique: boolean;
  unanswered: readonly Factor[];
  budgetLimited: boolean;
  /** The budget was used up before this decision, so the offline model made it. */
  offlineForBudget: boolean;
  fallbackCalls: number;
  fallbackReason: string | null;
  guardReplaced: number;
  /** The lead's chat next to a next action. */
  chat?: ChatAlignment | null;
}): string {
  const { synthesis } = options;
  const lines = [
    `${headline(options.type, synthesis.decisionClass)} Confidence ${Math.round(synthesis.confidence * 100)}%.`,
  ];
  const reasons = why(options.type, synthesis.output);
  if (reasons.length > 0) lines.push(`Why: ${reasons.join(' ')}`);
  const { chat } = options;
  if (chat?.reason) lines.push(`Against the chat: ${chat.reason}`);
  else if (chat?.outcome) lines.push(`The chat ended "${chat.outcome}"; this recommendation follows it.`);
  const names = options.choices.map((choice) => choice.agent.name);
  if (names.length > 0) lines.push(`Consulted: ${[...new Set(names)].join(', ')}.`);
  const finals = new Set(
    options.runs.map((run) => (run.sample === null ? run.agentId : `${run.agentId}#${run.sample}`)),
  );
  lines.push(
    `${synthesis.supporters.length === 0 ? 'No agent' : `${new Set(synthesis.supporters).size} of ${new Set([...finals].map((id) => id.split('#')[0])).size}`} agreed${options.critique ? ' after a critique round' : ''}.`,
  );
  for (const dissent of synthesis.dissent.slice(0, 3)) {
    lines.push(
      `Dissent: ${dissent.agentId} preferred ${CLASS_TEXT[dissent.decisionClass] ?? dissent.decisionClass} (${dissent.reason})`,
    );
  }
  if (options.unanswered.length > 0) {
    lines.push(`Not assessed by a specialist: ${options.unanswered.map((f) => FACTOR_TEXT[f]).join(', ')}.`);
  }
  if (options.budgetLimited)
    lines.push('The council budget ran out, so fewer agents were consulted than planned.');
  if (options.offlineForBudget)
    lines.push(
      "The workspace's council budget for today was used up, so the offline model made this decision (no model calls).",
    );
  if (options.fallbackCalls > 0) {
    lines.push(
      `The configured model failed on ${options.fallbackCalls} call(s) (${options.fallbackReason ?? 'error'}); the offline model answered instead.`,
    );
  }
  if (options.guardReplaced > 0) {
    lines.push(
      `${options.guardReplaced} part(s) of the answer were replaced because they contained links, addresses or instructions.`,
    );
  }
  return lines.join('\n');
}
