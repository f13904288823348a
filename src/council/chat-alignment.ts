import type { NextActionAnswer } from './question-schemas.ts';
import type { NextAction } from './vocabulary.ts';

/**
 * The lead's qualification chat next to the council's next action. The visitor heard the chat's
 * outcome ("this looks like a great fit", "we'll follow up with resources", "not the right fit"), so
 * a next action that goes another way must say why, in the decision itself.
 */
export interface ChatAlignment {
  sessionId: string;
  /** The chat's outcome; null while the conversation is still open. */
  outcome: string | null;
  /** Whether the next action is the one the chat's outcome implies (true when it implies none). */
  agrees: boolean;
  /** Why the council went another way than the chat; null when it agrees. */
  reason: string | null;
}

/** The next action each chat outcome implies, and what the visitor was told. */
const IMPLIED: Record<string, { action: NextAction; told: string }> = {
  qualified: {
    action: 'route_to_rep',
    told: 'that it looks like a good fit and that the team will follow up',
  },
  nurture: { action: 'start_nurture', told: 'that we will be in touch with resources that fit' },
  disqualified: { action: 'disqualify', told: 'that we may not be the right fit at the moment' },
};

const ACTION_TEXT: Record<NextAction, string> = {
  route_to_rep: 'to route the lead to a sales rep',
  start_nurture: 'to start a nurture sequence',
  ask_for_info: 'to ask the lead for missing information first',
  disqualify: 'to disqualify the lead',
};

/** Compares a next-action answer with the chat's outcome; null when the lead had no chat. */
export function alignWithChat(
  chat: { sessionId: string; outcome: string | null } | null,
  answer: NextActionAnswer,
): ChatAlignment | null {
  if (chat === null) return null;
  const implied = chat.outcome === null ? undefined : IMPLIED[chat.outcome];
  if (implied === undefined || implied.action === answer.action)
    return { sessionId: chat.sessionId, outcome: chat.outcome, agrees: true, reason: null };
  const because = answer.reasons
    .slice(0, 3)
    .map((reason) => reason.trim().replace(/\.?$/u, '.'))
    .join(' ');
  return {
    sessionId: chat.sessionId,
    outcome: chat.outcome,
    agrees: false,
    reason:
      `The chat ended "${chat.outcome}" and told the visitor ${implied.told}; the council chose ` +
      `${ACTION_TEXT[answer.action]} instead because: ${because}` +
      (answer.missingInfo.length > 0 ? ` Still missing: ${answer.missingInfo.join(', ')}.` : ''),
  };
}
