import { type Predicate, type Step, stepEdges, triggerStart, type Workflow } from '../dsl/index.ts';
import { computeDominators } from './dominators.ts';
import { provesGuard, provesOutside } from './implication.ts';
import { COMPLIANCE_RULES, type ComplianceRule, type PathRule } from './rules.ts';
import { matchesAction, runStepCheck } from './step-checks.ts';

/**
 * The compliance verifier. For each path rule and each action it covers, it explores the product
 * of the step graph with two facts — "a guard's true edge was taken since the last wait" and "the
 * lead is known to be outside the rule's territory" — from every trigger. An action reached with
 * neither is a finding, with the shortest such path as evidence; otherwise the action is proved,
 * and the dominator tree names the single check that dominates it when there is one. Loops, error
 * edges, wait timeouts and council branches are edges like any other. A wait (or waiting for a
 * child workflow) clears the guard: consent can be withdrawn while a run waits.
 */

export interface VerifyOptions {
  /** The workspace's industry; the workflow's `settings.industry` wins when set. */
  industry?: 'general' | 'healthcare';
  /** Rule set; default {@link COMPLIANCE_RULES}. */
  rules?: readonly ComplianceRule[];
  /** The workspace sender's postal address (`null`: none configured; absent: unknown, the engine adds it). */
  senderPostalAddress?: string | null;
}

export interface Finding {
  rule: string;
  /** Trigger then step ids, from the run's start to the offending step. */
  path: string[];
  step: string;
  message: string;
}

/** Why an action is compliant with a path rule. */
interface Proof {
  rule: string;
  step: string;
  /** `<stepId>.<edge kind>` of the single check that dominates the action, or `every path` when checks on several branches together cover it. */
  guardedBy: string;
}

export interface Verification {
  ok: boolean;
  findings: Finding[];
  proofs: Proof[];
}

interface Edge {
  from: number;
  to: number;
  label: string;
  holds: Predicate | undefined;
}

interface Graph {
  steps: Step[];
  /** Entry edges, `from = -1`, one per trigger. */
  entries: Edge[];
  out: Edge[][];
}

function buildGraph(workflow: Workflow): Graph {
  const steps = workflow.steps;
  const index = new Map(steps.map((s, i) => [s.id, i]));
  const out: Edge[][] = steps.map((s, from) =>
    stepEdges(s)
      .filter((e) => index.has(e.to))
      .map((e) => ({
        from,
        to: index.get(e.to) as number,
        label: `${s.id}.${e.kind}${e.index !== undefined ? e.index : ''}`,
        holds: e.holds,
      })),
  );
  const entries: Edge[] = [];
  for (const t of workflow.triggers) {
    const to = index.get(triggerStart(t, workflow.start));
    if (to === undefined) continue;
    const filters = [t.filter, t.type === 'schedule' ? t.forEachLead?.where : undefined].filter(
      (p): p is Predicate => p !== undefined,
    );
    const holds: Predicate | undefined =
      filters.length === 0 ? undefined : filters.length === 1 ? filters[0] : { all: filters };
    entries.push({ from: -1, to, label: `trigger:${t.type}`, holds });
  }
  return { steps, entries, out };
}

/** Leaving this step forgets consent checks (the run may have waited for a long time). */
function clearsGuard(step: Step): boolean {
  return step.type === 'wait' || (step.type === 'start_workflow' && step.wait === true);
}

/** Leaving this step forgets what was known about the lead's country. */
function clearsTerritory(step: Step): boolean {
  return step.type === 'update_lead' && step.set !== undefined && 'country' in step.set;
}

/** Shortest unguarded path to each covered action, or null where every path is guarded. */
function unguardedPaths(graph: Graph, rule: PathRule, actions: ReadonlySet<number>): Map<number, string[]> {
  const territory = rule.territory ? new Set(rule.territory) : null;
  const guardOf = new Map<Edge, { guard: boolean; outside: boolean }>();
  const facts = (e: Edge): { guard: boolean; outside: boolean } => {
    let f = guardOf.get(e);
    if (!f) {
      f = {
        guard: e.holds !== undefined && provesGuard(e.holds, rule.guards),
        outside: e.holds !== undefined && territory !== null && provesOutside(e.holds, territory),
      };
      guardOf.set(e, f);
    }
    return f;
  };
  // State id: node * 4 + guarded * 2 + outside.
  const parent = new Map<number, { prev: number; label: string }>();
  const queue: number[] = [];
  for (const e of graph.entries) {
    const f = facts(e);
    const state = e.to * 4 + (f.guard ? 2 : 0) + (f.outside ? 1 : 0);
    if (!parent.has(state)) {
      parent.set(state, { prev: -1, label: e.label });
      queue.push(state);
    }
  }
  const found = new Map<number, string[]>();
  const pathTo = (state: number): string[] => {
    const ids: string[] = [];
    let s = state;
    for (;;) {
      ids.push((graph.steps[s >> 2] as Step).id);
      const p = parent.get(s) as { prev: number; label: string };
      if (p.prev === -1) {
        ids.push(p.label);
        break;
      }
      s = p.prev;
    }
    return ids.reverse();
  };
  for (let head = 0; head < queue.length; head++) {
    const state = queue[head] as number;
    const node = state >> 2;
    const guarded = (state & 2) !== 0;
    const outside = (state & 1) !== 0;
    if (actions.has(node) && !guarded && !outside && !found.has(node)) found.set(node, pathTo(state));
    const step = graph.steps[node] as Step;
    for (const e of graph.out[node] ?? []) {
      const f = facts(e);
      const g = (clearsGuard(step) ? false : guarded) || f.guard;
      const o = (clearsTerritory(step) ? false : outside) || f.outside;
      const next = e.to * 4 + (g ? 2 : 0) + (o ? 1 : 0);
      if (!parent.has(next)) {
        parent.set(next, { prev: state, label: e.label });
        queue.push(next);
      }
    }
  }
  return found;
}

/** Names the single guard edge that dominates `action`, if any (edge-split graph, one virtual root). */
function dominatingGuard(graph: Graph, rule: PathRule, action: number): string | null {
  const n = graph.steps.length;
  const territory = rule.territory ? new Set(rule.territory) : null;
  // Nodes: 0 = root, 1..n = steps, then one node per edge.
  const succ: number[][] = Array.from({ length: n + 1 }, () => []);
  const edgeNodes: Edge[] = [];
  const addEdge = (fromNode: number, e: Edge): void => {
    const id = succ.length;
    succ.push([e.to + 1]);
    edgeNodes.push(e);
    (succ[fromNode] as number[]).push(id);
  };
  for (const e of graph.entries) addEdge(0, e);
  graph.out.forEach((edges, i) => {
    for (const e of edges) addEdge(i + 1, e);
  });
  const dom = computeDominators(succ, 0);
  let x = action + 1;
  while (x !== 0) {
    const up = dom.idom.get(x);
    if (up === undefined || up === x) break;
    x = up;
    if (x > n) {
      const e = edgeNodes[x - n - 1] as Edge;
      if (
        e.holds &&
        (provesGuard(e.holds, rule.guards) || (territory && provesOutside(e.holds, territory)))
      ) {
        return e.label;
      }
    }
  }
  return null;
}

function anyPath(graph: Graph, target: number): string[] {
  const parent = new Map<number, { prev: number; label: string }>();
  const queue: number[] = [];
  for (const e of graph.entries) {
    if (!parent.has(e.to)) {
      parent.set(e.to, { prev: -1, label: e.label });
      queue.push(e.to);
    }
  }
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head] as number;
    if (node === target) {
      const ids: string[] = [];
      let s = node;
      for (;;) {
        ids.push((graph.steps[s] as Step).id);
        const p = parent.get(s) as { prev: number; label: string };
        if (p.prev === -1) {
          ids.push(p.label);
          return ids.reverse();
        }
        s = p.prev;
      }
    }
    for (const e of graph.out[node] ?? []) {
      if (!parent.has(e.to)) {
        parent.set(e.to, { prev: node, label: e.label });
        queue.push(e.to);
      }
    }
  }
  return [];
}

/** Verifies a (schema-valid) workflow against the compliance rules. */
export function verifyWorkflow(workflow: Workflow, options: VerifyOptions = {}): Verification {
  const rules = options.rules ?? COMPLIANCE_RULES;
  const industry = workflow.settings?.industry ?? options.industry ?? 'general';
  const graph = buildGraph(workflow);
  const findings: Finding[] = [];
  const proofs: Proof[] = [];
  for (const rule of rules) {
    if (rule.industry && rule.industry !== industry) continue;
    const actions = new Set<number>();
    graph.steps.forEach((s, i) => {
      if (matchesAction(rule.appliesTo, s)) actions.add(i);
    });
    if (actions.size === 0) continue;
    if (rule.kind === 'step') {
      const ctx = { workflow, senderPostalAddress: options.senderPostalAddress };
      for (const i of actions) {
        const step = graph.steps[i] as Step;
        const problem = runStepCheck(rule.check, step, ctx);
        if (problem) {
          findings.push({
            rule: rule.id,
            path: anyPath(graph, i),
            step: step.id,
            message: `${rule.message}: ${problem}`,
          });
        }
      }
      continue;
    }
    const unguarded = unguardedPaths(graph, rule, actions);
    for (const i of actions) {
      const step = graph.steps[i] as Step;
      const path = unguarded.get(i);
      if (path) {
        findings.push({ rule: rule.id, path, step: step.id, message: `${rule.message} (${rule.law})` });
      } else if (anyPath(graph, i).length > 0) {
        proofs.push({
          rule: rule.id,
          step: step.id,
          guardedBy: dominatingGuard(graph, rule, i) ?? 'every path',
        });
      }
    }
  }
  return { ok: findings.length === 0, findings, proofs };
}
