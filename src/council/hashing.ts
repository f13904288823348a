import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every depth, so equal values hash equally. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => stableJson(item)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableJson(item)}`).join(',')}}`;
}

/** Hex sha256 of a string. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Hex sha256 of a value's stable JSON. */
export function hashValue(value: unknown): string {
  return sha256(stableJson(value));
}

const itemHashes = new WeakMap<object, string>();

/**
 * Hash of a list of immutable objects, each hashed once per object: the built-in agents are the
 * same objects on every ask, and hashing the whole catalog's stable JSON per decision was a
 * tenth of the council's time under load.
 */
export function hashImmutableList(items: readonly object[]): string {
  const hashes = items.map((item) => {
    let hash = itemHashes.get(item);
    if (hash === undefined) {
      hash = hashValue(item);
      itemHashes.set(item, hash);
    }
    return hash;
  });
  return sha256(hashes.join(','));
}
