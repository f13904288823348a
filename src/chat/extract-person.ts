import { findTitles } from '../leads/index.ts';
import { nlp } from './lexicon.ts';
import { fold } from './text.ts';

/** The visitor's own name and company when a message states them. */
export interface PersonFindings {
  name?: string;
  company?: string;
}

// A capitalised name of one to three words ("Jane", "Jane van der Berg", "O'Neil").
const NAME = "([A-ZÀ-Ý][\\p{L}'’-]+(?:\\s+(?:(?:van|von|der)\\s+)?[A-ZÀ-Ý][\\p{L}'’-]+){0,2})";
// A company: capitalised words, digits, "&", "." and "-" ("Acme Corp", "Brightline Dental", "H&M", "3M").
const CAP = "[A-Z0-9ÀÉÖÜ][\\p{L}0-9&.'’-]*";
const COMPANY = `(${CAP}(?:(?:\\s+(?:of|and|&|de|y|et|und|the))?\\s+${CAP}){0,4})`;

// [cue, what must follow]: the name is between them.
const NAME_CUES: Array<[string, string]> = [
  [
    "\\b(?:my name is|my name's|name is|name's|i am called|call me|this is|it's|it is|ich heiße|ich heisse|mein name ist|me llamo|mi nombre es|soy|ich bin|je m'appelle|je suis|moi c'est)\\s+",
    '',
  ],
  ["\\b(?:i'm|i am|im)\\s+", '(?=\\s*(?:[,.!;]|$|\\s+(?:from|at|with|and|here|of)\\b))'],
  ['(?:^|[.!?]\\s+|^(?:hi|hello|hey)[,!]?\\s+)', ',?\\s+here\\b'],
  // "Dana from Acme", "Dana Whitfield, CMO at Acme", "Name: Dana"
  ['^(?:(?:hi|hello|hey)(?: there)?[,!.]?\\s+)?', '\\s+(?:from|at|with)\\s+[A-Z0-9]'],
  [
    '^(?:(?:hi|hello|hey)(?: there)?[,!.]?\\s+)?',
    '\\s*,\\s*(?:the\\s+)?(?=[A-Za-z][\\p{L} -]{1,40}\\b(?:at|of|for|from|here)\\b)',
  ],
  ['\\b(?:name)\\s*:\\s*', ''],
  ['(?:^|\\s)[-–—]\\s*', '\\s*$'],
  [
    '(?:^|\\n)\\s*(?:thanks|thank you|cheers|best|regards|best regards|kind regards|saludos|gracias|merci|danke|grüße)[,!.]?\\s+',
    '\\s*[.!]?\\s*$',
  ],
];
// [cue, what must follow]: the company is between them.
const COMPANY_CUES: Array<[string, string]> = [
  [
    "\\b(?:company|business|firm|agency|shop|store|clinic|practice|startup|organi[sz]ation)(?:'s name)?\\s+(?:is|is called|called|named)\\s+",
    '',
  ],
  ["\\b(?:i|we)\\s+(?:work|am|are|'m|'re)?\\s*(?:at|for|with)\\s+", ''],
  ["\\b(?:i'm|i am|we're|we are|im)\\s+(?:the\\s+)?[\\p{L}\\s-]{0,40}?\\s(?:at|of|for)\\s+", ''],
  ['\\b(?:here|speaking|writing)\\s+(?:from|at)\\s+', ''],
  ['\\b(?:from|at)\\s+', '(?=\\s*(?:[,.!;]|$|\\s+(?:here|and|in|we|our|—|-)\\b))'],
  ["\\b(?:bei|von|von der|chez|de la empresa|de l'entreprise|trabajo en|je travaille chez)\\s+", ''],
  ["^(?:hi|hello|hey)?[,!\\s]*(?:we are|we're)\\s+", '(?=\\s*,)'],
];

const NOT_NAMES = new Set(
  (
    'Not Just Looking Interested Here The A An Sure Yes No Hi Hello Thanks Sorry Ok Okay Happy Glad New Based ' +
    'Currently Trying Working Responsible Head Director Manager Founder Owner Ceo Cto Cfo Cmo Vp Also Still ' +
    'Really Very So Pretty Quite Fine Good Great Back Ready Calling Writing Reaching Curious Wondering Evaluating'
  ).split(' '),
);
const NOT_COMPANIES = new Set(
  (
    'The A An I We You Our My This That It Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February ' +
    'March April May June July August September October November December Q1 Q2 Q3 Q4 Christmas Europe Germany ' +
    'USA UK US EU Spain France London Berlin Paris Madrid New York Home Work Least Most All Some ASAP'
  ).split(' '),
);

function cleanName(raw: string): string | undefined {
  const words = raw.trim().split(/\s+/);
  if (words.length === 0 || NOT_NAMES.has(words[0] as string)) return undefined;
  // A title is not a name: "I'm Head of Growth".
  if (findTitles(fold(raw)).length > 0) return undefined;
  return raw.trim();
}

function cleanCompany(raw: string): string | undefined {
  const text = raw
    .trim()
    .replace(/[.'’-]+$/u, '')
    .replace(/\s+(?:of|and|for|the|de|y|et|und|&)$/u, '');
  const first = text.split(/\s+/)[0] ?? '';
  if (text.length < 2 || NOT_COMPANIES.has(first) || NOT_COMPANIES.has(text)) return undefined;
  if (findTitles(fold(text)).length > 0 && !/\s/.test(text)) return undefined;
  return text;
}

const NAME_PATTERNS = NAME_CUES.map(([cue, after]) => new RegExp(`${anyCase(cue)}${NAME}${after}`, 'u'));
// The cue words match in any case, the company itself must be capitalised: "I work at Globex".
const COMPANY_PATTERNS = COMPANY_CUES.map(
  ([cue, after]) => new RegExp(`${anyCase(cue)}${COMPANY}${after}`, 'u'),
);

/** Lower-case ASCII letters of a pattern's literal text match either case (escapes left alone). */
function anyCase(cue: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < cue.length; i++) {
    const char = cue[i] as string;
    if (char === '\\') {
      const next = cue[i + 1] ?? '';
      const close = next === 'p' ? cue.indexOf('}', i) : i + 1;
      out += cue.slice(i, close + 1);
      i = close;
    } else if (char === '[') {
      inClass = true;
      out += char;
    } else if (char === ']') {
      inClass = false;
      out += char;
    } else if (!inClass && /[a-z]/.test(char)) out += `[${char}${char.toUpperCase()}]`;
    else out += char;
  }
  return out;
}

function capitaliseAfterNameCue(text: string): string {
  return text.replace(
    /\b(my name is|my name's|call me|me llamo|je m'appelle|ich heiße|ich heisse)\s+(\p{Ll})/iu,
    (_all, cue: string, first: string) => `${cue} ${first.toUpperCase()}`,
  );
}

/** Whether compromise's lexicon reads the words as a person's name (it knows common first names). */
function looksLikePerson(text: string, candidate: string): boolean {
  const first = candidate.split(/\s+/)[0]?.toLowerCase() ?? '';
  const people = nlp(text).people().out('array') as string[];
  if (people.some((p) => p.toLowerCase().includes(first))) return true;
  // Names the lexicon does not know ("Priya", "Kofi") read as plain singular nouns; words that are
  // verbs, adjectives or mass nouns ("Looking", "Happy", "Here") are not names.
  const tags = (nlp(candidate.split(/\s+/)[0] ?? '').json() as Array<{ terms: Array<{ tags: string[] }> }>)[0]
    ?.terms[0]?.tags;
  return tags?.every((tag) => ['Noun', 'Singular', 'ProperNoun'].includes(tag)) === true;
}

/**
 * The visitor's name and company from phrasings such as "my name is Jane", "I'm Jane from Acme
 * Corp", "Tom here, Northwind Logistics", "I work at Globex". Names need a capital letter (or a
 * name cue such as "my name is"); "I'm <word>" counts only when compromise's lexicon knows the word
 * as a name, so "I'm Looking" or "I'm Head of Growth" never becomes a name. With `expecting`
 * ("name" or "contact" was just asked), a short capitalised answer is taken as the name.
 */
export function extractPerson(text: string, expecting?: 'name' | 'contact'): PersonFindings {
  const found: PersonFindings = {};
  for (const [index, pattern] of NAME_PATTERNS.entries()) {
    // "my name is priya": after a strong cue the name may be written in lower case.
    const match = pattern.exec(text) ?? (index === 0 ? pattern.exec(capitaliseAfterNameCue(text)) : null);
    const raw = match?.[1];
    if (raw === undefined) continue;
    // Case-insensitive patterns: the name itself must still be capitalised unless cued by "my name is".
    const strongCue =
      index === 0 && /name|call me|heiße|heisse|llamo|nombre|appelle/iu.test(match?.[0] ?? '');
    const capitalised = /^[A-ZÀ-Ý]/u.test(raw);
    if (!capitalised && !strongCue) continue;
    // "this is", "it's", "soy", "je suis" are weak: the lexicon must know the name.
    const weak = !strongCue && ![2, 5, 7].includes(index);
    const name = cleanName(strongCue ? raw.replace(/^\p{Ll}/u, (c) => c.toUpperCase()) : raw);
    if (name === undefined || (weak && !looksLikePerson(text, name))) continue;
    found.name = name.split(/\s+/).slice(0, 3).join(' ');
    break;
  }
  if (found.name === undefined && expecting !== undefined) {
    const rest = text
      .replace(/\S+@\S+/g, ' ')
      .replace(/\+?\d[\d\s().-]{5,}/g, ' ')
      .replace(/\b(?:sure|yes|ok|okay|it's|my email is|email|and|is|here you go|thanks)\b[:,]?/giu, ' ')
      .replace(/[,;:.!]+/g, ' ')
      .trim();
    if (/^[A-ZÀ-Ý][\p{L}'’-]+(?:\s+[A-ZÀ-Ý][\p{L}'’-]+){0,2}$/u.test(rest)) {
      const name = cleanName(rest);
      if (name !== undefined) found.name = name;
    }
  }
  for (const pattern of COMPANY_PATTERNS) {
    const raw = pattern.exec(text)?.[1];
    if (raw === undefined) continue;
    const company = cleanCompany(raw);
    if (company !== undefined) {
      found.company = company;
      break;
    }
  }
  return found;
}
