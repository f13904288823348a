import { invariant, LeadloopError } from './errors.ts';

/**
 * Canonical JSON (RFC 8785, JCS): object keys sorted by UTF-16 code units at every depth, numbers
 * and strings as `JSON.stringify` writes them. Output is identical to the `canonicalize` package
 * (a property test holds them equal), which it replaces on the hot path: every audit entry is
 * hashed over this form, and `canonicalize` allocated about 16 KiB per entry (a `Set`, an array and
 * template strings per value) — a sixth of all allocation while the workers drain a backlog.
 */
export function canonicalJson(value: unknown): string {
  const sorted = sortedCopy(value, []);
  // A tree of sorted plain objects: the engine's own JSON.stringify then writes every string and
  // number as JCS does, about twice as fast as writing them here. Integer-like keys are the one
  // thing it would reorder (objects list them first, ascending), and `__proto__` cannot be copied
  // as a plain key, so values with either take the writer.
  return sorted === WRITER ? write(value, []) : (JSON.stringify(sorted) as string);
}

const WRITER = Symbol('needs the writer');
const integerLike = /^(?:0|[1-9][0-9]*)$/;

/** `value` with every object's keys in UTF-16 order and `toJSON` applied; refuses what JCS refuses. */
function sortedCopy(value: unknown, ancestors: object[]): unknown {
  if (typeof value === 'string') {
    if (!value.isWellFormed()) loneSurrogate();
    return value;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) invariant(false, `${value} is not allowed in canonical JSON`);
    return value;
  }
  if (value === null || typeof value !== 'object') return value;
  invariant(!ancestors.includes(value), 'circular reference in canonical JSON');
  ancestors.push(value);
  let out: unknown;
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') {
    out = sortedCopy(withToJson.toJSON(), ancestors);
  } else if (Array.isArray(value)) {
    const items: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = sortedCopy(value[i], ancestors);
      if (item === WRITER) return WRITER;
      items[i] = item;
    }
    out = items;
  } else {
    const record = value as Record<string, unknown>;
    const copy: Record<string, unknown> = {};
    for (const key of sortedKeys(record)) {
      if (key === '__proto__' || integerLike.test(key)) return WRITER;
      if (!key.isWellFormed()) loneSurrogate();
      const item = record[key];
      if (item === undefined || typeof item === 'symbol') continue;
      const sorted = sortedCopy(item, ancestors);
      if (sorted === WRITER) return WRITER;
      copy[key] = sorted;
    }
    out = copy;
  }
  ancestors.pop();
  return out;
}

/** Keys in UTF-16 order; most objects hashed here are written in that order already, and sorting allocates. */
function sortedKeys(record: object): string[] {
  const keys = Object.keys(record);
  for (let i = 1; i < keys.length; i++) if ((keys[i - 1] as string) > (keys[i] as string)) return keys.sort();
  return keys;
}

/** JCS has no form for a lone surrogate (it is not valid Unicode), so it is refused, not escaped. */
function loneSurrogate(): never {
  throw new LeadloopError('validation_failed', 'a lone surrogate is not allowed in canonical JSON');
}

function write(value: unknown, ancestors: object[]): string {
  if (typeof value === 'number') {
    invariant(Number.isFinite(value), `${value} is not allowed in canonical JSON`);
    return JSON.stringify(value);
  }
  if (typeof value === 'string') return quote(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  invariant(!ancestors.includes(value), 'circular reference in canonical JSON');
  ancestors.push(value);
  let out: string;
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') {
    out = write(withToJson.toJSON(), ancestors);
  } else if (Array.isArray(value)) {
    out = '[';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (i > 0) out += ',';
      out += item === undefined || typeof item === 'symbol' ? 'null' : write(item, ancestors);
    }
    out += ']';
  } else {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    out = '{';
    let first = true;
    for (const key of keys) {
      const item = record[key];
      if (item === undefined || typeof item === 'symbol') continue;
      if (!first) out += ',';
      first = false;
      out += `${quote(key)}:${write(item, ancestors)}`;
    }
    out += '}';
  }
  ancestors.pop();
  return out;
}

function quote(text: string): string {
  if (!text.isWellFormed()) loneSurrogate();
  return JSON.stringify(text);
}
