import type { LeadInput } from './lead-schema.ts';

/*
 * The common case of `leadInputSchema` without zod: a JSON object whose fields are all strings
 * within their limits (and `utm` and `attributes` of the plain kinds). zod's parse allocated about
 * 5.6 KiB per lead on the webhook path, a tenth of what a request allocates, and the accept path's
 * CPU is mostly the collector's (docs/decisions/2026-12-07-accept-path-cpu.md).
 *
 * It answers only for input zod accepts, with the value zod returns (the same keys in the same
 * order, strings trimmed as the schema trims them); anything else (a missing or odd field,
 * `consent`, an unknown key, a string out of bounds) answers undefined, and the caller runs zod,
 * whose errors name the field. `plain-lead.test.ts` compares both over generated input.
 */

/** `leadInputSchema`'s plain string fields: [trimmed min length, max length, pattern]. */
const TEXT_FIELDS: Record<string, readonly [number, number, RegExp | null]> = {
  email: [0, 320, null],
  name: [1, 200, null],
  phone: [0, 40, null],
  company: [1, 200, null],
  title: [1, 200, null],
  country: [0, Number.POSITIVE_INFINITY, /^[A-Za-z]{2}$/],
  source: [1, 100, null],
};

/** The schema's key order, which is the order of zod's output (`consent` always goes to zod). */
const LEAD_KEYS = ['email', 'name', 'phone', 'company', 'title', 'country', 'source', 'utm', 'attributes'];
const UTM_KEYS = ['source', 'medium', 'campaign', 'term', 'content'];
const MAX_ATTRIBUTES = 100;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** Own keys, or null when one of them is not a string or not one of `known`. */
function knownKeys(value: Record<string, unknown>, known: readonly string[]): string[] | null {
  const keys = Reflect.ownKeys(value);
  for (const key of keys) if (typeof key !== 'string' || !known.includes(key)) return null;
  return keys as string[];
}

function text(value: unknown, min: number, max: number, pattern: RegExp | null): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (trimmed.length < min || trimmed.length > max) return undefined;
  if (pattern && !pattern.test(trimmed)) return undefined;
  return trimmed;
}

function plainUtm(value: unknown): LeadInput['utm'] {
  if (!isPlainObject(value) || knownKeys(value, UTM_KEYS) === null) return undefined;
  const out: Record<string, string> = {};
  for (const key of UTM_KEYS) {
    if (!Object.hasOwn(value, key)) continue;
    const field = text(value[key], 1, 200, null);
    if (field === undefined) return undefined;
    out[key] = field;
  }
  return out;
}

function plainAttributes(value: unknown): LeadInput['attributes'] {
  if (!isPlainObject(value)) return undefined;
  const keys = Reflect.ownKeys(value);
  if (keys.length > MAX_ATTRIBUTES) return undefined;
  const out: Record<string, string | number | boolean | null> = {};
  for (const key of keys) {
    if (typeof key !== 'string' || key.length === 0 || key.length > 100 || key === '__proto__')
      return undefined;
    const field = value[key];
    if (typeof field === 'string') {
      if (field.length > 2000) return undefined;
    } else if (typeof field === 'number') {
      if (!Number.isFinite(field)) return undefined;
    } else if (typeof field !== 'boolean' && field !== null) return undefined;
    out[key] = field;
  }
  return out;
}

/**
 * `leadInputSchema.parse(value)` for plainly valid input, without zod; undefined when the input
 * needs zod (to validate what this does not cover, or to name what is wrong).
 */
export function parsePlainLead(value: unknown): LeadInput | undefined {
  if (!isPlainObject(value) || knownKeys(value, LEAD_KEYS) === null) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of LEAD_KEYS) {
    if (!Object.hasOwn(value, key)) continue;
    const limits = TEXT_FIELDS[key];
    const field = limits
      ? text(value[key], ...limits)
      : key === 'utm'
        ? plainUtm(value[key])
        : plainAttributes(value[key]);
    if (field === undefined) return undefined;
    out[key] = field;
  }
  return out as LeadInput;
}
