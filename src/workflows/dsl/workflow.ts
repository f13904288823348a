import { z } from 'zod';
import { err, ok, type Result } from '../../core/index.ts';
import { stepEdges, triggerStart } from './graph.ts';
import { type Step, stepSchema } from './steps.ts';
import { stepIdSchema, timeZoneSchema, triggerSchema } from './triggers.ts';

/** The DSL's version; a breaking change to the document shape gets a new number. */
const WORKFLOW_SCHEMA_VERSION = 1;

/**
 * Workflow settings. `industry: 'healthcare'` turns on the healthcare rules; `sensitiveFields`
 * names the lead attributes that hold health data (templates naming them carry health data).
 * `sender` is the default From and the postal address commercial e-mail must carry (CAN-SPAM).
 */
const workflowSettingsSchema = z
  .object({
    timezone: timeZoneSchema.optional(),
    industry: z.enum(['general', 'healthcare']).optional(),
    sensitiveFields: z
      .array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/))
      .max(200)
      .optional(),
    sender: z
      .object({
        name: z.string().max(200).optional(),
        email: z.string().max(320).optional(),
        postalAddress: z.string().max(500).optional(),
      })
      .strict()
      .optional(),
    /** Runs of this workflow in progress at once (engine default when absent). */
    maxConcurrentRuns: z.number().int().min(1).max(10_000).optional(),
    /** A lead runs through this workflow at most once per this many ms (absent: every trigger starts a run). */
    reentryAfterMs: z.number().int().min(0).optional(),
  })
  .strict();

/** A sticky note (kept from n8n imports or written by people); never executed. */
const workflowNoteSchema = z
  .object({
    text: z.string().max(20_000),
    position: z.tuple([z.number(), z.number()]).optional(),
    size: z.tuple([z.number(), z.number()]).optional(),
  })
  .strict();

/**
 * A workflow definition: versioned JSON per workspace (the store assigns id and version numbers).
 * Runs start at `start` (or a trigger's own `start`) and follow the step graph; see
 * {@link stepEdges}. Layout (`ui.positions`) is presentation only.
 *
 * @example
 * {
 *   "schemaVersion": 1, "name": "Speed to lead",
 *   "triggers": [{ "type": "lead.qualified" }],
 *   "start": "assign",
 *   "steps": [
 *     { "id": "assign", "type": "assign_owner", "strategy": "round_robin", "owners": [{ "id": "ana" }], "next": "notify" },
 *     { "id": "notify", "type": "chat_message", "channel": "slack", "webhook": "slack-sales", "text": "New lead {{lead.name}}" }
 *   ]
 * }
 */
export const workflowSchema = z
  .object({
    schemaVersion: z.literal(WORKFLOW_SCHEMA_VERSION),
    name: z.string().trim().min(1).max(200),
    description: z.string().max(5000).optional(),
    tags: z.array(z.string().min(1).max(64)).max(50).optional(),
    triggers: z.array(triggerSchema).min(1).max(20),
    start: stepIdSchema,
    steps: z.array(stepSchema).min(1).max(500),
    settings: workflowSettingsSchema.optional(),
    notes: z.array(workflowNoteSchema).max(200).optional(),
    ui: z
      .object({ positions: z.record(z.string(), z.tuple([z.number(), z.number()])).optional() })
      .strict()
      .optional(),
  })
  .strict();
export type Workflow = z.infer<typeof workflowSchema>;

/**
 * A coded problem with a workflow document: `invalid` (schema), `duplicate_step_id`,
 * `unknown_step` (a reference to a missing step), `unbounded_cycle` (a cycle through no loop step);
 * warnings: `unreachable_step`.
 */
export interface WorkflowIssue {
  code: 'invalid' | 'duplicate_step_id' | 'unknown_step' | 'unbounded_cycle' | 'unreachable_step';
  /** JSON path, e.g. `steps.3.onTrue`. */
  path: string;
  message: string;
}

export interface ParsedWorkflow {
  workflow: Workflow;
  /** Problems that do not stop the workflow from running (unreachable steps). */
  warnings: WorkflowIssue[];
}

/** Steps by id. */
export function stepMap(workflow: Workflow): Map<string, Step> {
  return new Map(workflow.steps.map((s) => [s.id, s]));
}

/**
 * Validates a workflow document: the zod schema, then the graph (unique ids, every reference
 * resolves, every cycle passes through a `loop` step). Unreachable steps are warnings.
 */
export function parseWorkflow(input: unknown): Result<ParsedWorkflow, WorkflowIssue[]> {
  const parsed = workflowSchema.safeParse(input);
  if (!parsed.success) {
    return err(
      parsed.error.issues.map((issue) => ({
        code: 'invalid' as const,
        path: issue.path.map(String).join('.'),
        message: issue.message,
      })),
    );
  }
  const workflow = parsed.data;
  const { errors, warnings } = checkGraph(workflow);
  return errors.length > 0 ? err(errors) : ok({ workflow, warnings });
}

function checkGraph(workflow: Workflow): { errors: WorkflowIssue[]; warnings: WorkflowIssue[] } {
  const errors: WorkflowIssue[] = [];
  const steps = new Map<string, Step>();
  workflow.steps.forEach((step, i) => {
    if (steps.has(step.id)) {
      errors.push({
        code: 'duplicate_step_id',
        path: `steps.${i}.id`,
        message: `step id "${step.id}" is used twice`,
      });
    }
    steps.set(step.id, step);
  });
  const unknown = (path: string, id: string): void => {
    errors.push({ code: 'unknown_step', path, message: `no step has the id "${id}"` });
  };
  if (!steps.has(workflow.start)) unknown('start', workflow.start);
  workflow.triggers.forEach((t, i) => {
    if (t.start && !steps.has(t.start)) unknown(`triggers.${i}.start`, t.start);
  });
  workflow.steps.forEach((step, i) => {
    for (const edge of stepEdges(step)) {
      if (!steps.has(edge.to)) unknown(`steps.${i}.${edge.kind}`, edge.to);
    }
  });
  if (errors.length > 0) return { errors, warnings: [] };

  // Every cycle must pass through a loop step: with loop steps removed the graph must be acyclic.
  const cycle = findCycleAvoidingLoops(steps);
  if (cycle) {
    errors.push({
      code: 'unbounded_cycle',
      path: `steps.${workflow.steps.findIndex((s) => s.id === cycle[0])}`,
      message: `the steps ${cycle.join(' → ')} form a cycle through no loop step; use a loop step with maxIterations`,
    });
  }
  const reachable = new Set<string>();
  const stack = [workflow.start, ...workflow.triggers.map((t) => triggerStart(t, workflow.start))];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (reachable.has(id)) continue;
    reachable.add(id);
    const step = steps.get(id);
    if (step) for (const e of stepEdges(step)) stack.push(e.to);
  }
  const warnings = workflow.steps
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => !reachable.has(s.id))
    .map(({ s, i }) => ({
      code: 'unreachable_step' as const,
      path: `steps.${i}`,
      message: `step "${s.id}" cannot be reached from any trigger`,
    }));
  return { errors, warnings };
}

function findCycleAvoidingLoops(steps: Map<string, Step>): string[] | null {
  const state = new Map<string, 'active' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | null => {
    const step = steps.get(id);
    if (!step || step.type === 'loop') return null;
    const s = state.get(id);
    if (s === 'done') return null;
    if (s === 'active') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'active');
    path.push(id);
    for (const e of stepEdges(step)) {
      const found = visit(e.to);
      if (found) return found;
    }
    path.pop();
    state.set(id, 'done');
    return null;
  };
  for (const id of steps.keys()) {
    const found = visit(id);
    if (found) return found;
  }
  return null;
}

/**
 * A cycle of step ids that passes through no loop step (`[a, b, a]`), or null. For converters
 * that must bound cycles (n8n imports) before {@link parseWorkflow} accepts the graph.
 */
export function findUnboundedCycle(workflow: Workflow): string[] | null {
  return findCycleAvoidingLoops(stepMap(workflow));
}

/** The workflow document's JSON Schema (draft 2020-12), for `GET /v1/workflows/schema` and structured model output. */
export function workflowJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(workflowSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
