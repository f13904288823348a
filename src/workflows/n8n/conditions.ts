import type { Comparison, ComparisonOperator, Predicate, Scalar } from '../dsl/index.ts';
import { expressionFromRef, type RefContext, refFromExpression } from './expressions.ts';

/**
 * n8n conditions (IF / Filter / Switch v2+ `filter` parameters, and IF v1's typed lists) ↔ DSL
 * predicates. Consent and privacy checks, which n8n lacks, are exported as conditions on
 * `$json.leadloop.consent[…]` / `$json.leadloop.privacy.<check>` (undefined in n8n, so the false
 * branch: the safe default) and recognised again on import.
 */

const V2_OPS: Record<string, ComparisonOperator> = {
  equals: 'eq',
  notEquals: 'neq',
  gt: 'gt',
  lt: 'lt',
  gte: 'gte',
  lte: 'lte',
  after: 'gt',
  before: 'lt',
  afterOrEquals: 'gte',
  beforeOrEquals: 'lte',
  contains: 'contains',
  notContains: 'not_contains',
  startsWith: 'starts_with',
  endsWith: 'ends_with',
  exists: 'exists',
  notExists: 'not_exists',
};

const V1_OPS: Record<string, ComparisonOperator> = {
  equal: 'eq',
  notEqual: 'neq',
  smaller: 'lt',
  smallerEqual: 'lte',
  larger: 'gt',
  largerEqual: 'gte',
  contains: 'contains',
  notContains: 'not_contains',
  startsWith: 'starts_with',
  endsWith: 'ends_with',
  after: 'gt',
  before: 'lt',
};

function unwrap(expr: unknown): string | null {
  if (typeof expr !== 'string') return null;
  const m = /^=?\s*\{\{([\s\S]*)\}\}\s*$/.exec(expr);
  return m ? (m[1] as string) : null;
}

function scalar(value: unknown): Scalar | undefined {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.startsWith('=') ? undefined : value;
  return undefined;
}

const LEADLOOP_CONSENT = /^\s*\$json\.leadloop\.(consent|consent_written)\[\s*'([^']+)'\s*\]\s*$/;
const LEADLOOP_PRIVACY = /^\s*\$json\.leadloop\.privacy\.(sale_share_allowed|not_unsubscribed)\s*$/;
const IN_REGEX = /^\^\(\?:((?:[^()|\\]|\\.)+(?:\|(?:[^()|\\]|\\.)+)*)\)\$$/;

/** One v2 filter condition as a predicate, or null when it cannot be expressed. */
function fromV2Condition(c: Record<string, unknown>, ctx: RefContext): Predicate | null {
  const operator = (c.operator ?? {}) as Record<string, unknown>;
  const operation = String(operator.operation ?? '');
  const left = unwrap(c.leftValue);
  if (left === null) return null;
  const consent = LEADLOOP_CONSENT.exec(left);
  if (consent && operation === 'true') {
    const purposes = (consent[2] as string).split('|');
    return { consent: consent[1] === 'consent_written' ? { purposes, written: true } : { purposes } };
  }
  const privacy = LEADLOOP_PRIVACY.exec(left);
  if (privacy && operation === 'true')
    return { privacy: privacy[1] as 'sale_share_allowed' | 'not_unsubscribed' };
  const field = refFromExpression(left, ctx);
  if (!field) return null;
  if (operation === 'true' || operation === 'false') return { field, op: 'eq', value: operation === 'true' };
  if (operation === 'regex') {
    const m = typeof c.rightValue === 'string' ? IN_REGEX.exec(c.rightValue) : null;
    if (!m) return null;
    return { field, op: 'in', value: (m[1] as string).split('|').map((v) => v.replace(/\\(.)/g, '$1')) };
  }
  if (operation === 'notRegex') {
    const m = typeof c.rightValue === 'string' ? IN_REGEX.exec(c.rightValue) : null;
    if (!m) return null;
    return { field, op: 'not_in', value: (m[1] as string).split('|').map((v) => v.replace(/\\(.)/g, '$1')) };
  }
  const op = V2_OPS[operation];
  if (!op) return null;
  if (op === 'exists' || op === 'not_exists') return { field, op };
  const value = scalar(c.rightValue);
  if (value === undefined) return null;
  return { field, op, value } as Comparison;
}

function combine(items: Predicate[], or: boolean): Predicate {
  if (items.length === 1) return items[0] as Predicate;
  return or ? { any: items } : { all: items };
}

/** An n8n condition parameter (v2 `{ conditions, combinator }` or v1 typed lists) as a predicate; null if any part is not expressible. */
export function predicateFromN8n(
  parameters: Record<string, unknown>,
  ctx: RefContext,
  version: number,
): Predicate | null {
  const conditions = parameters.conditions as Record<string, unknown> | undefined;
  if (!conditions || typeof conditions !== 'object') return null;
  if (version >= 2 || Array.isArray(conditions.conditions)) {
    const list = Array.isArray(conditions.conditions)
      ? (conditions.conditions as Record<string, unknown>[])
      : [];
    if (list.length === 0) return null;
    const items = list.map((c) => fromV2Condition(c, ctx));
    if (items.some((p) => p === null)) return null;
    return combine(items as Predicate[], conditions.combinator === 'or');
  }
  const items: (Predicate | null)[] = [];
  for (const type of ['string', 'number', 'boolean', 'dateTime'] as const) {
    const list = conditions[type];
    if (!Array.isArray(list)) continue;
    for (const c of list as Record<string, unknown>[]) {
      const left = unwrap(c.value1);
      const field = left === null ? null : refFromExpression(left, ctx);
      const defaultOp = type === 'number' ? 'smaller' : type === 'dateTime' ? 'after' : 'equal';
      const op = V1_OPS[String(c.operation ?? defaultOp)];
      const value =
        type === 'boolean' ? (c.value2 ?? false) : scalar(c.value2 ?? (type === 'number' ? 0 : ''));
      items.push(field && op && value !== undefined ? ({ field, op, value } as Comparison) : null);
    }
  }
  if (items.length === 0 || items.some((p) => p === null)) return null;
  return combine(items as Predicate[], parameters.combineOperation === 'any');
}

/** A flat n8n v2 condition list for a predicate, or null when it needs nesting n8n's flat list cannot express. */
export function n8nConditionsFromPredicate(
  p: Predicate,
  nameById: ReadonlyMap<string, string>,
): { combinator: 'and' | 'or'; conditions: Record<string, unknown>[] } | null {
  const one = (q: Predicate, i: number): Record<string, unknown> | null => {
    const id = `c${i}`;
    if ('consent' in q) {
      const key = q.consent.written ? 'consent_written' : 'consent';
      return {
        id,
        leftValue: `={{ $json.leadloop.${key}['${q.consent.purposes.join('|')}'] }}`,
        rightValue: '',
        operator: { type: 'boolean', operation: 'true', singleValue: true },
      };
    }
    if ('privacy' in q) {
      return {
        id,
        leftValue: `={{ $json.leadloop.privacy.${q.privacy} }}`,
        rightValue: '',
        operator: { type: 'boolean', operation: 'true', singleValue: true },
      };
    }
    if (!('field' in q)) return null;
    const leftValue = `={{ ${expressionFromRef(q.field, nameById)} }}`;
    if (q.op === 'in' || q.op === 'not_in') {
      const values = (q.value as Scalar[]).map((v) => String(v).replace(/[\\^$.*+?()[\]{}|]/g, '\\$&'));
      return {
        id,
        leftValue,
        rightValue: `^(?:${values.join('|')})$`,
        operator: { type: 'string', operation: q.op === 'in' ? 'regex' : 'notRegex' },
      };
    }
    const operation = Object.entries(V2_OPS).find(
      ([name, op]) => op === q.op && !['after', 'before', 'afterOrEquals', 'beforeOrEquals'].includes(name),
    )?.[0];
    if (!operation) return null;
    if (typeof q.value === 'boolean' && q.op === 'eq') {
      return {
        id,
        leftValue,
        rightValue: '',
        operator: { type: 'boolean', operation: q.value ? 'true' : 'false', singleValue: true },
      };
    }
    const type = typeof q.value === 'number' ? 'number' : 'string';
    const single = q.op === 'exists' || q.op === 'not_exists';
    return {
      id,
      leftValue,
      rightValue: single ? '' : (q.value ?? ''),
      operator: single ? { type, operation, singleValue: true } : { type, operation },
    };
  };
  const parts = 'all' in p ? p.all : 'any' in p ? p.any : [p];
  const conditions = parts.map(one);
  if (conditions.some((c) => c === null)) return null;
  return { combinator: 'any' in p ? 'or' : 'and', conditions: conditions as Record<string, unknown>[] };
}
