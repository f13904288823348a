import type { JsonTemplate, Predicate } from '../dsl/index.ts';
import { predicateFromN8n } from './conditions.ts';
import type { MapContext, N8nNode, NodeMapping } from './mapper-kit.ts';
import { opaque, step, str, templater } from './mapper-kit.ts';

/** Mappers of n8n's flow and data nodes: IF and Filter, Switch, Set, Wait. */

const UNIT_MS: Record<string, number> = {
  seconds: 1000,
  minutes: 60_000,
  hours: 3_600_000,
  days: 86_400_000,
};
const MAX_WAIT_MS = 366 * 86_400_000;

export function condition(node: N8nNode, p: Record<string, unknown>, ctx: MapContext): NodeMapping {
  const when = predicateFromN8n(p, ctx, node.typeVersion ?? 1);
  if (when) return step({ type: 'condition', when }, []);
  const fallback: Predicate = { field: `vars.${ctx.id.slice(0, 56)}_passed`, op: 'eq', value: true };
  return step({ type: 'condition', when: fallback }, [
    `the condition uses expressions Leadloop cannot read; it now tests vars.${ctx.id.slice(0, 56)}_passed — rewrite it`,
  ]);
}

export function switchNode(node: N8nNode, p: Record<string, unknown>, ctx: MapContext): NodeMapping {
  const version = node.typeVersion ?? 1;
  const reasons: string[] = [];
  if (version >= 3) {
    if (p.mode === 'expression')
      return opaque(node, 'a Switch in expression mode computes its output in JavaScript');
    const values = ((p.rules as Record<string, unknown> | undefined)?.values ?? []) as Record<
      string,
      unknown
    >[];
    const cases = values.map((rule, i) => {
      const when = predicateFromN8n((rule ?? {}) as Record<string, unknown>, ctx, 2);
      if (when) return { when };
      reasons.push(`rule ${i + 1} uses expressions Leadloop cannot read`);
      return { when: { field: `vars.${ctx.id.slice(0, 50)}_rule${i}`, op: 'eq', value: true } as Predicate };
    });
    if (cases.length === 0) return opaque(node, 'a Switch without rules');
    return step({ type: 'switch', cases }, reasons);
  }
  const rules = ((p.rules as Record<string, unknown> | undefined)?.rules ?? []) as Record<string, unknown>[];
  const cases = rules.map((rule, i) => {
    const when = predicateFromN8n(
      {
        conditions: {
          [String(p.dataType ?? 'number')]: [
            { value1: p.value1, operation: rule.operation, value2: rule.value2 },
          ],
        },
      },
      ctx,
      1,
    );
    if (when) return { when };
    reasons.push(`rule ${i + 1} uses expressions Leadloop cannot read`);
    return { when: { field: `vars.${ctx.id.slice(0, 50)}_rule${i}`, op: 'eq', value: true } as Predicate };
  });
  if (p.mode === 'expression' || cases.length === 0)
    return opaque(node, 'a Switch in expression mode computes its output in JavaScript');
  return step({ type: 'switch', cases }, reasons);
}

export function setNode(_node: N8nNode, p: Record<string, unknown>, ctx: MapContext): NodeMapping {
  const { t, reasons } = templater(ctx);
  const values: Record<string, JsonTemplate> = {};
  const put = (name: unknown, value: unknown): void => {
    const raw = String(name ?? '');
    const key = raw.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 64) || 'value';
    if (key !== raw) reasons.push(`field "${raw}" is stored as vars.${key}`);
    values[key] = typeof value === 'string' ? t(value, `field ${key}`) : ((value ?? null) as JsonTemplate);
  };
  const assignments = (p.assignments as Record<string, unknown> | undefined)?.assignments;
  if (Array.isArray(assignments))
    for (const a of assignments as Record<string, unknown>[]) put(a.name, a.value);
  const fields = (p.fields as Record<string, unknown> | undefined)?.values;
  if (Array.isArray(fields)) {
    for (const f of fields as Record<string, unknown>[]) {
      put(f.name, f.stringValue ?? f.numberValue ?? f.booleanValue ?? f.arrayValue ?? f.objectValue ?? null);
    }
  }
  const v1 = p.values as Record<string, unknown> | undefined;
  if (v1 && typeof v1 === 'object') {
    for (const type of ['string', 'number', 'boolean']) {
      const list = v1[type];
      if (Array.isArray(list)) for (const f of list as Record<string, unknown>[]) put(f.name, f.value);
    }
  }
  if (p.mode === 'raw' || p.jsonOutput !== undefined) {
    put('json', p.jsonOutput ?? '');
    reasons.push('raw JSON output is kept as one template in vars.json');
  }
  return step({ type: 'set_vars', values }, reasons);
}

export function waitNode(_node: N8nNode, p: Record<string, unknown>, ctx: MapContext): NodeMapping {
  const { t, reasons } = templater(ctx);
  const resume = str(p.resume) ?? 'timeInterval';
  if (resume === 'timeInterval') {
    const amount = typeof p.amount === 'number' ? p.amount : p.amount === undefined ? 1 : Number.NaN;
    const unit = UNIT_MS[str(p.unit) ?? 'hours'] ?? 3_600_000;
    if (!Number.isFinite(amount)) reasons.push('the wait amount is an expression; it is set to one unit');
    const ms = Math.min(MAX_WAIT_MS, Math.max(1, Math.round((Number.isFinite(amount) ? amount : 1) * unit)));
    return step({ type: 'wait', wait: { kind: 'duration', ms } }, reasons);
  }
  if (resume === 'specificTime') {
    return step({ type: 'wait', wait: { kind: 'until', at: t(p.dateTime ?? '', 'date and time') } }, reasons);
  }
  let timeoutMs = MAX_WAIT_MS;
  if (p.limitWaitTime === true && p.limitType !== 'atSpecifiedTime') {
    const amount = typeof p.resumeAmount === 'number' ? p.resumeAmount : 1;
    timeoutMs = Math.min(
      MAX_WAIT_MS,
      Math.max(1, Math.round(amount * (UNIT_MS[str(p.resumeUnit) ?? 'hours'] ?? 3_600_000))),
    );
  } else {
    reasons.push(
      p.limitWaitTime === true
        ? 'a time limit at a date becomes the longest wait (366 days)'
        : 'n8n waits without limit; Leadloop waits at most 366 days',
    );
  }
  reasons.push(`resuming by ${resume} becomes waiting for the workflow's webhook event`);
  return step({ type: 'wait', wait: { kind: 'event', event: 'webhook.received', timeoutMs } }, reasons);
}
