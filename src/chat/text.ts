/** Text helpers shared by the extractors: folding that keeps offsets, number words, masking. */

const COMBINING_MARKS = /[\u0300-\u036f]/g;
const ASCII = /^[\x20-\x7e\t\n\r]*$/;

/**
 * Lower case without diacritics (`März` → `marz`) and with plain apostrophes, keeping every UTF-16 offset of the input, so a
 * match found in the folded text can be cut out of the original.
 */
export function fold(text: string): string {
  // Plain ASCII (most messages) lower-cases without changing length.
  if (ASCII.test(text)) return text.toLowerCase();
  let out = '';
  for (const char of text) {
    // Phones type "I’m" with a typographic apostrophe; every pattern is written with the plain one.
    if (char === '\u2019' || char === '\u2018' || char === '\u02bc') {
      out += "'";
      continue;
    }
    const lower = char.toLowerCase();
    const base = lower.normalize('NFKD').replace(COMBINING_MARKS, '');
    if (base.length === char.length) out += base;
    else if (lower.length === char.length) out += lower;
    else out += char;
  }
  return out;
}

/** A half-open range of offsets in a message. */
export interface Span {
  start: number;
  end: number;
}

/** Replaces the spans with `fill` (spaces) so later extractors do not read the same words twice. */
export function mask(text: string, spans: readonly Span[], fill = ' '): string {
  if (spans.length === 0) return text;
  const chars = text.split('');
  for (const span of spans) {
    for (let i = Math.max(0, span.start); i < Math.min(chars.length, span.end); i++) chars[i] = fill;
  }
  return chars.join('');
}

export function overlaps(a: Span, b: Span): boolean {
  return a.start < b.end && b.start < a.end;
}

const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  single: 1,
  two: 2,
  couple: 2,
  'a couple': 2,
  'a couple of': 2,
  three: 3,
  few: 3,
  'a few': 3,
  several: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  fifteen: 15,
  eighteen: 18,
  twenty: 20,
  'twenty-four': 24,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  hundred: 100,
  'a hundred': 100,
  // German
  ein: 1,
  eine: 1,
  einem: 1,
  einen: 1,
  einer: 1,
  zwei: 2,
  paar: 2,
  'ein paar': 3,
  drei: 3,
  vier: 4,
  funf: 5,
  sechs: 6,
  sieben: 7,
  acht: 8,
  neun: 9,
  zehn: 10,
  zwolf: 12,
  // Spanish
  un: 1,
  uno: 1,
  una: 1,
  dos: 2,
  tres: 3,
  cuatro: 4,
  cinco: 5,
  seis: 6,
  siete: 7,
  ocho: 8,
  nueve: 9,
  diez: 10,
  doce: 12,
  // French
  une: 1,
  deux: 2,
  trois: 3,
  quatre: 4,
  cinq: 5,
  sept: 7,
  huit: 8,
  neuf: 9,
  dix: 10,
  douze: 12,
};

/** Alternation of number words for regexes over folded text, longest first. */
export const NUMBER_WORD_PATTERN = Object.keys(NUMBER_WORDS)
  .sort((a, b) => b.length - a.length)
  .map((word) => word.replace(/ /g, '\\s+'))
  .join('|');

/** A count written in digits or words (`3`, `three`, `a couple of`, `drei`), or undefined. */
export function parseCount(raw: string): number | undefined {
  const cleaned = raw.trim().replace(/\s+/g, ' ');
  if (/^\d+(?:[.,]\d+)?$/.test(cleaned)) return Number(cleaned.replace(',', '.'));
  return NUMBER_WORDS[cleaned];
}

/**
 * A number as people type it: `1,200,000`, `1.200.000` and `15.000` (thousands), `1.2` and `1,5`
 * (decimals), `15 000`. Returns undefined for anything else.
 */
export function parseNumber(raw: string): number | undefined {
  const cleaned = raw.replace(/[\s\u00a0\u202f']/g, '');
  if (!/^\d[\d.,]*$/.test(cleaned) || /[.,]$/.test(cleaned)) return undefined;
  const lastDot = cleaned.lastIndexOf('.');
  const lastComma = cleaned.lastIndexOf(',');
  let normalised: string;
  if (lastDot >= 0 && lastComma >= 0) {
    const decimal = lastDot > lastComma ? '.' : ',';
    const thousands = decimal === '.' ? ',' : '.';
    normalised = cleaned.split(thousands).join('').replace(decimal, '.');
  } else if (lastComma >= 0) {
    normalised = /^\d{1,3}(,\d{3})+$/.test(cleaned) ? cleaned.replace(/,/g, '') : cleaned.replace(',', '.');
  } else if (lastDot >= 0) {
    normalised = /^\d{1,3}(\.\d{3})+$/.test(cleaned) ? cleaned.replace(/\./g, '') : cleaned;
  } else {
    normalised = cleaned;
  }
  if ((normalised.match(/\./g) ?? []).length > 1) return undefined;
  const value = Number(normalised);
  return Number.isFinite(value) ? value : undefined;
}

/** Words that carry little meaning, for comparing short texts and detecting empty answers. */
const STOP_WORDS = new Set(
  (
    'a an the and or but so of to in on at for with by from about as is are was were be been am i we you ' +
    'our my your us me it its this that these those there here have has had do does did not no yes just ' +
    're ll ve d s t m really very well also some any into out up than then them they he she his her ok okay um uh hmm ' +
    'der die das und ein eine wir ich ist sind nicht mit fur von zu el la los las y de que en un una es ' +
    'le les et des du est nous je pour avec'
  ).split(' '),
);

/** Lower-case content words of a text (stop words and punctuation dropped). */
export function contentWords(text: string): string[] {
  return (
    fold(text)
      .match(/[\p{L}\p{N}]+/gu)
      ?.filter((word) => !STOP_WORDS.has(word)) ?? []
  );
}

/** 32-bit FNV-1a hash; picks reply variants deterministically from the session id. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
