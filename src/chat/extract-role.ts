import type { AuthorityLevel } from './slot-values.ts';
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
}

const r = (source: string) => new RegExp(`\\b(?:${source})\\b`, 'gu');

// Most specific first: a span claimed by an earlier pattern is not read again.
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
        'i decide',
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
        "(?:i|we)(?:'d| would| will|'ll)? (?:need|have|has) to (?:check|run it|run this|get (?:it )?(?:approved|approval|sign[- ]off)|ask|talk|consult|clear it)(?: \\w+){0,3} (?:with |by |from )?(?:my|our|the) (?:boss|manager|director|cfo|ceo|cto|vp|head|supervisor|leadership|management|team lead)",
        "i(?:'m| am) not (?:the |a )?(?:decision[- ]?maker|one who decides|the one signing)",
        "i don'?t (?:make|have) the (?:final )?(?:decision|call|say)",
        "i(?:'m| am) (?:just )?(?:researching|looking into this|gathering info(?:rmation)?) (?:for|on behalf of)",
        'individual contributor|\\bic\\b',
      ].join('|'),
    ),
  },
  {
    level: 'executive',
    self: true,
    pattern: r(
      "(?:i|i'm|i am|we)\\s+(?:run|own|founded|started|co-founded|am running|'m running)\\s+(?:the|this|my|our|a)\\s+(?:company|business|firm|shop|agency|startup|practice|store)",
    ),
  },
  {
    level: 'director',
    self: true,
    pattern: r(
      "(?:i|i'm|i am)\\s+(?:head(?:ing)?(?: up)?|oversee(?:ing)?|in charge of|responsible for|run(?:ning)?)\\s+(?:the |our |all )?(?:sales|marketing|growth|operations|ops|revenue|revops|sales ops|it|engineering|partnerships|demand gen(?:eration)?|business development|customer success|finance)(?: department| org(?:ani[sz]ation)?| function)?(?! team)",
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
  {
    level: 'individual',
    pattern: r(
      'account executive|account manager|executive assistant|personal assistant|customer success manager|community manager|office manager|social media manager',
    ),
  },
  {
    level: 'manager',
    pattern: r('product owner|process owner|scrum master|(?:team|gruppen|projekt|schicht)leiter(?:in)?'),
  },
  {
    level: 'executive',
    pattern: r(
      'executive director|managing director|managing partner|general manager|director general|director ejecutivo|directeur general|directrice generale|gerente general|consejero delegado',
    ),
  },
  {
    level: 'vp',
    pattern: r(
      '(?:senior |executive |assistant )?vice[- ]?president|s?e?vp|v\\.p\\.|vizeprasident(?:in)?|vicepresidente|vice-presidente?',
    ),
  },
  {
    level: 'executive',
    pattern: r(
      'chief [a-z]+ officer|c[efotmirpsdh]o|c-level|c-suite|co-?founders?|founders?|(?:business |company |shop |agency |franchise )?owner|proprietor|(?<!vice[- ])president|geschaftsfuhrer(?:in)?|inhaber(?:in)?|grunder(?:in)?|mitgrunder(?:in)?|vorstand(?:svorsitzende[rn]?)?|dueno|duena|fundador(?:a)?|cofundador(?:a)?|propietari[oa]|pdg|fondat(?:eur|rice)|cofondat(?:eur|rice)|gerant(?:e)?|patron(?:ne)?',
    ),
  },
  {
    level: 'director',
    pattern: r(
      '(?:senior |associate |regional )?director(?:a)?|head of|[a-z]*leiter(?:in)?|direktor(?:in)?|jefe de departamento|jefa de departamento|directeur|directrice|responsable de departement',
    ),
  },
  {
    level: 'manager',
    pattern: r(
      "(?:senior |product |project |program |marketing |sales |engineering |it |hr |operations |ops |growth |brand |team |account |general )?manager(?:in)?|team ?lead(?:er)?|(?:tech|project|sales|marketing|growth|engineering|product|ops|operations|design|it|data|dev) lead(?!s)|supervisor|teamleiter(?:in)?|gerente|jef[ea](?: de equipo)?|responsable|chef de projet|chef d'equipe",
    ),
  },
  {
    level: 'individual',
    pattern: r(
      '(?:software |sales |data |marketing |solutions |support |qa |devops |frontend |backend |full[- ]stack )?(?:engineer|developer|programmer|analyst|specialist|coordinator|associate|consultant|designer|marketer|representative|rep|architect|scientist|accountant|recruiter|administrator|admin)|sdr|bdr|intern|trainee|student|assistant|employee|staff member|freelancer|entwickler(?:in)?|berater(?:in)?|sachbearbeiter(?:in)?|referent(?:in)?|ingenieur(?:in)?|analyst(?:in)?|werkstudent(?:in)?|praktikant(?:in)?|desarrollador(?:a)?|ingenier[oa]|analista|consultor(?:a)?|emplead[oa]|becari[oa]|developpeu(?:r|se)|ingenieure?|analyste|stagiaire|charge(?:e)? de \\w+',
    ),
  },
];

const SELF_BEFORE =
  /(?:\bi(?:'m| am)|\bim\b|i work as|i'm working as|as (?:a|an|the)|my (?:role|title|position|job) is|i serve as|i run|i lead|i head|i'm currently|i was promoted to|ich bin|ich arbeite als|\bals\b|\bsoy\b|trabajo como|je suis|je travaille comme|en tant que|here,?|(?:my )?(?:role|title|position|job title)\s*:)\s*[^.;!?]{0,30}$/;
const OTHER_BEFORE =
  /(?:\b(?:my|our|his|her|their|your|mein(?:e[mnr]?)?|unser(?:e[mnr]?)?|mi|mis|nuestr[oa]|mon|ma|notre|nos)\s+(?:[\p{L}-]+\s+){0,2}|report(?:s|ing)? (?:directly )?to (?:the |our |my )?|reports to|with (?:the|our|my) |the (?:ceo|cfo|cto|founder|owner)(?: and| or)? (?:the )?)$/u;

/**
 * Roles and decision statements mapped to authority levels: C-level, founders and "I'm the one
 * who signs off" → executive; VP; director and head of; manager and team lead; individual
 * contributors (engineer, analyst, account executive...). English, German, Spanish, French.
 */
export function extractRoles(text: string): RoleMatch[] {
  const folded = fold(text);
  const found: RoleMatch[] = [];
  for (const { pattern, level, self } of PATTERNS) {
    pattern.lastIndex = 0;
    for (const match of folded.matchAll(pattern)) {
      const span = { start: match.index, end: match.index + match[0].length };
      if (span.end === span.start || found.some((f) => overlaps(f, span))) continue;
      found.push({ ...span, level, subject: self === true ? 'self' : subjectOf(folded, span.start) });
    }
  }
  found.sort((a, b) => a.start - b.start);
  // In "SDR manager" or "sales engineer lead" the last title is the head of the phrase: keep it.
  return found.filter((match, i) => {
    const next = found[i + 1];
    return !adjacent(folded, match, next);
  });
}

function adjacent(folded: string, a: RoleMatch, b: RoleMatch | undefined): boolean {
  return b !== undefined && a.subject !== 'self' && /^[\s-]?$/.test(folded.slice(a.end, b.start));
}

function subjectOf(folded: string, start: number): RoleMatch['subject'] {
  const before = folded.slice(Math.max(0, start - 50), start);
  const clause = before.slice(Math.max(before.search(/[^.;!?]*$/), 0));
  if (OTHER_BEFORE.test(clause) && !/\b(?:i'm|i am|im)\s+(?:the|a|an)?\s*$/.test(clause)) return 'other';
  return SELF_BEFORE.test(clause) ? 'self' : 'bare';
}

/** Picks the visitor's own level from a message (`self` and `bare` roles; first wins). */
export function selfAuthority(matches: readonly RoleMatch[], pending: boolean): RoleMatch | undefined {
  return (
    matches.find((m) => m.subject === 'self') ??
    (pending ? matches.find((m) => m.subject === 'bare') : undefined)
  );
}
