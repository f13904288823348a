import { assertNever } from '../../core/index.ts';
import type { Predicate } from './predicate.ts';
import type { Step } from './steps.ts';
import type { Trigger } from './triggers.ts';

/**
 * The step graph: every edge a run can take out of a step, in one place, so the engine, the
 * verifier and the n8n exporter walk the same graph.
 */

/**
 * The kind of an edge: `next`; `onTrue` / `onFalse` of a condition; `case` (index in `index`) /
 * `default` of a switch; `timeout` of an event wait; `decision` (value in `decision`) /
 * `default` of a council step; `variant` (name in `decision`) of a split; `body` of a loop (its `next` is the exit); `output` (index ≥ 1) of
 * an opaque step; `error`: the step's `onError`.
 */
type EdgeKind =
  | 'next'
  | 'onTrue'
  | 'onFalse'
  | 'case'
  | 'default'
  | 'timeout'
  | 'decision'
  | 'variant'
  | 'body'
  | 'output'
  | 'error';

export interface StepEdge {
  kind: EdgeKind;
  /** Target step id. */
  to: string;
  /** For `case`: the case's position. For `output`: the opaque node's output index. */
  index?: number;
  /** For `decision`: the council decision class. */
  decision?: string;
  /**
   * What is known to hold when the edge is taken: a condition's predicate on `onTrue`, its negation
   * on `onFalse`, a case's predicate and the negation of the cases before it, and so on.
   */
  holds?: Predicate;
}

function negate(p: Predicate): Predicate {
  return { not: p };
}

/** The edges leaving `step`, in a stable order (branch edges first, then `onError`). Missing targets are omitted. */
export function stepEdges(step: Step): StepEdge[] {
  const edges: StepEdge[] = [];
  const add = (edge: Omit<StepEdge, 'to'> & { to: string | undefined | null }): void => {
    if (edge.to) edges.push(edge as StepEdge);
  };
  switch (step.type) {
    case 'condition':
      add({ kind: 'onTrue', to: step.onTrue, holds: step.when });
      add({ kind: 'onFalse', to: step.onFalse, holds: negate(step.when) });
      break;
    case 'switch': {
      const before: Predicate[] = [];
      step.cases.forEach((c, index) => {
        const holds: Predicate = before.length === 0 ? c.when : { all: [c.when, ...before.map(negate)] };
        add({ kind: 'case', to: c.next, index, holds });
        before.push(c.when);
      });
      add({ kind: 'default', to: step.default, holds: { all: before.map(negate) } });
      break;
    }
    case 'wait':
      add({ kind: 'next', to: step.next });
      add({ kind: 'timeout', to: step.onTimeout });
      break;
    case 'ask_council':
      for (const b of step.branches) add({ kind: 'decision', to: b.next, decision: b.decision });
      add({ kind: 'default', to: step.default });
      break;
    case 'split':
      for (const v of step.variants) add({ kind: 'variant', to: v.next, decision: v.name });
      break;
    case 'loop':
      add({ kind: 'body', to: step.body });
      add({ kind: 'next', to: step.next });
      break;
    case 'opaque':
      add({ kind: 'next', to: step.next });
      (step.outputs ?? []).forEach((to, i) => {
        add({ kind: 'output', to, index: i + 1 });
      });
      break;
    case 'send_email':
    case 'send_sms':
    case 'http_request':
    case 'webhook':
    case 'chat_message':
    case 'crm_upsert':
    case 'table_row':
    case 'assign_owner':
    case 'update_lead':
    case 'add_to_sequence':
    case 'start_workflow':
    case 'set_vars':
    case 'collect':
    case 'render':
    case 'html_extract':
    case 'noop':
      add({ kind: 'next', to: step.next });
      break;
    default:
      assertNever(step, 'step');
  }
  add({ kind: 'error', to: step.onError });
  return edges;
}

/** The step where runs of `trigger` begin. */
export function triggerStart(trigger: Trigger, workflowStart: string): string {
  return trigger.start ?? workflowStart;
}
