import { FUNCTION_WORDS, findTitles } from '../leads/index.ts';
import type { AuthorityLevel } from './slot-values.ts';
import { createSpeller } from './spelling.ts';
import { fold, overlaps, type Span } from './text.ts';

/** A role or decision-making statement found in a message. */
export interface RoleMatch extends Span {
  level: AuthorityLevel;
  /**
   * `self`: the visitor's own role ("I'm the CTO", "I sign off"); `other`: someone else's ("my
   * boss", "our CFO"); `bare`: a title with no one attached ("Head of Sales").
   */
  subject: 'self' | 'other' | 'bare';
}

interface RolePattern {
  pattern: RegExp;
  level: AuthorityLevel;
  /** Statements that are about the visitor by construction ("I sign off"). */
  self?: boolean;
  /** Statements never about the visitor ("the board"). */
  other?: boolean;
  /** A cheap test the message must pass before the (long) pattern is tried. */
  guard?: RegExp;
}

const FUNCTIONS = [...FUNCTION_WORDS, 'lead generation', 'demand gen', 'sales ops', 'business development']
  .sort((a, b) => b.length - a.length)
  .join('|');
// Typed fast, "I'm" is "im" and "I am" is "iam": every first-person form below accepts both.
const informal = (source: string) =>
  source.replaceAll("i'm", "i'?m").replaceAll("(?:'m| am)", "(?:'?m| ?am)").replaceAll('i am', 'i ?am');
const r = (source: string) => new RegExp(`\\b(?:${informal(source)})\\b`, 'gu');
const g = (guard: RegExp) => new RegExp(informal(guard.source), guard.flags);

// Statements about the visitor's own say; titles come from the lead kernel's shared vocabulary.
const PATTERNS: RolePattern[] = [
  {
    level: 'executive',
    self: true,
    pattern: r(
      [
        "i(?:'m| am)? ?(?:the )?(?:one|person|guy|woman) who (?:signs? off|decides|approves|makes the (?:final )?(?:call|decision)|holds the budget|owns the budget)",
        "i(?:'ll| will| do)? ?(?:sign(?:s)? off|make the (?:final )?(?:call|decision)s?|have the (?:final|last) (?:say|word)|hold the (?:budget|purse strings)|own the budget|control the budget|approve (?:the )?(?:budget|purchases?|spend(?:ing)?))",
        "(?:it'?s|its|it is|that'?s|that is) (?:my|ultimately my) (?:call|decision)",
        "i(?:'m| am) (?:the |a )?(?:final |main |key |ultimate |sole )?decision[- ]?maker",
        'the (?:final )?decision is (?:mine|with me|up to me)',
        "i(?:'m| am) (?:the )?(?:big )?boss\\b(?! of)",
        'i sign (?:the )?(?:checks|cheques|contracts?|pos|purchase orders?|invoices)',
        "i(?:'m| am) the one (?:deciding|signing|approving|paying)",
        'i (?:call|make) the shots',
        // A bare answer to "are you involved in the buying decision?".
        '^\\W*(?:yes,?\\s*)?(?:the |a )?(?:final |main |key )?decision[- ]?maker',
        'i decide',
        // A business of one: "just me, I do everything", "solo founder", "self-employed".
        "^\\W*(?:it'?s |its )?just me\\b(?=\\s*(?:[,.;!]|$|here|running|doing))",
        "(?:it'?s|its|it is) my (?:own )?(?:company|business|firm|shop|agency|store|practice|startup)",
        'i do (?:everything|it all)|one[- ](?:man|woman|person) (?:band|show|business|shop|team)|solopreneur|self[- ]employed|sole (?:trader|proprietor)|i work (?:alone|on my own|by myself)',
        'ich entscheide|ich bin (?:der |die )?entscheider(?:in)?|die entscheidung liegt bei mir|ich unterschreibe',
        'yo decido|soy (?:quien|el que|la que) decide|la decision es mia|yo firmo',
        "c'est moi qui (?:decide|signe)|je (?:decide|signe)|je suis (?:le |la )?decideu(?:r|se)",
      ].join('|'),
    ),
  },
  {
    level: 'individual',
    self: true,
    pattern: r(
      [
        "(?:^\\W*|(?:i|we)(?:'d| would| will|'ll)? )(?:need|have|has) to (?:check|run it|run this|get (?:it )?(?:approved|approval|sign[- ]off)|ask|talk|consult|clear it)(?: \\w+){0,3} (?:with |by |from )?(?:my|our|the) (?:boss|manager|director|cfo|ceo|cto|vp|head|supervisor|leadership|management|team lead)",
        "(?:i(?:'m| am) |^\\W*(?:no,?\\s*)?)not (?:the |a )?(?:decision[- ]?maker|one who decides|the one signing)",
        // "my boss decides": the visitor is not the one who does (the boss stays a role of its own).
        '(?<=(?:my|our|the) (?:boss|manager|owner|ceo|cfo|coo|founder|director|gm|md|vp|head of [\\p{L}-]+) )(?:decides|will decide|signs(?: off)?|approves|has the (?:final|last) (?:say|word)|makes the (?:final )?(?:call|decision))',
        "i don'?t (?:make|have) the (?:final )?(?:decision|call|say)",
        "i(?:'m| am) (?:just )?(?:researching|looking into this|gathering info(?:rmation)?|gathering quotes|collecting quotes) (?:for|on behalf of)",
        'individual contributor|\\bic\\b',
      ].join('|'),
    ),
  },
  {
    // "I work in marketing", "I'm on the sales team": a member of a function, not its head.
    level: 'individual',
    self: true,
    guard: g(/(?:^\W*|\bi(?:'m| am)?\s+)(?:work|working|on|in|part)\b/),
    pattern: r(
      `(?:^\\W*(?=w)|(?:i|i'm|i am)\\s+)(?:work(?:ing)?\\s+(?:in|on|for)|on|in|part of)\\s+(?:the |our )?(?:${FUNCTIONS})(?: team| department)?(?![\\p{L}])`,
    ),
  },
  {
    level: 'executive',
    self: true,
    pattern: r(
      [
        "(?:i|i'm|i am|we)\\s+(?:run|own|co-own|founded|started|co-founded|am running|'m running)\\s+(?:the|this|my|our|a)\\s+(?:company|business|firm|shop|agency|startup|practice|store)",
        // "I own three dental practices", "I run a yoga studio": only the visitor's own business.
        "(?:i|i'm|i am)\\s+(?:run|own|founded|started|co-founded|am running|'m running)\\s+(?:(?:the|this|my|our|a|an|two|three|four|five|several|a few|\\d+)\\s+)?(?:[\\p{L}-]+\\s+){0,2}(?:company|companies|business|businesses|firm|shop|shops|agency|startup|practice|practices|store|stores|studio|studios|clinic|clinics|restaurant|restaurants|hotel|hotels|gym|gyms|salon|salons|brand|franchise|franchises|school|cafe|bakery|office|offices|dealership|dealerships|place)",
      ].join('|'),
    ),
  },
  {
    level: 'director',
    self: true,
    guard: g(
      /\bi(?:'m| am)?\s+(?:head|heading|oversee|overseeing|in charge|responsible|run|running|look|looking|lead|leading|own|owning|manage|managing)\b/,
    ),
    pattern: r(
      `(?:i|i'm|i am)\\s+(?:head(?:ing)?(?: up)?|oversee(?:ing)?|in charge of|responsible (?:for|of)|run(?:ning)?|look(?:ing)? after|lead(?:ing)?|own(?:ing)?|manag(?:e|ing))\\s+(?:the |our |all )?(?:${FUNCTIONS})(?:\\s*(?:&|and|\\/)?\\s*(?:${FUNCTIONS}))*(?: department| org(?:ani[sz]ation)?| function)?(?!(?:\\s+[\\p{L}&/-]+){0,2}\\s+team\\b)`,
    ),
  },
  {
    // "The board signs off": a body above every title, never the visitor.
    level: 'executive',
    other: true,
    pattern: r(
      "the board(?: of directors)?|our board|board approval|board of directors|(?:der |unser )?(?:vorstand|aufsichtsrat)|(?:el |nuestro )?consejo(?: de administracion)?|la junta directiva|(?:le |notre )?conseil d'administration|(?:a |nossa )?diretoria",
    ),
  },
  {
    level: 'director',
    self: true,
    pattern: r(
      'ich leite (?:den|die|das|unseren|unsere|unser) (?:vertrieb|marketing|verkauf|bereich|abteilung|einkauf|it|betrieb)|(?:yo )?dirijo (?:el|la|los) (?:departamento|area|equipo comercial|ventas|marketing)|je dirige (?:le|la|les) (?:service|departement|ventes|marketing|commercial)',
    ),
  },
  {
    level: 'manager',
    self: true,
    pattern: r(
      "(?:i|i'm|i am)\\s+(?:lead(?:ing)?|manag(?:e|ing)|run(?:ning)?|head(?:ing)?(?: up)?|in charge of|responsible for|supervis(?:e|ing))\\s+(?:the |our |a |my )?(?:[\\p{L}-]+\\s+){0,2}team",
    ),
  },
];

const SELF_BEFORE =
  /(?:^\W*as\s+|\bi(?:'m| am)|\bim\b|\bme (?:is|am)\b|i work as|i work like|i'm working as|as (?:a|an|the)|my (?:role|title|position|job) is|i serve as|i run|i lead|i head|i'm currently|i was promoted to|ich bin|ich arbeite als|\bsou\b|trabalho como|\bals\b|\bsoy\b|trabajo como|je suis|je travaille comme|en tant que|here,?|(?:my )?(?:role|title|position|job title)\s*:)\s*[^.;!?]{0,30}$/;
const OTHER_BEFORE =
  /(?:\b(?:my|our|his|her|their|your|mein(?:e[mnr]?)?|unser(?:e[mnr]?)?|mi|mis|nuestr[oa]|mon|ma|notre|nos)\s+(?:[\p{L}-]+\s+){0,2}|report(?:s|ing)? (?:directly )?to (?:the |our |my )?|reports to|(?:work|working|researching|looking|asking) for (?:the |our |my )?|with (?:the|our|my) |the (?:ceo|cfo|cto|founder|owner)(?: and| or)? (?:the )?)$/u;

/**
 * Roles and decision statements mapped to authority levels: C-level, founders and "I'm the one
 * who signs off" → executive; VP; director and head of; manager and team lead; individual
 * contributors (engineer, analyst, account executive...). English, German, Spanish, French.
 */
export function extractRoles(text: string): RoleMatch[] {
  const folded = fold(text);
  const found: RoleMatch[] = [];
  for (const { pattern, level, self, other, guard } of PATTERNS) {
    if (guard !== undefined && !guard.test(folded)) continue;
    pattern.lastIndex = 0;
    for (const match of folded.matchAll(pattern)) {
      const span = { start: match.index, end: match.index + match[0].length };
      if (span.end === span.start || found.some((f) => overlaps(f, span))) continue;
      const subject = self === true ? 'self' : other === true ? 'other' : subjectOf(folded, span);
      found.push({ ...span, level, subject });
    }
  }
  for (const title of findTitles(folded)) {
    if (found.some((f) => overlaps(f, title))) continue;
    found.push({ ...title, subject: subjectOf(folded, title) });
  }
  // "cheif marketing officer", "sales manger": a title only the repaired words make, or make longer.
  const repaired = repairTitleWords(folded);
  if (repaired !== null) {
    for (const title of findTitles(repaired.text)) {
      const span = { start: repaired.start(title.start), end: repaired.end(title.end) };
      const covered = found.filter((f) => overlaps(f, span));
      if (covered.some((f) => f.start < span.start || f.end > span.end)) continue;
      if (covered.length > 0 && covered.every((f) => f.start === span.start && f.end === span.end)) continue;
      for (const f of covered) found.splice(found.indexOf(f), 1);
      found.push({ ...span, level: title.level, subject: subjectOf(folded, span) });
    }
  }
  found.sort((a, b) => a.start - b.start);
  return found;
}

const TITLE_WORDS =
  'chief officer director manager president founder executive marketing operations procurement purchasing assistant coordinator specialist intern owner partner principal senior junior engineer developer analyst consultant business development revenue technology technical financial finance product customer success growth demand generation representative administrator supervisor leader head vice sales';
// Inflected forms are real words ("I managed", "she founded"), never misspelt titles.
// Short forms of titles people type in chat ("mktg mgr", "dir of sales", "GM", "MD").
const TITLE_ABBREVIATIONS: Record<string, string> = {
  mgr: 'manager',
  mngr: 'manager',
  dir: 'director',
  mktg: 'marketing',
  mkting: 'marketing',
  gm: 'general manager',
  md: 'managing director',
  bizdev: 'business development',
  acct: 'account',
  exec: 'executive',
  asst: 'assistant',
  coord: 'coordinator',
  pres: 'president',
};
const repairTitleWords = createSpeller(
  TITLE_WORDS.split(' '),
  TITLE_ABBREVIATIONS,
  TITLE_WORDS.split(' ').flatMap((w) => [
    `${w}s`,
    `${w}ed`,
    `${w}d`,
    `${w.replace(/e?r$/, '')}ed`,
    `${w.replace(/e?r$/, '')}es`,
    `${w.replace(/r$/, '')}s`,
  ]),
);

// "Head of Growth here", "CTO speaking", "VP Sales at Acme, ..." : the title names the writer.
const SELF_AFTER =
  /^(?:[\s-]+(?:of|for|at|in|de|del|des|bei|im|der|von)?\s*[\p{L}&/-]+){0,4}?\s*(?:here|speaking|writing|aqui|ici|hier)\b/u;

function subjectOf(folded: string, span: { start: number; end: number }): RoleMatch['subject'] {
  const before = folded.slice(Math.max(0, span.start - 50), span.start);
  const clause = before.slice(Math.max(before.search(/[^.;!?]*$/), 0));
  // "the CEO's assistant": a title in the possessive is someone else's.
  // ("… IT" followed by "'s" is "it's", not the IT department's.)
  if (/^['’]s\b/u.test(folded.slice(span.end)) && !/\bit$/u.test(folded.slice(span.start, span.end)))
    return 'other';
  if (/\bmy (?:role|title|position|job(?: title)?) (?:is|=|:)\s*(?:the |a |an )?$/.test(clause))
    return 'self';
  if (OTHER_BEFORE.test(clause) && !/\b(?:i'm|i am|im)\s+(?:the|a|an)?\s*$/.test(clause)) return 'other';
  if (SELF_BEFORE.test(clause)) return 'self';
  if (SELF_AFTER.test(folded.slice(span.end, span.end + 60))) return 'self';
  // A message (or sentence) that opens with a title is a signature: "Director of Demand Generation".
  if (startsSentence(clause)) return 'self';
  // "we need an AI assistant", "hire more reps": a title as the object of a sentence names no one here.
  if (
    /(?:^|\s)(?:a|an|some|any|more|new|extra|additional|two|three|few|several)\s+(?:[\p{L}-]+\s+){0,2}$/u.test(
      clause,
    )
  )
    return 'other';
  return 'bare';
}

/** The clause before a title is empty, a greeting or at most two words ("Senior", "Hi, regional"). */
function startsSentence(clause: string): boolean {
  const words = clause
    .replace(
      /^[\s,!.—–-]*(?:(?:hi|hello|hey|hola|hallo|bonjour|ola|oi|hi there|good (?:morning|afternoon|day)|dear)\b(?:\s+(?:sir|madam|all|team|there|everyone))?[\s,!.—–-]*)?/u,
      '',
    )
    .trim();
  if (
    /^(?:(?:this is|it'?s|i'?m|i am|myself|my name is|me llamo|soy|je suis|ich bin|hier ist|(?:best|kind|warm)? ?regards|best|cheers|thanks|thank you|sincerely|greetings|br),?\s+)?[\p{L}'-]+(?:\s+[\p{L}'-]+)?\s*,$/u.test(
      words,
    )
  )
    return true;
  return (
    words === '' ||
    // "just an intern", "a sales rep": the answer names the writer's own title.
    /^(?:(?:just|only|simply)\s+)?(?:a|an)$/u.test(words) ||
    /^(?:senior|junior|interim|acting|deputy|lead|global|regional|associate|assistant)$/u.test(words)
  );
}

/** Picks the visitor's own level from a message (`self` and `bare` roles; first wins). */
export function selfAuthority(matches: readonly RoleMatch[], pending: boolean): RoleMatch | undefined {
  return (
    matches.find((m) => m.subject === 'self') ??
    (pending ? matches.find((m) => m.subject === 'bare') : undefined)
  );
}
