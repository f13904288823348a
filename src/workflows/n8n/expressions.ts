import { FIELD_REF_PATTERN } from '../dsl/index.ts';

/**
 * n8n expressions ↔ Leadloop field references and templates. n8n expressions are JavaScript
 * inside `{{ }}` (a parameter starting with `=`); Leadloop templates are logic-less. Plain
 * references convert both ways:
 * - `$json.lead.<field>` ↔ `lead.<field>`, `$json.trigger.<path>` ↔ `trigger.<path>`,
 * - `$json.<path>` ↔ `vars.<path>` (the current item's data),
 * - `$('Node').item.json.<path>` / `$node["Node"].json[...]` ↔ `steps.<id>.<path>`, or `trigger.<path>` for the trigger node.
 * Anything else (method calls, operators, `$env`) is kept verbatim and reported as approximated:
 * Leadloop never evaluates it (it renders empty).
 */

export interface RefContext {
  /** n8n node name → Leadloop step id (steps only). */
  stepIdByName: ReadonlyMap<string, string>;
  /** Names of trigger nodes. */
  triggerNames: ReadonlySet<string>;
  /**
   * Trigger nodes whose item is the submitted data itself (forms and app triggers that become the
   * inbound webhook): their fields live under `trigger.body` in Leadloop.
   */
  bodyTriggerNames?: ReadonlySet<string>;
}

const SEG = /^[A-Za-z0-9_-]{1,64}$/;

/** Splits `a.b["c d"]['e'][0]` into segments; null when it has anything else. */
function pathSegments(path: string): string[] | null {
  const segs: string[] = [];
  let rest = path.trim();
  while (rest.length > 0) {
    const m = /^\.([A-Za-z_$][A-Za-z0-9_$-]*)|^\[\s*"([^"]*)"\s*\]|^\[\s*'([^']*)'\s*\]|^\[(\d+)\]/.exec(
      rest,
    );
    if (!m) return null;
    segs.push((m[1] ?? m[2] ?? m[3] ?? m[4]) as string);
    rest = rest.slice(m[0].length);
  }
  return segs.every((s) => SEG.test(s)) ? segs : null;
}

function dataRef(segs: string[]): string | null {
  if (segs.length === 0) return null;
  const [head, ...tail] = segs;
  let ref: string;
  if (head === 'lead' && tail.length > 0) ref = `lead.${tail.join('.')}`;
  else if (head === 'trigger' && tail.length > 0) ref = `trigger.${tail.join('.')}`;
  else ref = `vars.${segs.join('.')}`;
  return FIELD_REF_PATTERN.test(ref) ? ref : null;
}

/** A single n8n reference expression (without `{{ }}`) as a Leadloop field reference, or null. */
export function refFromExpression(expr: string, ctx: RefContext): string | null {
  const e = expr.trim();
  const json = /^\$json((?:\.[A-Za-z_$][A-Za-z0-9_$-]*|\[[^\]]+\])*)$/.exec(e);
  if (json) {
    const segs = pathSegments(json[1] as string);
    return segs ? dataRef(segs) : null;
  }
  const node =
    /^\$\(\s*(['"])(.+?)\1\s*\)\.(?:item|first\(\)|last\(\))\.json((?:\.[A-Za-z_$][A-Za-z0-9_$-]*|\[[^\]]+\])*)$/.exec(
      e,
    ) ?? /^\$node\[\s*(['"])(.+?)\1\s*\]\.json((?:\.[A-Za-z_$][A-Za-z0-9_$-]*|\[[^\]]+\])*)$/.exec(e);
  if (node) {
    const name = node[2] as string;
    const segs = pathSegments(node[3] as string);
    if (!segs || segs.length === 0) return null;
    if (ctx.triggerNames.has(name)) {
      const ref = `trigger.${ctx.bodyTriggerNames?.has(name) ? 'body.' : ''}${segs.join('.')}`;
      return FIELD_REF_PATTERN.test(ref) ? ref : null;
    }
    const id = ctx.stepIdByName.get(name);
    if (!id) return null;
    const ref = `steps.${id}.${segs.join('.')}`;
    return FIELD_REF_PATTERN.test(ref) ? ref : null;
  }
  return null;
}

export interface Converted {
  text: string;
  /** False when some expression was kept verbatim (Leadloop will not evaluate it). */
  exact: boolean;
}

/** An n8n parameter value (string) as a Leadloop template. */
export function templateFromN8n(value: unknown, ctx: RefContext): Converted {
  if (value === undefined || value === null) return { text: '', exact: true };
  if (typeof value !== 'string') return { text: String(value), exact: true };
  if (!value.startsWith('=')) return { text: value, exact: true };
  let exact = true;
  const text = value.slice(1).replace(/\{\{([\s\S]*?)\}\}/g, (whole, expr: string) => {
    const ref = refFromExpression(expr, ctx);
    if (ref) return `{{${ref}}}`;
    exact = false;
    return whole;
  });
  return { text, exact };
}

/** Leadloop field reference → n8n expression body (without `{{ }}`). */
export function expressionFromRef(ref: string, nameById: ReadonlyMap<string, string>): string {
  const [head, ...rest] = ref.split('.');
  const path = (segs: string[]) =>
    segs.map((s) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s) ? `.${s}` : `['${s}']`)).join('');
  switch (head) {
    case 'lead':
    case 'trigger':
      return `$json${path([head, ...rest])}`;
    case 'vars':
      return `$json${path(rest)}`;
    case 'steps': {
      const [id, ...tail] = rest;
      const name = nameById.get(id as string) ?? (id as string);
      return `$('${name.replace(/'/g, "\\'")}').item.json${path(tail)}`;
    }
    default:
      return `$json${path([head as string, ...rest])}`;
  }
}

/** A Leadloop template as an n8n parameter value (an `=` expression when it has variables). */
export function n8nFromTemplate(template: string, nameById: ReadonlyMap<string, string>): string {
  if (!template.includes('{{')) return template;
  const body = template.replace(/\{\{([\s\S]*?)\}\}/g, (whole, inner: string) => {
    const ref = inner.trim();
    return FIELD_REF_PATTERN.test(ref) ? `{{ ${expressionFromRef(ref, nameById)} }}` : whole;
  });
  return `=${body}`;
}
