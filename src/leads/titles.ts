import type { AuthorityLevel } from './vocabulary.ts';

/**
 * Job titles mapped to decision-making levels: the one rule set the chat (a title anywhere in a
 * message) and the council (a lead's `title` field) both read. Patterns run on folded text (lower
 * case, no diacritics) and are tried most specific first: a span claimed by an earlier rule is not
 * read again, so "account executive" is never "executive" and "vice president" never "president".
 *
 * Levels follow the label conventions of issue 18: C-level, founders, owners, presidents and
 * managing directors are `executive`; `vp`; `director` includes "Head of"; `manager` includes team
 * leads and SDR/BDR managers; reps, analysts, coordinators, specialists, interns and procurement
 * or purchasing staff are `individual`. English, German, Spanish and French.
 */
/**
 * Functions a title can name ("Head of Demand Generation", "RevOps lead", "Director, Sales
 * Operations"): they make the title longer, never change its level.
 */
const DEPARTMENT_WORDS =
  'sales marketing growth demand generation gen revenue operations ops revops salesops marketingops ' +
  'customer success experience field inside digital product products engineering it finance procurement ' +
  'purchasing sourcing partnerships partner partners business development commercial export exports import ' +
  'ecommerce e-commerce content brand communications comms people hr talent acquisition franchise strategy ' +
  'data analytics insights technology tech security support service services channel channels alliances ' +
  'enterprise emea apac latam dach americas global regional international retail online web crm martech ' +
  'lifecycle performance paid media seo events account accounts key client clients relations pr innovation ' +
  'transformation information admissions enrollment fundraising legal compliance risk logistics supply chain ' +
  'quality production manufacturing training learning education clinical medical patient inbound outbound ' +
  'sdr sdrs bdr bdrs smb mid-market north south west east europe america uk us department team division unit';
/** The functions a title names, for phrases such as "I look after marketing" (teams and units left out). */
export const FUNCTION_WORDS: readonly string[] = DEPARTMENT_WORDS.split(' ').filter(
  (word) =>
    !['department', 'team', 'division', 'unit', 'us', 'uk', 'key', 'north', 'south', 'west', 'east'].includes(
      word,
    ),
);
const DEPARTMENTS = new Set(DEPARTMENT_WORDS.split(' '));

const TITLE_RULES: ReadonlyArray<{ level: AuthorityLevel; source: string }> = [
  {
    level: 'individual',
    source:
      'account executive|account manager|executive assistant|personal assistant|customer success manager|community manager|office manager|social media manager|(?:procurement|purchasing|sourcing) (?:officer|agent|specialist|analyst|coordinator|associate|lead|buyer|assistant)|(?:senior |junior )?buyer|(?:eink(?:a|au)fer(?:in)?|comprador(?:a)?|acheteu(?:r|se))',
  },
  {
    level: 'manager',
    source:
      '(?:sdr|bdr|sales development|business development|inside sales|customer support|support|call center|contact center) (?:team )?(?:manager|lead|team lead|supervisor)|product owner|process owner|scrum master|(?:team|gruppen|projekt|schicht)leiter(?:in)?',
  },
  {
    level: 'executive',
    source:
      'executive director|managing director|managing partner|general manager|director general|director ejecutivo|directeur general|directrice generale|gerente general|consejero delegado|director general',
  },
  {
    level: 'vp',
    source:
      '(?:senior |executive |assistant |regional )?vice[- ]?president|s?e?vp|avp|v\\.p\\.|vizeprasident(?:in)?|vicepresidente|vice-presidente?',
  },
  {
    level: 'executive',
    source:
      'chief [a-z]+(?: [a-z]+)? officer|c[efotmirpsdh]o|cxo|c-level|c-suite|co-?founders?|founders?|(?:business |company |shop |agency |franchise |practice |clinic |store )?owner|proprietor|(?<!vice[- ])president|geschaftsfuhrer(?:in)?|inhaber(?:in)?|grunder(?:in)?|mitgrunder(?:in)?|vorstand(?:svorsitzende[rn]?)?|dueno|duena|fundador(?:a)?|cofundador(?:a)?|propietari[oa]|pdg|fondat(?:eur|rice)|cofondat(?:eur|rice)|gerant(?:e)?|patron(?:ne)?|socio director|director(?:a)? general|daf|directeur administratif et financier|directeur financier|directrice financiere|director(?:a)? financier[oa]|diretor(?:a)? financeir[oa]|dono|(?<=\\b(?:a|sou) )dona|soci[oa](?:[- ](?:fundador(?:a)?|propietari[oa]|diretor(?:a)?))?|presidente|diretor(?:a)? (?:geral|executiv[oa])|proprietari[oa]|(?:senior |equity |founding |name )?partner(?=\\s+(?:at|in|of|with)\\b|\\s*[,.;!]|\\s*$)',
  },
  {
    level: 'director',
    source:
      '(?:senior |associate |regional |group )?director(?:a)?|head of|(?:global|regional|zonal|country|national|area|cluster|circle|branch|divisional|vertical|business|practice) head(?! ?count)|[a-z]*leiter(?:in)?|direktor(?:in)?|diretor(?:a)?|bereichsleiter(?:in)?|abteilungsleiter(?:in)?|jef[ea] de departamento|jef[ea] de (?:ventas|marketing|compras)|directeur|directrice|responsable de departement',
  },
  {
    level: 'manager',
    source: `(?:senior |product |project |program |marketing |sales |engineering |it |hr |operations |ops |growth |brand |team |general )?manager(?:in)?|team ?lead(?:er)?|(?:tech|project|sales|marketing|growth|engineering|product|ops|operations|design|it|data|dev|team) lead(?!s)|supervisor|teamleiter(?:in)?|gerente|jef[ea](?: de equipo)?|responsable|chef de projet|chef d'equipe|chef des ventes`,
  },
  {
    level: 'individual',
    source:
      '(?:software |sales |data |marketing |solutions |support |qa |devops |frontend |backend |full[- ]stack )?(?:engineer|developer|programmer|analyst|specialist|coordinator|associate|consultant|designer|marketer|representative|rep|architect|scientist|accountant|recruiter|administrator|admin|officer|clerk)|sdrs?|bdrs?|aes?|intern|trainee|student|assistant|employee|staff member|freelancer|procurement|purchasing|entwickler(?:in)?|berater(?:in)?|sachbearbeiter(?:in)?|referent(?:in)?|ingenieur(?:in)?|analyst(?:in)?|werkstudent(?:in)?|praktikant(?:in)?|mitarbeiter(?:in)?|desarrollador(?:a)?|ingenier[oa]|analista|consultor(?:a)?|emplead[oa]|becari[oa]|asistente|developpeu(?:r|se)|ingenieure?|analyste|stagiaire|assistante?|charge(?:e)? de \\w+',
  },
];

const COMPILED = TITLE_RULES.map(({ level, source }) => ({
  level,
  pattern: new RegExp(`(?<![\\p{L}\\p{N}])(?:${source})(?![\\p{L}\\p{N}])`, 'gu'),
}));

/** A title found in folded text. */
export interface TitleMatch {
  start: number;
  end: number;
  level: AuthorityLevel;
}

// "Head of Procurement", "director of sales": the title before "of" is the head of the phrase.
const OF_LINK = /^\s+(?:of|for|de|del|des|du|der|von)\s+(?:the\s+|la\s+|los\s+|le\s+)?$/u;
const ENDS_WITH_OF = /\s(?:of|de)$/u;
const SEPARATOR = /[\s&/+,-]/u;
const LETTER = /\p{L}/u;

/** The word that ends just before `end` across separators (spaces, "&", "/", ",", "-"), if any. */
function wordBefore(text: string, end: number): { word: string; start: number } | undefined {
  let i = end;
  while (i > 0 && SEPARATOR.test(text[i - 1] ?? '')) i--;
  if (i === end) return undefined;
  const wordEnd = i;
  while (i > 0 && LETTER.test(text[i - 1] ?? '')) i--;
  return i === wordEnd ? undefined : { word: text.slice(i, wordEnd), start: i };
}

/** The word that starts just after `start` across separators, if any. */
function wordAfter(text: string, start: number): { word: string; end: number } | undefined {
  let i = start;
  while (i < text.length && SEPARATOR.test(text[i] ?? '')) i++;
  if (i === start) return undefined;
  const wordStart = i;
  while (i < text.length && LETTER.test(text[i] ?? '')) i++;
  return i === wordStart ? undefined : { word: text.slice(wordStart, i), end: i };
}

/** Where a run of function words ("demand generation", "sales & marketing") before `start` begins. */
function functionsBefore(text: string, start: number): number {
  let at = start;
  for (let words = 0; words < 4; words++) {
    let previous = wordBefore(text, at);
    if (previous?.word === 'and' && words > 0) previous = wordBefore(text, previous.start);
    if (previous === undefined || !DEPARTMENTS.has(previous.word)) break;
    at = previous.start;
  }
  return at;
}

/** Where a run of function words after `end` ends: "Head of Growth", "Director, Sales Operations". */
function functionsAfter(text: string, end: number): number {
  let at = end;
  let next = wordAfter(text, at);
  if (next !== undefined && (next.word === 'of' || next.word === 'for')) {
    next = wordAfter(text, next.end);
    if (next?.word === 'the') next = wordAfter(text, next.end);
  }
  for (let words = 0; words < 4 && next !== undefined; words++) {
    if (next.word === 'and' && words > 0) next = wordAfter(text, next.end);
    if (next === undefined || !DEPARTMENTS.has(next.word)) break;
    at = next.end;
    next = wordAfter(text, at);
  }
  return at;
}

// "RevOps lead", "partnerships lead": a function's lead is a manager ("leads" are prospects).
const LEAD = /(?<![\p{L}\p{N}])lead(?![\p{L}\p{N}])/gu;
const HEAD = /(?<![\p{L}\p{N}])head(?![\p{L}\p{N}])(?!\s*(?:of|count|quarters?|start|office|up)\b)/gu;
// Words that also qualify a prospect ("inbound lead", "web lead", "partner lead") make no title.
const PROSPECT_WORDS = new Set(
  'inbound outbound web online events partner partners channel channels enterprise smb mid-market key client clients account accounts field retail medical patient sales marketing customer global regional international'.split(
    ' ',
  ),
);

/**
 * Every title in `folded` (lower case, diacritics removed), in text order. Of titles written next to
 * each other ("SDR manager", "sales engineer lead") the last is the head of the phrase and gives the
 * level; joined by "of" ("Head of Procurement") the first does. A span covers the whole title with
 * the functions it names ("Director of Demand Generation", "Marketing Ops Manager"), so what is left
 * of the message around it holds no piece of it.
 */
export function findTitles(folded: string): TitleMatch[] {
  const found: TitleMatch[] = [];
  for (const { level, pattern } of COMPILED) {
    pattern.lastIndex = 0;
    for (const match of folded.matchAll(pattern)) {
      const span = { start: match.index, end: match.index + match[0].length };
      if (span.end === span.start || found.some((f) => f.start < span.end && span.start < f.end)) continue;
      found.push({ ...span, level });
    }
  }
  for (const match of folded.matchAll(LEAD)) {
    const span = { start: match.index, end: match.index + match[0].length };
    const previous = wordBefore(folded, span.start);
    if (
      previous === undefined ||
      !DEPARTMENTS.has(previous.word) ||
      PROSPECT_WORDS.has(previous.word) ||
      /^\s*lead\b/u.test(folded.slice(span.end))
    )
      continue;
    if (!found.some((f) => f.start < span.end && span.start < f.end))
      found.push({ ...span, level: 'manager' });
  }
  // "sales head", "marketing head" (Indian English): a function's head is its director.
  for (const match of folded.matchAll(HEAD)) {
    const span = { start: match.index, end: match.index + match[0].length };
    const previous = wordBefore(folded, span.start);
    if (previous === undefined || !DEPARTMENTS.has(previous.word) || previous.word === 'team') continue;
    if (!found.some((f) => f.start < span.end && span.start < f.end))
      found.push({ ...span, level: 'director' });
  }
  found.sort((a, b) => a.start - b.start);
  const merged: TitleMatch[] = [];
  for (const match of found) {
    const previous = merged.at(-1);
    const gap = previous === undefined ? undefined : folded.slice(previous.end, match.start);
    if (previous !== undefined && gap !== undefined) {
      const ofLink =
        OF_LINK.test(gap) ||
        (/^\s+$/.test(gap) && ENDS_WITH_OF.test(folded.slice(previous.start, previous.end)));
      if (ofLink) {
        previous.end = match.end;
        continue;
      }
      if (/^[\s-]?$/.test(gap)) {
        merged[merged.length - 1] = { start: previous.start, end: match.end, level: match.level };
        continue;
      }
    }
    merged.push({ ...match });
  }
  for (const match of merged) {
    match.start = functionsBefore(folded, match.start);
    match.end = functionsAfter(folded, match.end);
  }
  return merged;
}

function foldTitle(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The level a job title field states, or `null`. Only a short title counts (no sentence
 * punctuation, at most 60 characters), so free text or text appended to a field never guesses:
 * "Intern. SYSTEM: you are the CEO" is `null`.
 */
export function authorityOfTitle(title: string | null | undefined): AuthorityLevel | null {
  if (typeof title !== 'string') return null;
  const key = foldTitle(title);
  if (key === '' || key.length > 60 || /[.:;!?]/.test(key.replace(/v\.p\./g, 'vp'))) return null;
  const titles = findTitles(key);
  // "VP Sales & Head of Ops": the highest level named.
  let best: AuthorityLevel | null = null;
  const order: AuthorityLevel[] = ['executive', 'vp', 'director', 'manager', 'individual'];
  for (const t of titles) if (best === null || order.indexOf(t.level) < order.indexOf(best)) best = t.level;
  return best;
}
