import { assertNever } from '../../core/index.ts';
import { renderTemplate } from '../actions/templates.ts';
import {
  type Comparison,
  type JsonTemplate,
  type Predicate,
  predicateKind,
  regionOf,
  type Scalar,
} from '../dsl/index.ts';
import type { ConsentState, WorkflowLead } from '../ports.ts';

/**
 * What a run knows when a step runs: the lead (re-read for every step, so a condition sees today's
 * data), the trigger's data, variables, finished steps' outputs, loop positions and the lead's
 * consent state. Expressions only read it: the DSL has no code, so evaluation cannot act.
 */
export interface RunScope {
  lead: Record<string, unknown> | null;
  trigger: Record<string, unknown>;
  vars: Record<string, unknown>;
  steps: Record<string, unknown>;
  loop: Record<string, { index: number; item: unknown }>;
  consent: ConsentState | null;
}

/** Tags and owner live in lead attributes (`tags`: comma-separated). */
function tagsOf(lead: WorkflowLead): string[] {
  const raw = lead.attributes.tags;
  return typeof raw === 'string' && raw
    ? raw
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean)
    : [];
}

/** The lead as expressions and templates see it, derived fields included. */
export function leadView(lead: WorkflowLead): Record<string, unknown> {
  return {
    ...lead,
    emailDomain: lead.email?.split('@')[1] ?? null,
    region: regionOf(lead.country),
    segment: lead.attributes.segment ?? null,
    tags: tagsOf(lead),
    owner: lead.attributes.owner ?? null,
  };
}

/** The value a field reference names in the scope (undefined when absent). */
export function resolveRef(scope: RunScope, ref: string): unknown {
  const parts = ref.split('.');
  const root = parts.shift();
  let value: unknown =
    root === 'lead'
      ? scope.lead
      : root === 'trigger'
        ? scope.trigger
        : root === 'vars'
          ? scope.vars
          : root === 'steps'
            ? scope.steps
            : root === 'loop'
              ? scope.loop
              : undefined;
  for (const part of parts) {
    if (value === null || value === undefined || typeof value !== 'object') return undefined;
    if (!Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

const norm = (v: unknown): unknown => (typeof v === 'string' ? v.toLowerCase() : v);

function equal(a: unknown, b: Scalar): boolean {
  if (typeof a === 'number' && typeof b === 'string' && b.trim() !== '' && !Number.isNaN(Number(b)))
    return a === Number(b);
  return norm(a) === norm(b);
}

function order(a: unknown, b: unknown): number | null {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a.localeCompare(b);
  if (typeof a === 'number' && typeof b === 'string' && !Number.isNaN(Number(b))) return a - Number(b);
  return null;
}

function compare(c: Comparison, actual: unknown): boolean {
  const value = c.value;
  switch (c.op) {
    case 'exists':
      return actual !== undefined && actual !== null && actual !== '';
    case 'not_exists':
      return actual === undefined || actual === null || actual === '';
    case 'eq':
      return Array.isArray(actual)
        ? actual.some((a) => equal(a, value as Scalar))
        : equal(actual, value as Scalar);
    case 'neq':
      return !(Array.isArray(actual)
        ? actual.some((a) => equal(a, value as Scalar))
        : equal(actual, value as Scalar));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const d = order(actual, value);
      if (d === null) return false;
      return c.op === 'gt' ? d > 0 : c.op === 'gte' ? d >= 0 : c.op === 'lt' ? d < 0 : d <= 0;
    }
    case 'in':
    case 'not_in': {
      const list = (value as Scalar[]) ?? [];
      const hit = Array.isArray(actual)
        ? actual.some((a) => list.some((v) => equal(a, v)))
        : list.some((v) => equal(actual, v));
      return c.op === 'in' ? hit : !hit;
    }
    case 'contains':
    case 'not_contains': {
      const hit = Array.isArray(actual)
        ? actual.some((a) => equal(a, value as Scalar))
        : typeof actual === 'string' && actual.toLowerCase().includes(String(value).toLowerCase());
      return c.op === 'contains' ? hit : !hit;
    }
    case 'starts_with':
      return typeof actual === 'string' && actual.toLowerCase().startsWith(String(value).toLowerCase());
    case 'ends_with':
      return typeof actual === 'string' && actual.toLowerCase().endsWith(String(value).toLowerCase());
    default:
      return assertNever(c.op, 'operator');
  }
}

/** Evaluates a predicate; consent and privacy checks read `scope.consent` (absent: not granted). */
export function evaluate(p: Predicate, scope: RunScope): boolean {
  const kind = predicateKind(p);
  switch (kind) {
    case 'comparison': {
      const c = p as Comparison;
      return compare(c, resolveRef(scope, c.field));
    }
    case 'consent': {
      const { purposes, written } = (p as { consent: { purposes: string[]; written?: boolean } }).consent;
      const granted = written ? scope.consent?.writtenPurposes : scope.consent?.purposes;
      return purposes.some((purpose) => granted?.includes(purpose) ?? false);
    }
    case 'privacy': {
      const check = (p as { privacy: 'sale_share_allowed' | 'not_unsubscribed' }).privacy;
      if (!scope.consent) return false;
      return check === 'sale_share_allowed' ? !scope.consent.saleShareOptOut : !scope.consent.unsubscribed;
    }
    case 'all':
      return (p as { all: Predicate[] }).all.every((q) => evaluate(q, scope));
    case 'any':
      return (p as { any: Predicate[] }).any.some((q) => evaluate(q, scope));
    case 'not':
      return !evaluate((p as { not: Predicate }).not, scope);
    default:
      return assertNever(kind, 'predicate');
  }
}

/** True when the predicate reads consent or privacy state (a guard the engine re-checks before acting). */
export function readsConsent(p: Predicate): boolean {
  const kind = predicateKind(p);
  if (kind === 'consent' || kind === 'privacy') return true;
  if (kind === 'all') return (p as { all: Predicate[] }).all.some(readsConsent);
  if (kind === 'any') return (p as { any: Predicate[] }).any.some(readsConsent);
  if (kind === 'not') return readsConsent((p as { not: Predicate }).not);
  return false;
}

/** The view templates render against (`{{lead.name}}`, `{{vars.x}}`, `{{steps.id.path}}`). */
export function templateView(scope: RunScope): Record<string, unknown> {
  return {
    lead: scope.lead ?? {},
    trigger: scope.trigger,
    vars: scope.vars,
    steps: scope.steps,
    loop: scope.loop,
  };
}

/** Renders every string of a JSON template (bodies, payloads, variables). */
export function renderJson(template: JsonTemplate, scope: RunScope): unknown {
  if (typeof template === 'string') return renderTemplate(template, templateView(scope), 'text');
  if (Array.isArray(template)) return template.map((t) => renderJson(t, scope));
  if (template && typeof template === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(template)) out[k] = renderJson(v, scope);
    return out;
  }
  return template;
}

export function renderText(template: string, scope: RunScope): string {
  return renderTemplate(template, templateView(scope), 'text');
}
