import {
  findUnboundedCycle,
  parseWorkflow,
  type Step,
  type Trigger,
  type Workflow,
  type WorkflowIssue,
} from '../dsl/index.ts';
import { closeItemLoops } from './item-loops.ts';
import type { N8nNode, Outcome } from './mapper-kit.ts';
import { LEADLOOP_NOTES_PREFIX, mapNode, pushesBody } from './node-mappers.ts';

/**
 * n8n workflow JSON → a Leadloop workflow and a report of every node: mapped, approximated (with
 * reasons) or unmapped (kept as an opaque step, never executed, failing verification until
 * replaced). Connections keyed by node name become step edges (If: 0 true / 1 false; Switch: one
 * per rule, then the fallback; `continueErrorOutput`: the last output is the error edge). Cycles
 * that pass through no Split In Batches node are bounded by a loop step.
 */

interface NodeReport {
  name: string;
  type: string;
  /** `note` for sticky notes. */
  outcome: Outcome | 'note';
  reasons: string[];
  /** The Leadloop step id, for nodes that became steps. */
  step?: string;
}

export interface ImportReport {
  name: string;
  nodes: NodeReport[];
  /** Problems with the workflow as a whole (fan-out, no trigger, bounded cycles). */
  notes: string[];
  /** Every node mapped or approximated (sticky notes aside). */
  fullyMapped: boolean;
}

export type ImportResult =
  | { ok: true; workflow: Workflow; report: ImportReport }
  | { ok: false; reason: string; issues?: WorkflowIssue[]; report?: ImportReport };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Is this value an n8n workflow export (an object with `nodes` and `connections`)? */
export function isN8nWorkflow(
  value: unknown,
): value is { nodes: unknown[]; connections: Record<string, unknown> } {
  return isObject(value) && Array.isArray(value.nodes) && isObject(value.connections);
}

function idFor(name: string, taken: Set<string>): string {
  let base = name
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^[^A-Za-z]+/, '')
    .replace(/-+$/, '')
    .slice(0, 56);
  if (base === '') base = 'step';
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  taken.add(id);
  return id;
}

/** Target node names per output index of `main` connections. */
function outputsOf(connections: Record<string, unknown>, name: string): string[][] {
  const main = isObject(connections[name]) ? (connections[name] as Record<string, unknown>).main : undefined;
  if (!Array.isArray(main)) return [];
  return main.map((slot) =>
    Array.isArray(slot)
      ? slot
          .filter(isObject)
          .map((c) => String(c.node ?? ''))
          .filter((n) => n !== '')
      : [],
  );
}

/** Converts one n8n workflow; never throws on malformed input. */
export function importN8nWorkflow(input: unknown, options: { timezone?: string } = {}): ImportResult {
  if (!isN8nWorkflow(input))
    return { ok: false, reason: 'not n8n workflow JSON (needs "nodes" and "connections")' };
  const name =
    (typeof (input as Record<string, unknown>).name === 'string'
      ? String((input as Record<string, unknown>).name)
      : ''
    ).trim() || 'Imported from n8n';
  const settings = isObject((input as Record<string, unknown>).settings)
    ? ((input as Record<string, unknown>).settings as Record<string, unknown>)
    : {};
  const timezone =
    typeof settings.timezone === 'string' && isTimeZone(settings.timezone)
      ? settings.timezone
      : (options.timezone ?? 'UTC');
  const nodes: N8nNode[] = [];
  const report: ImportReport = { name, nodes: [], notes: [], fullyMapped: true };
  const seenNames = new Set<string>();
  for (const raw of input.nodes) {
    if (!isObject(raw) || typeof raw.name !== 'string' || typeof raw.type !== 'string') {
      report.notes.push('a node without name or type was left out');
      report.fullyMapped = false;
      continue;
    }
    if (seenNames.has(raw.name)) {
      report.notes.push(`a second node named "${raw.name}" was left out (n8n names are unique)`);
      report.fullyMapped = false;
      continue;
    }
    seenNames.add(raw.name);
    nodes.push({
      ...(raw as unknown as N8nNode),
      parameters: isObject(raw.parameters) ? raw.parameters : {},
    });
  }

  const triggerNames = new Set<string>();
  const bodyTriggerNames = new Set<string>();
  const stepIdByName = new Map<string, string>();
  const taken = new Set<string>();
  const isTriggerType = (n: N8nNode) => /Trigger$/.test(n.type) || /\.(webhook|cron|start)$/.test(n.type);
  for (const n of nodes) {
    if (n.type.endsWith('.stickyNote')) continue;
    if (isTriggerType(n)) triggerNames.add(n.name);
    if (isTriggerType(n) && pushesBody(n.type)) bodyTriggerNames.add(n.name);
    else stepIdByName.set(n.name, idFor(n.name, taken));
  }

  const steps = new Map<string, Step>();
  const triggers: { node: N8nNode; triggers: Trigger[] }[] = [];
  const notes: NonNullable<Workflow['notes']> = [];
  const positions: Record<string, [number, number]> = {};
  for (const n of nodes) {
    const id = stepIdByName.get(n.name) ?? '';
    const mapped = mapNode(n, { id, timezone, stepIdByName, triggerNames, bodyTriggerNames });
    if (mapped.kind === 'note') {
      notes.push({
        text: mapped.text,
        ...(validPosition(n.position) ? { position: n.position } : {}),
        ...(mapped.size ? { size: mapped.size } : {}),
      });
      report.nodes.push({ name: n.name, type: n.type, outcome: 'note', reasons: [] });
      continue;
    }
    report.nodes.push({
      name: n.name,
      type: n.type,
      outcome: mapped.outcome,
      reasons: mapped.reasons,
      ...(id ? { step: id } : {}),
    });
    if (mapped.outcome === 'unmapped') report.fullyMapped = false;
    if (mapped.kind === 'trigger') {
      triggers.push({ node: n, triggers: mapped.triggers });
      continue;
    }
    const step = { ...mapped.step, id, ...(n.name !== id ? { name: n.name.slice(0, 200) } : {}) } as Step;
    if (typeof n.notes === 'string' && n.notes.trim() !== '' && !n.notes.startsWith(LEADLOOP_NOTES_PREFIX)) {
      step.notes = n.notes.slice(0, 5000);
    }
    steps.set(id, step);
    if (validPosition(n.position)) positions[id] = n.position;
  }

  const firstTarget = (targets: string[] | undefined, from: string): string | undefined => {
    const ids = (targets ?? []).map((t) => stepIdByName.get(t)).filter((t): t is string => t !== undefined);
    if (ids.length > 1)
      report.notes.push(
        `"${from}" fans out to ${ids.length} nodes; a Leadloop run follows the first (${ids[0]})`,
      );
    return ids[0];
  };
  for (const n of nodes) {
    const id = stepIdByName.get(n.name);
    const step = id ? steps.get(id) : undefined;
    if (!step) continue;
    const outs = outputsOf(input.connections, n.name);
    if (n.onError === 'continueErrorOutput' && outs.length > 1) {
      const err = firstTarget(outs.pop(), n.name);
      if (err) step.onError = err;
    }
    wire(
      step,
      outs.map((o) => firstTarget(o, n.name)),
    );
  }

  const entry: Trigger[] = [];
  let start: string | undefined;
  for (const t of triggers) {
    const target = firstTarget(outputsOf(input.connections, t.node.name)[0], t.node.name);
    start ??= target;
    for (const trig of t.triggers) entry.push(target && target !== start ? { ...trig, start: target } : trig);
  }
  if (entry.length === 0) {
    entry.push({ type: 'manual' });
    report.notes.push('no trigger could be mapped; the workflow gets a manual trigger');
    report.fullyMapped = false;
  }
  closeItemLoops(steps, report.notes, (base) => idFor(base, taken));
  for (const s of steps.values()) {
    if (s.type === 'loop' && s.body === '') {
      steps.set(s.id, {
        id: s.id,
        type: 'noop',
        ...(s.name ? { name: s.name } : {}),
        ...(s.next ? { next: s.next } : {}),
      });
    }
  }
  if (steps.size === 0) steps.set('end', { id: 'end', type: 'noop', name: 'End' });
  start ??= steps.keys().next().value as string;

  const workflow: Workflow = {
    schemaVersion: 1,
    name: name.slice(0, 200),
    triggers: entry.slice(0, 20),
    start,
    steps: [...steps.values()],
    ...(notes.length > 0 ? { notes: notes.slice(0, 200) } : {}),
    ...(Object.keys(positions).length > 0 ? { ui: { positions } } : {}),
  };
  boundCycles(workflow, taken, report);
  const parsed = parseWorkflow(workflow);
  if (!parsed.ok)
    return { ok: false, reason: 'the converted workflow is not valid', issues: parsed.error, report };
  return { ok: true, workflow: parsed.value.workflow, report };
}

function wire(step: Step, outs: (string | undefined)[]): void {
  const [first, second] = outs;
  switch (step.type) {
    case 'condition':
      if (first) step.onTrue = first;
      if (second) step.onFalse = second;
      return;
    case 'switch':
      step.cases.forEach((c, i) => {
        const to = outs[i];
        if (to) c.next = to;
      });
      if (outs[step.cases.length]) step.default = outs[step.cases.length];
      return;
    case 'loop':
      // Split In Batches v3: output 0 "done", output 1 "loop"; older versions have one output.
      if (outs.length >= 2) {
        if (second) step.body = second;
        if (first) step.next = first;
      } else if (first) step.body = first;
      return;
    case 'wait':
      if (first) step.next = first;
      if (first && step.wait.kind === 'event') step.onTimeout = first;
      return;
    case 'ask_council':
      step.branches.forEach((b, i) => {
        const to = outs[i];
        if (to) b.next = to;
      });
      if (outs[step.branches.length]) step.default = outs[step.branches.length];
      return;
    case 'split':
      step.variants.forEach((v, i) => {
        const to = outs[i];
        if (to) v.next = to;
      });
      return;
    case 'opaque':
      if (first) step.next = first;
      if (outs.length > 1) step.outputs = outs.slice(1, 51).map((o) => o ?? null);
      return;
    default:
      if (first) step.next = first;
  }
}

/** Puts a loop step (at most 100 rounds) on the back edge of every cycle without one. */
function boundCycles(workflow: Workflow, taken: Set<string>, report: ImportReport): void {
  for (let guard = 0; guard < 100; guard++) {
    const cycle = findUnboundedCycle(workflow);
    if (!cycle) return;
    const head = cycle[0] as string;
    const tail = workflow.steps.find((s) => s.id === cycle[cycle.length - 2]) as Step;
    const loopId = idFor(`loop-${head}`, taken);
    const r = tail as Record<string, unknown>;
    for (const key of ['next', 'onTrue', 'onFalse', 'default', 'onTimeout', 'onError'])
      if (r[key] === head) r[key] = loopId;
    if (tail.type === 'switch') for (const c of tail.cases) if (c.next === head) c.next = loopId;
    if (tail.type === 'opaque' && tail.outputs)
      tail.outputs = tail.outputs.map((o) => (o === head ? loopId : o));
    workflow.steps.push({ id: loopId, type: 'loop', body: head, maxIterations: 100 });
    report.notes.push(`the cycle ${cycle.join(' → ')} is bounded to 100 rounds by the loop step ${loopId}`);
  }
}

function validPosition(p: unknown): p is [number, number] {
  return Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'number' && Number.isFinite(x));
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
