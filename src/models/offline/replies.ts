import type { OfflineSkill } from './skills.ts';

/** What the visitor's last message is about, as far as simple rules can tell. */
export type ReplyIntent =
  | 'opening'
  | 'human'
  | 'meeting'
  | 'pricing'
  | 'goodbye'
  | 'thanks'
  | 'greeting'
  | 'question'
  | 'statement';

// Order matters: the first rule that matches wins ("hi, can I talk to a human?" is a handoff).
const RULES: ReadonlyArray<readonly [Exclude<ReplyIntent, 'opening' | 'statement'>, RegExp]> = [
  [
    'human',
    /\b(human|real person|(an?|your) agent|representative|someone (from|on) (sales|your team)|talk to (a )?person)\b/i,
  ],
  ['meeting', /\b(demo|meeting|book|schedule|calendar|call me|a call)\b/i],
  ['pricing', /\b(price|prices|pricing|cost|costs|how much|quote|plans?|discount)\b/i],
  ['goodbye', /\b(bye|goodbye|see you|talk (to you )?later|that'?s all)\b/i],
  ['thanks', /\b(thanks|thank you|thx|cheers|appreciate)\b/i],
  ['greeting', /^\s*(hi|hello|hey|hiya|howdy|good (morning|afternoon|evening)|hallo|bonjour|hola|ciao)\b/i],
  ['question', /\?\s*$/],
];

/** Classifies a visitor message into a {@link ReplyIntent}. */
export function classifyReplyIntent(text: string): ReplyIntent {
  if (text.trim() === '') return 'opening';
  for (const [intent, pattern] of RULES) if (pattern.test(text)) return intent;
  return 'statement';
}

const PHRASES: Record<ReplyIntent, readonly [string, ...string[]]> = {
  opening: [
    'Hi there! I can help you find out whether we are a good fit. What are you hoping to solve?',
    'Hello! Tell me a little about what you are looking for and I will point you in the right direction.',
    'Welcome! What brings you here today?',
    'Hi! What would you like to get done? A sentence or two is plenty.',
  ],
  human: [
    'Of course. I will ask someone from the team to join this conversation.',
    'Sure, I am bringing in a colleague from our team. They will pick up from here.',
    'No problem, a person from our team will take over shortly.',
  ],
  meeting: [
    'Happy to set that up. Which days work best for you?',
    'Great, let us find a time. What does your availability look like this week?',
    'A call sounds like a good next step. When would suit you?',
  ],
  pricing: [
    'Pricing depends on your team size and needs. Roughly how many people would use it?',
    'Good question. To give you an accurate figure, could you share your budget range?',
    'We have a few plans. What size is your team, and is there a budget you are working with?',
  ],
  goodbye: [
    'Thanks for stopping by. Have a great day!',
    'Goodbye, and thanks for chatting with us.',
    'Take care! You can pick this conversation up again any time.',
  ],
  thanks: [
    'You are welcome! Is there anything else I can help with?',
    'Glad to help. Anything else on your mind?',
    'Any time. What else would be useful to know?',
  ],
  greeting: [
    'Hello! What can I help you with today?',
    'Hi! What are you looking to get done?',
    'Hey there. How can I help?',
  ],
  question: [
    'Good question. I will make sure the team answers it properly. In the meantime, what is your timeline?',
    'Let me note that question for the team. Could you tell me a bit more about your use case?',
    'I want to get that right, so I will pass it to a specialist. What is driving your interest right now?',
  ],
  statement: [
    'Thanks, that helps. Could you tell me a bit more about what you need?',
    'Got it. What would a good outcome look like for you?',
    'Understood. Who else is involved in the decision on your side?',
    'Thanks for sharing. When would you like to have this in place?',
  ],
};

/**
 * The offline model's default free-text skill: classifies the last visitor message and answers
 * with one of several phrasings for that intent, chosen from the prompt's hash so the same
 * conversation always gets the same reply while different conversations read differently.
 */
export const defaultReplySkill: OfflineSkill = (input) => {
  const intent = classifyReplyIntent(input.lastUserText);
  return { type: 'text', text: input.pick(PHRASES[intent], intent) };
};
