import freeEmailDomains from 'email-providers/common.json' with { type: 'json' };
import { z } from 'zod';
import { assertNever } from '../../core/index.ts';
import type { ColumnReader, RawValue, RowSource } from './dataset.ts';
import { parseBooleanValue } from './dataset.ts';

export type FeatureKind = 'numeric' | 'categorical' | 'boolean';

/**
 * Where a feature's value comes from: a column as is, or a value derived from columns. Derivations
 * are data, not functions, so a spec stored with a model is replayed exactly at scoring time.
 */
export type FeatureSource =
  | { op: 'column'; column: string }
  /** true when the column equals `value` (e.g. `pdays` = 999: never contacted before). */
  | { op: 'equals'; column: string; value: string }
  | { op: 'ratio'; numerator: string; denominator: string }
  | { op: 'log1p'; column: string }
  /** Days from the date in `from` to the date in `to` (recency, tenure). */
  | { op: 'daysBetween'; from: string; to: string }
  /** `free` for a free-mail provider's domain, `business` otherwise. */
  | { op: 'emailDomainKind'; column: string };

export interface FeatureDeclaration {
  name: string;
  kind: FeatureKind;
  source: FeatureSource;
  /** How a salesperson would name it ("contact channel"); defaults to `name`. */
  label?: string;
  /**
   * A full phrase per level, used in explanations instead of "label: level", e.g.
   * `{ success: 'previous campaign succeeded' }`. For booleans the keys are `true` and `false`.
   */
  levelLabels?: Record<string, string>;
  /** Categorical levels seen fewer times are bucketed as "other". */
  minCount?: number;
}

export interface FeatureSpec {
  features: FeatureDeclaration[];
  /** Cell values read as missing (compared trimmed and lower-cased). */
  missingTokens?: string[];
  /** Default for `minCount`. */
  minCategoryCount?: number;
}

/** Cell values read as missing unless a spec says otherwise. `unknown` is deliberately not one. */
export const DEFAULT_MISSING_TOKENS: readonly string[] = ['', 'na', 'n/a', 'nan', 'null', 'none', '?'];
/** Categorical levels seen fewer times than this in training share the "other" code. */
export const DEFAULT_MIN_CATEGORY_COUNT = 10;

const sourceSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('column'), column: z.string().min(1) }),
  z.object({ op: z.literal('equals'), column: z.string().min(1), value: z.string() }),
  z.object({ op: z.literal('ratio'), numerator: z.string().min(1), denominator: z.string().min(1) }),
  z.object({ op: z.literal('log1p'), column: z.string().min(1) }),
  z.object({ op: z.literal('daysBetween'), from: z.string().min(1), to: z.string().min(1) }),
  z.object({ op: z.literal('emailDomainKind'), column: z.string().min(1) }),
]);

/** Validates a feature spec (e.g. one stored with a model or sent by an API client). */
export const featureSpecSchema = z.object({
  features: z
    .array(
      z.object({
        name: z.string().min(1),
        kind: z.enum(['numeric', 'categorical', 'boolean']),
        source: sourceSchema,
        label: z.string().optional(),
        levelLabels: z.record(z.string(), z.string()).optional(),
        minCount: z.number().int().positive().optional(),
      }),
    )
    .min(1)
    .refine(
      (features) => new Set(features.map((f) => f.name)).size === features.length,
      'feature names must be unique',
    ),
  missingTokens: z.array(z.string()).optional(),
  minCategoryCount: z.number().int().positive().optional(),
});

/** The columns a feature reads. */
export function sourceColumns(source: FeatureSource): string[] {
  switch (source.op) {
    case 'column':
    case 'equals':
    case 'log1p':
    case 'emailDomainKind':
      return [source.column];
    case 'ratio':
      return [source.numerator, source.denominator];
    case 'daysBetween':
      return [source.from, source.to];
    default: {
      return assertNever(source, 'feature source');
    }
  }
}

/** The spec's missing tokens, trimmed and lower-cased. */
export function missingTokenSet(spec: FeatureSpec): Set<string> {
  return new Set((spec.missingTokens ?? DEFAULT_MISSING_TOKENS).map((t) => t.trim().toLowerCase()));
}

/** `text` without surrounding whitespace; allocates only when there is some (the hot path has none). */
export function trimmed(text: string): string {
  const last = text.length - 1;
  return last >= 0 && (text.charCodeAt(0) <= 32 || text.charCodeAt(last) <= 32) ? text.trim() : text;
}

const INFINITY = /^[+-]?(inf|infinity)$/i;

/** Missing-value test and number parsing bound to one set of missing tokens. */
export interface ValueReader {
  isMissing(raw: RawValue): boolean;
  /** A number, ±Infinity for infinite inputs, NaN for missing or unparseable values. */
  number(raw: RawValue): number;
}

/**
 * Compiled once per encoder: scoring calls these for every field of every lead, so the token set's
 * longest entry is known up front and values longer than it skip lower-casing.
 */
export function createValueReader(missing: ReadonlySet<string>): ValueReader {
  const longest = Math.max(0, ...[...missing].map((t) => t.length));
  const isMissingValue = (raw: RawValue): boolean => {
    if (raw === null || raw === undefined) return true;
    if (typeof raw === 'number') return Number.isNaN(raw);
    if (typeof raw === 'boolean') return false;
    const text = trimmed(raw);
    return text.length <= longest && missing.has(text.toLowerCase());
  };
  return {
    isMissing: isMissingValue,
    number(raw) {
      if (typeof raw === 'number') return raw;
      if (typeof raw === 'boolean') return raw ? 1 : 0;
      if (typeof raw !== 'string' || isMissingValue(raw)) return Number.NaN;
      const text = trimmed(raw);
      const value = Number(text);
      if (!Number.isNaN(value)) {
        // Number() also reads 0x/0b/0o literals, which are not data; signed ones are already NaN.
        const prefix = text.length > 1 && text.charCodeAt(0) === 48 ? text.charCodeAt(1) | 32 : 0;
        return prefix === 120 || prefix === 98 || prefix === 111 ? Number.NaN : value;
      }
      if (INFINITY.test(text))
        return text.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
      return Number.NaN;
    },
  };
}

const readers = new WeakMap<ReadonlySet<string>, ValueReader>();
function readerFor(missing: ReadonlySet<string>): ValueReader {
  let reader = readers.get(missing);
  if (!reader) {
    reader = createValueReader(missing);
    readers.set(missing, reader);
  }
  return reader;
}

/** Whether a value counts as missing under these tokens (null, undefined and NaN always do). */
export function isMissing(raw: RawValue, missing: ReadonlySet<string>): boolean {
  return readerFor(missing).isMissing(raw);
}

/** A number, ±Infinity for infinite inputs, NaN for missing or unparseable values. */
export function parseNumber(raw: RawValue, missing: ReadonlySet<string>): number {
  return readerFor(missing).number(raw);
}

function parseDateMs(raw: RawValue, missing: ReadonlySet<string>): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw !== 'string' || isMissing(raw, missing)) return Number.NaN;
  return Date.parse(raw.trim());
}

const FREE_DOMAINS = new Set<string>(freeEmailDomains);
const DAY_MS = 86_400_000;

/** The feature's value for one row, before encoding. */
export function deriveValue(
  source: FeatureSource,
  read: ColumnReader,
  missing: ReadonlySet<string>,
): RawValue {
  switch (source.op) {
    case 'column':
      return read(source.column);
    case 'equals': {
      const raw = read(source.column);
      if (isMissing(raw, missing)) return undefined;
      return String(raw).trim() === source.value;
    }
    case 'ratio': {
      const numerator = parseNumber(read(source.numerator), missing);
      const denominator = parseNumber(read(source.denominator), missing);
      const value = numerator / denominator;
      return Number.isFinite(value) ? value : undefined;
    }
    case 'log1p': {
      const value = parseNumber(read(source.column), missing);
      return value > -1 ? Math.log1p(value) : undefined;
    }
    case 'daysBetween': {
      const days = (parseDateMs(read(source.to), missing) - parseDateMs(read(source.from), missing)) / DAY_MS;
      return Number.isFinite(days) ? days : undefined;
    }
    case 'emailDomainKind': {
      const raw = read(source.column);
      if (typeof raw !== 'string') return undefined;
      const at = raw.lastIndexOf('@');
      const domain = (at >= 0 ? raw.slice(at + 1) : raw).trim().toLowerCase();
      if (domain === '' || !domain.includes('.')) return undefined;
      return FREE_DOMAINS.has(domain) ? 'free' : 'business';
    }
    default: {
      return assertNever(source, 'feature source');
    }
  }
}

/** Why inference left a column out. */
export interface SkippedColumn {
  column: string;
  reason: string;
}

/**
 * Declares one feature per usable column: numeric when every present value parses as a number,
 * boolean when the values are two of yes/no/true/false/1/0, categorical otherwise. Columns that
 * are always empty, constant, or look like identifiers (mostly distinct text) are skipped and
 * reported, since they cannot generalise.
 */
export function inferFeatureSpec(
  source: RowSource,
  options: { exclude?: readonly string[]; missingTokens?: readonly string[] } = {},
): { spec: FeatureSpec; skipped: SkippedColumn[] } {
  const exclude = new Set(options.exclude ?? []);
  const missing = new Set(
    (options.missingTokens ?? DEFAULT_MISSING_TOKENS).map((t) => t.trim().toLowerCase()),
  );
  const features: FeatureDeclaration[] = [];
  const skipped: SkippedColumn[] = [];
  const n = source.length;
  const readers: ColumnReader[] = [];
  for (let i = 0; i < n; i++) readers.push(source.reader(i));
  for (const column of source.columns) {
    if (exclude.has(column)) continue;
    let present = 0;
    let numeric = 0;
    let booleans = 0;
    const distinct = new Set<string>();
    for (const read of readers) {
      const raw = read(column);
      if (isMissing(raw, missing)) continue;
      present++;
      if (!Number.isNaN(parseNumber(raw, missing))) numeric++;
      if (parseBooleanValue(raw) !== undefined) booleans++;
      if (distinct.size <= 10_000) distinct.add(String(raw).trim());
    }
    const declaration = { name: column, source: { op: 'column' as const, column } };
    if (present === 0) skipped.push({ column, reason: 'is always empty' });
    else if (distinct.size === 1) skipped.push({ column, reason: 'has a single value' });
    else if (booleans === present && distinct.size === 2) features.push({ ...declaration, kind: 'boolean' });
    else if (numeric === present) features.push({ ...declaration, kind: 'numeric' });
    else if (distinct.size > Math.max(100, present * 0.5)) {
      skipped.push({
        column,
        reason: `looks like an identifier (${distinct.size} distinct values in ${present} rows)`,
      });
    } else features.push({ ...declaration, kind: 'categorical' });
  }
  const spec: FeatureSpec = { features };
  if (options.missingTokens) spec.missingTokens = [...options.missingTokens];
  return { spec, skipped };
}
