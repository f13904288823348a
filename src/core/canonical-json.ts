import { invariant, LeadloopError } from './errors.ts';

/**
 * Canonical JSON (RFC 8785, JCS): object keys sorted by UTF-16 code units at every depth, numbers
 * and strings as `JSON.stringify` writes them. Output is identical to the `canonicalize` package
 * (a property test holds them equal), which it replaces on the hot path: every audit entry is
 * hashed over this form, and `canonicalize` allocated about 16 KiB per entry (a `Set`, an array and
 * template strings per value) — a sixth of all allocation while the workers drain a backlog.
 */
export function canonicalJson(value: unknown): string {
  return write(value, []);
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

/**
 * JCS has no form for a lone surrogate (it is not valid Unicode), so it is refused, not escaped.
 * `isWellFormed` checks in native code what a loop over the string's code units did in JavaScript
 * (most of the time canonical JSON took for an audit entry).
 */
function quote(text: string): string {
  if (!text.isWellFormed())
    throw new LeadloopError('validation_failed', 'a lone surrogate is not allowed in canonical JSON');
  return JSON.stringify(text);
}
