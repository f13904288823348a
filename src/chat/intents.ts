import { fold } from './text.ts';

/** What a message does besides (or instead of) answering: the engine acts on these. */
export type Intent =
  | 'handoff'
  | 'bot_question'
  | 'bye'
  | 'skip'
  | 'yes'
  | 'no'
  | 'greeting'
  | 'thanks'
  | 'question';

const HANDOFF =
  /\b(?:(?:talk|speak|chat|connect me|put me through)(?: (?:to|with))? (?:a |an |the |some |your )?(?:human|real person|person|someone|somebody|agent|live agent|sales ?person|sales ?rep|rep|representative|operator|colleague|team member|sales team|salesperson|actual person)|(?:live|human) agent|real human|real person|(?:mit )?(?:einem|einer) (?:menschen|mitarbeiter(?:in)?|person) sprechen|echte[nr]? (?:mensch|person)|hablar con (?:una persona|un humano|alguien|un agente)|persona real|parler a (?:une personne|un humain|quelqu'un|un conseiller)|un vrai humain)\b/;
const HANDOFF_ALONE =
  /^(?:human|agent|person|operator|a human|a person|human please|agent please|mensch|humano|humain)[.!]*$/;
const BOT_QUESTION =
  /\b(?:are you (?:a |an )?(?:bot|robot|human|real|ai|person|machine|chatbot|computer|program|live person)|am i (?:talking|chatting|speaking) (?:to|with) (?:a |an )?(?:bot|human|person|machine|ai|robot|real person)|is this (?:a |an )?(?:bot|person|human|real person|ai|chatbot|automated)|who am i talking to|bist du (?:ein )?(?:bot|mensch|roboter|ki)|eres (?:un )?(?:bot|humano|robot)|es-tu (?:un )?(?:robot|bot|humain)|etes-vous (?:un )?(?:robot|bot|humain))\b/;
const BYE =
  /^(?:(?:ok(?:ay)?|thanks|thank you|cheers),?\s+)?(?:bye|goodbye|good bye|bye bye|bye for now|quit|stop|exit|end chat|end the chat|cancel|that'?s all|no more questions|i'?m done|leave me alone|see you|see you later|talk later|gotta go|i have to go|tschuss|auf wiedersehen|adios|hasta luego|au revoir|ciao)[\s.!]*$/;
const BYE_AT_END =
  /[,.!;]\s*(?:bye|goodbye|bye bye|thanks,? bye|see you|ciao|tschuss|adios|au revoir)[\s.!]*$/;
// A skip opens the message or one of its clauses ("honestly no idea", "ok, not sure yet"); inside a
// sentence it describes the problem ("companies with no budget", "we have no idea which leads convert").
const SKIP_LEAD =
  "(?:^|[,.;:!?—–-]\\s*)(?:(?:honestly|well|sorry|um+|uh+|hmm+|tbh|oh|so|ok|okay|actually|really|still|currently|right now|at the moment|to be honest|i|we|i'?m|we'?re|i am|we are|have|has|got|there'?s|there is|there are|just|but|and|then|yet)[,\\s]+)*";
const SKIP_PHRASE =
  /(?:skip|pass|next question|prefer not to (?:say|share|answer)|rather not (?:say|share|answer)|i'?d rather not|(?:don'?t|do not) want to (?:say|share|answer)|(?:i )?(?:don'?t|do not) know|dunno|idk|whenever|not sure|unsure|no idea|no clue|haven'?t decided|not decided|undecided|n\/a|none of your business|confidential|can'?t (?:say|share|tell|disclose)|not (?:able|allowed) to (?:say|share|disclose)|no comment|tbd|to be determined|no budget(?: yet)?|(?:don'?t|do not|haven'?t|have not|didn'?t|did not) (?:have|set|got|get|fix|agree(?: on)?|define) (?:a |any |the )?(?:budget|timeline|deadline)(?: yet)?|no (?:fixed |set |real )?(?:timeline|deadline|time ?frame)|no rush|keine ahnung|weiss (?:ich )?nicht|lieber nicht|kein budget|noch offen|no (?:lo )?se|prefiero no (?:decir|responder)|ni idea|sin presupuesto|je ne sais pas|je prefere ne pas|aucune idee|pas de budget)\b/;
// "no idea which leads convert": what the visitor cannot see is the problem itself.
const DESCRIBES_UNKNOWN =
  /^(?:(?:we|i|honestly|tbh|still|currently)\s+)*(?:have\s+)?(?:no idea|no clue|no visibility|(?:don'?t|do not|can'?t) (?:know|tell|see)|not sure) (?:which|what|whether|if)\s+\S+\s+\S+/;
const SKIP = new RegExp(`${SKIP_LEAD}${SKIP_PHRASE.source}`);
const YES =
  /^(?:yes|yeah|yea|yep|yup|ya|sure|ok|okay|k|of course|definitely|absolutely|go ahead|please do|please|fine|i agree|agreed|i consent|sounds good|that'?s fine|that works|why not|y|ja|jawohl|klar|gerne|gern|naturlich|einverstanden|si|claro|por supuesto|vale|de acuerdo|sim|pode|com certeza|oui|bien sur|d'accord|volontiers)(?:\b|$)/;
// "no one answers after 5pm", "don't get leads fast enough": a sentence that opens with the word is no refusal.
const NO =
  /^(?:(?:no|nope|nah|no thanks|no thank you|not now|not really|rather not|never|n|nein|lieber nicht|no gracias|non|non merci|nao|nao obrigad[oa])(?![\s-]+(?:one|body|ones|longer|matter|more|leads?|reply|replies|response|answer|follow|way to|time|system|process|tool|crm|visibility|tracking|idea (?:which|what|who|how|why|where|when|if))\b)|(?:don'?t|do not|i don'?t|i do not)(?=\s*(?:$|[,.!;]|(?:want|wish|think|agree|consent|care|like|need (?:it|this|that|one|to)|have (?:one|a budget|any|the budget))\b)))(?:\b|$)|\b(?:(?:don'?t|do not|please don'?t) (?:contact|email|call|spam) me|no (?:emails|spam|marketing)|i do not consent|i don'?t consent|(?:without|no) follow[- ]?up)\b/;
const GREETING =
  /^(?:hi|hello|hey|hiya|howdy|yo|good (?:morning|afternoon|evening|day)|greetings|hallo|guten (?:morgen|tag|abend)|servus|moin|hola|buenos dias|buenas(?: tardes)?|bonjour|salut|bonsoir)(?:\s+(?:there|all|team|everyone))?[\s!.,]*$/;
const THANKS =
  /^(?:thanks|thank you|thx|ty|cheers|great,? thanks|danke|vielen dank|gracias|muchas gracias|merci|merci beaucoup)[\s!.,]*(?:a lot|so much)?[\s!.]*$/;
const QUESTION =
  /\?\s*$|^(?:what|who|why|how|when|where|which|can you|could you|do you|does|is it|is there|are there|will you|would you|was|wie|warum|wer|wo|kannst du|konnen sie|que|como|cuanto|por que|puedes|qu'est-ce|comment|pourquoi|combien|pouvez-vous)\b/;

/**
 * The intents of a message, strongest first (a message can greet and ask at once). Only
 * `yes`/`no` need the whole message to be the answer; the rest look for phrases.
 */
export function detectIntents(text: string): Intent[] {
  const folded = fold(text).trim().replace(/\s+/g, ' ');
  const intents: Intent[] = [];
  if (HANDOFF.test(folded) || HANDOFF_ALONE.test(folded)) intents.push('handoff');
  if (BOT_QUESTION.test(folded)) intents.push('bot_question');
  const words = folded.split(' ').length;
  if ((words <= 8 && BYE.test(folded)) || (words <= 12 && BYE_AT_END.test(folded))) intents.push('bye');
  if (words <= 14 && SKIP.test(folded) && !DESCRIBES_UNKNOWN.test(folded)) intents.push('skip');
  if (NO.test(folded)) intents.push('no');
  else if (YES.test(folded) && !/\b(?:but|except|however|aber|pero|mais)\b/.test(folded)) intents.push('yes');
  if (GREETING.test(folded)) intents.push('greeting');
  if (THANKS.test(folded)) intents.push('thanks');
  if (QUESTION.test(folded)) intents.push('question');
  return intents;
}

const PERSON =
  /\b(?:person|people|colleague|someone from (?:our|the) team|human|team member|mensch|mitarbeiter\w*|persona|humano|personne|conseiller)\b/;
const TYPE_THIS =
  /\b(?:type|write|say|send|reply|tippen sie|schreiben sie|escribe|tapez|ecrivez)\s+["'\u201c\u00ab]([^"'\u201d\u00bb]{1,40})["'\u201d\u00bb]/g;

/**
 * Whether a bot reply offers the visitor a person and says how to get one: it names a person and
 * the words it tells the visitor to type ("type "human"") are words this engine reads as a
 * hand-off request. A reply that only says "a colleague can follow up" offers nobody now.
 */
export function offersHandoff(reply: string): boolean {
  const folded = fold(reply);
  if (!PERSON.test(folded)) return false;
  return [...folded.matchAll(TYPE_THIS)].some((m) => detectIntents(m[1] ?? '').includes('handoff'));
}
