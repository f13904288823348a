import type { Step, Workflow } from '../dsl/index.ts';
import { COMPLIANCE_RULES, type PathRule } from './rules.ts';
import { type Finding, type VerifyOptions, verifyWorkflow } from './verifier.ts';

/** A guard or property `insertGuards` added, for the generator's explanation and findings. */
interface AddedGuard {
  rule: string;
  /** The action the guard protects. */
  step: string;
  /** The inserted condition step's id, or the property set on the action. */
  change: string;
  message: string;
}

export interface GuardedWorkflow {
  workflow: Workflow;
  added: AddedGuard[];
  /** Findings no automatic change can fix (health data in a message, opaque steps, missing postal address). */
  unresolved: Finding[];
}

function shortRule(id: string): string {
  return (id.split('.')[0] ?? 'rule').replace(/[^A-Za-z0-9]/g, '');
}

function freshId(base: string, taken: Set<string>): string {
  let id = base.slice(0, 60);
  for (let n = 2; taken.has(id); n++) id = `${base.slice(0, 56)}-${n}`;
  taken.add(id);
  return id;
}

/** Points every reference to `from` (start, trigger starts, step edges) at `to`, except in step `skip`. */
function redirect(workflow: Workflow, from: string, to: string, skip: string): void {
  if (workflow.start === from) workflow.start = to;
  for (const t of workflow.triggers) if (t.start === from) t.start = to;
  for (const s of workflow.steps) {
    if (s.id === skip) continue;
    const r = s as Record<string, unknown>;
    for (const key of ['next', 'onTrue', 'onFalse', 'default', 'onTimeout', 'onError', 'body'] as const) {
      if (r[key] === from) r[key] = to;
    }
    if (s.type === 'switch') for (const c of s.cases) if (c.next === from) c.next = to;
    if (s.type === 'ask_council') for (const b of s.branches) if (b.next === from) b.next = to;
    if (s.type === 'opaque' && s.outputs) s.outputs = s.outputs.map((o) => (o === from ? to : o));
  }
}

/**
 * Makes a workflow pass the path rules by putting the rule's check right before each unguarded
 * action (so it also follows every wait): `condition(check) → action`, and when the check fails
 * the run skips the action and continues where the action would have. Commercial e-mail gets its
 * unsubscribe link back. What cannot be fixed automatically is returned as `unresolved`.
 */
export function insertGuards(input: Workflow, options: VerifyOptions = {}): GuardedWorkflow {
  const workflow = structuredClone(input);
  const rules = options.rules ?? COMPLIANCE_RULES;
  const byId = new Map(rules.map((r) => [r.id, r]));
  const added: AddedGuard[] = [];
  const taken = new Set(workflow.steps.map((s) => s.id));
  // Each pass fixes what the verifier found; a guard never creates a new finding, so two passes suffice.
  for (let pass = 0; pass < 3; pass++) {
    const { findings } = verifyWorkflow(workflow, options);
    let changed = false;
    const done = new Set<string>();
    for (const f of findings) {
      const rule = byId.get(f.rule);
      const key = `${f.rule}:${f.step}`;
      if (!rule || done.has(key)) continue;
      done.add(key);
      const action = workflow.steps.find((s) => s.id === f.step);
      if (!action) continue;
      if (rule.kind === 'path') {
        const guardId = freshId(`guard-${shortRule(rule.id)}-${action.id}`, taken);
        insertBefore(workflow, action, guardId, rule);
        added.push({
          rule: rule.id,
          step: action.id,
          change: guardId,
          message: `added a check before "${action.id}": ${describe(rule)}`,
        });
        changed = true;
      } else if (
        rule.check === 'unsubscribe_and_address' &&
        action.type === 'send_email' &&
        action.unsubscribeLink === false
      ) {
        delete action.unsubscribeLink;
        added.push({
          rule: rule.id,
          step: action.id,
          change: 'unsubscribeLink',
          message: `put the unsubscribe link back into "${action.id}"`,
        });
        changed = true;
      }
    }
    if (!changed) break;
  }
  return { workflow, added, unresolved: verifyWorkflow(workflow, options).findings };
}

function insertBefore(workflow: Workflow, action: Step, guardId: string, rule: PathRule): void {
  redirect(workflow, action.id, guardId, guardId);
  const skipTo = 'next' in action ? action.next : undefined;
  const guard: Step = {
    id: guardId,
    type: 'condition',
    name: `${rule.law}: check before ${action.name ?? action.id}`,
    when: structuredClone(rule.insert),
    onTrue: action.id,
    ...(skipTo ? { onFalse: skipTo } : {}),
  };
  workflow.steps.splice(workflow.steps.indexOf(action), 0, guard);
}

function describe(rule: PathRule): string {
  const g = rule.insert;
  if ('consent' in g)
    return `consent for ${g.consent.purposes.join(' or ')}${g.consent.written ? ' (prior express written)' : ''} (${rule.law})`;
  if ('privacy' in g && g.privacy === 'sale_share_allowed')
    return `no opt-out of sale/sharing and no GPC signal (${rule.law})`;
  return rule.law;
}
