/**
 * Plausible token count without a tokenizer: about four characters per token for English prose
 * (OpenAI's rule of thumb), never less than one word-piece per word. Budgets and metrics need
 * the right order of magnitude, not the exact BPE count.
 */
export function estimateTokens(text: string): number {
  if (text.length === 0) return 0;
  const words = text.match(/\S+/g)?.length ?? 0;
  return Math.max(Math.ceil(text.length / 4), words);
}

/** 32-bit FNV-1a: a fast, stable hash for choosing among phrasings. */
export function hashString(value: string, seed = 0): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Picks one of `choices` deterministically from `key`: same key, same choice; different keys spread evenly. */
export function pickVariant<T>(choices: readonly [T, ...T[]], key: string, seed = 0): T {
  return choices[hashString(key, seed) % choices.length] ?? choices[0];
}

/** Splits text into stream-sized pieces (a word and its trailing space), keeping the concatenation exact. */
export function chunkText(text: string): string[] {
  const pieces = text.match(/\s*\S+\s*/g);
  return pieces ?? (text === '' ? [] : [text]);
}
