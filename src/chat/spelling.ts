/**
 * Repair of misspelt words against a closed vocabulary ("quater" → "quarter", "monts" → "months",
 * "mths" → "months"): one edit (a letter missing, extra, wrong, or two swapped) on words of five
 * letters or more, plus listed abbreviations. A word is repaired only when one vocabulary word is one
 * edit away (or, of several, one ends in the same letter), and never when it is itself in the vocabulary.
 */

/** A repaired text and the way back to the offsets of the text it came from. */
export interface Repaired {
  text: string;
  /** The offset in the original text of a start offset in `text`. */
  start(index: number): number;
  /** The offset in the original text of an end offset (exclusive) in `text`. */
  end(index: number): number;
}

/** Whether `a` and `b` are one insertion, deletion, substitution or adjacent swap apart. */
function oneEditApart(a: string, b: string): boolean {
  if (a === b || Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true;
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
  }
  return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

/** A speller over one vocabulary; `repair` returns null when nothing needed repairing. */
export function createSpeller(
  vocabulary: Iterable<string>,
  abbreviations: Readonly<Record<string, string>> = {},
  /** Real words that are one edit from a vocabulary word ("managed", "sprint"): never repaired. */
  keep: Iterable<string> = [],
): (text: string) => Repaired | null {
  const targets = new Set(vocabulary);
  const known = new Set([...targets, ...keep]);
  const long = [...targets].filter((word) => word.length >= 4 && /^\p{L}+$/u.test(word));
  const cache = new Map<string, string | null>();
  const fix = (word: string): string | null => {
    const listed = abbreviations[word];
    if (listed !== undefined) return listed;
    if (word.length < 5 || known.has(word)) return null;
    const cached = cache.get(word);
    if (cached !== undefined) return cached;
    let near = long.filter((candidate) => oneEditApart(word, candidate));
    // "monts" is one edit from "month" and "months": the one that ends like it (a plural) wins.
    if (near.length > 1) near = near.filter((candidate) => candidate.at(-1) === word.at(-1));
    const repaired = near.length === 1 ? (near[0] as string) : null;
    if (cache.size < 10_000) cache.set(word, repaired);
    return repaired;
  };

  return (text) => {
    let out = '';
    // For each offset of `out`, the offset of the original text it stands for.
    const starts: number[] = [];
    const ends: number[] = [];
    let last = 0;
    let changed = false;
    for (const match of text.matchAll(/\p{L}+/gu)) {
      const word = match[0];
      const at = match.index;
      const repaired = fix(word);
      if (repaired === null) continue;
      for (let i = last; i < at; i++) {
        starts.push(i);
        ends.push(i + 1);
        out += text[i];
      }
      for (let i = 0; i < repaired.length; i++) {
        starts.push(at);
        ends.push(at + word.length);
        out += repaired[i];
      }
      last = at + word.length;
      changed = true;
    }
    if (!changed) return null;
    for (let i = last; i < text.length; i++) {
      starts.push(i);
      ends.push(i + 1);
      out += text[i];
    }
    return {
      text: out,
      start: (index) => starts[index] ?? text.length,
      end: (index) => (index <= 0 ? 0 : (ends[index - 1] ?? text.length)),
    };
  };
}
