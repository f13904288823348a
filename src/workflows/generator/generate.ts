import { z } from 'zod';
import { err, LeadloopError, ok, type Result } from '../../core/index.ts';
import type { ModelClient, ModelMessage, ObjectResult, OfflineSkill } from '../../models/index.ts';
import {
  type Finding,
  insertGuards,
  type Verification,
  type VerifyOptions,
  verifyWorkflow,
} from '../compliance/index.ts';
import { parseWorkflow, type Workflow, workflowSchema } from '../dsl/index.ts';
import { composeWorkflow } from './compose.ts';
import { type GenerateConstraints, parseGoal } from './goal-parser.ts';
import { choosePlay } from './plays.ts';

/**
 * Workflow generation from a plain-language goal. Offline (the default) it parses the goal and
 * composes from the play library; with a real model it asks for structured output against the
 * DSL's schema, repairs the answer from the validator's and verifier's coded messages (at most
 * {@link MAX_REPAIR_ROUNDS} rounds), and falls back to offline. Either way the result passes
 * `insertGuards` and the verifier: compliance guards the goal did not ask for are added and
 * reported as findings. Goals that ask for code, destruction, or health data in messages are
 * refused with a reason. The result is a draft; a person activates it.
 */

export interface GenerateRequest {
  goal: string;
  constraints?: GenerateConstraints;
}

export interface GenerateOptions {
  /** The model port; absent or offline: the play library answers. */
  model?: ModelClient;
  workspaceId?: string;
  verify?: VerifyOptions;
  signal?: AbortSignal;
}

interface StepExplanation {
  step: string;
  reason: string;
}

export interface GeneratedWorkflow {
  workflow: Workflow;
  explanation: StepExplanation[];
  verification: Verification;
  /** Guards and properties added for compliance (what the goal would have missed). */
  findings: Finding[];
  /** `offline` (play library) or `model`; `fallback` says why a model answer was not used. */
  source: { kind: 'offline'; play: string } | { kind: 'model'; model: string; repairs: number };
  fallback?: string;
}

export interface GenerationRefusal {
  code: 'refused';
  reason: string;
}

const MAX_REPAIR_ROUNDS = 2;

/** The request body of `POST /v1/workflows/generate`, for the route's validation and OpenAPI. */
export const generateRequestSchema = z
  .object({
    goal: z.string().trim().min(3).max(2000),
    constraints: z
      .object({
        regions: z.array(z.string().min(2).max(16)).max(50).optional(),
        industry: z.enum(['general', 'healthcare']).optional(),
        crm: z.enum(['hubspot', 'salesforce']).optional(),
        chat: z.enum(['slack', 'teams']).optional(),
        timezone: z.string().max(64).optional(),
        owners: z.array(z.string().min(1).max(100)).max(100).optional(),
        postalAddress: z.string().max(500).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** The offline-skill task name the model port uses for generation. */
export const GENERATE_TASK = 'workflows.generate';

const explanationSchema = z.array(z.object({ step: z.string(), reason: z.string() }).strict()).max(500);
/** What a model is asked to return. */
const generationOutputSchema = z
  .object({ workflow: workflowSchema, explanation: explanationSchema })
  .strict();
type GenerationOutput = z.infer<typeof generationOutputSchema>;

function refusal(goal: string, constraints: GenerateConstraints): string | null {
  const facts = parseGoal(goal, constraints);
  if (facts.wantsCode)
    return 'the goal asks to run code; Leadloop workflows never execute code (use HTTP or webhook steps to call your own service)';
  if (facts.destructive)
    return 'the goal asks to delete data; workflows cannot delete leads or tables (data-subject erasure goes through the privacy API)';
  if (
    facts.healthData &&
    (facts.emailLead || facts.sms || facts.emailInternal || constraints.industry === 'healthcare')
  ) {
    return 'the goal asks to send health data by e-mail or SMS, which the healthcare rules forbid; send a secure portal link instead';
  }
  const acts = [
    facts.slaMs !== null,
    facts.assign,
    facts.chat,
    facts.emailLead,
    facts.emailInternal,
    facts.sms,
    facts.crm,
    facts.http,
    facts.webhookOut,
    facts.updateLead,
    facts.sequence,
    facts.council,
    facts.startWorkflow,
  ];
  if (!acts.some(Boolean))
    return 'the goal names no action Leadloop can take (e-mail, SMS, assign, notify, CRM, HTTP, webhook, update, sequence, council); please rephrase';
  return null;
}

/** Guards, verification and explanations for a draft: shared by the offline and model paths. */
function finish(workflow: Workflow, reasons: Map<string, string>, verify: VerifyOptions | undefined) {
  const before = new Map(
    verifyWorkflow(workflow, verify).findings.map((f) => [`${f.rule}:${f.step}`, f.path]),
  );
  const guarded = insertGuards(workflow, verify);
  const added = new Map(guarded.added.map((a) => [a.change, a.message]));
  const explanation = guarded.workflow.steps.map((s) => ({
    step: s.id,
    reason: added.get(s.id) ?? reasons.get(s.id) ?? 'part of the requested flow',
  }));
  // The path is the one the verifier found unguarded before the guard was added.
  const findings: Finding[] = guarded.added.map((a) => ({
    rule: a.rule,
    path: before.get(`${a.rule}:${a.step}`) ?? [],
    step: a.step,
    message: a.message,
  }));
  return {
    workflow: guarded.workflow,
    explanation,
    verification: verifyWorkflow(guarded.workflow, verify),
    findings,
  };
}

/** The offline generator (the play library). */
function generateOffline(
  request: GenerateRequest,
  verify?: VerifyOptions,
): Result<GeneratedWorkflow, GenerationRefusal> {
  const constraints = request.constraints ?? {};
  const refused = refusal(request.goal, constraints);
  if (refused) return err({ code: 'refused', reason: refused });
  const facts = parseGoal(request.goal, constraints);
  const play = choosePlay(facts);
  const draft = composeWorkflow(facts, play, constraints);
  draft.reasons.set('__trigger', facts.triggerReason);
  const parsed = parseWorkflow(draft.workflow);
  if (!parsed.ok) {
    return err({
      code: 'refused',
      reason: `the composed workflow is not valid: ${parsed.error.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    });
  }
  return ok({
    ...finish(parsed.value.workflow, draft.reasons, verify),
    source: { kind: 'offline', play: play.id },
  });
}

/** An offline skill answering the generation task (register it as `workflows.generate` in the model port's skills). */
export const workflowGenerationSkill: OfflineSkill = (input) => {
  const data = (input.data ?? {}) as { goal?: string; constraints?: GenerateConstraints };
  const result = generateOffline({ goal: String(data.goal ?? ''), constraints: data.constraints ?? {} });
  if (!result.ok) throw new LeadloopError('validation_failed', result.error.reason);
  return {
    type: 'object',
    object: { workflow: result.value.workflow, explanation: result.value.explanation },
  };
};

const SYSTEM = [
  'You design Leadloop workflows. Answer with one JSON object {"workflow", "explanation"}.',
  '"workflow" must follow the workflow JSON Schema (schemaVersion 1, triggers, start, steps with unique ids, edges by id).',
  'Use only the step types of the schema; never code. Marketing e-mail to EU/UK leads needs a consent condition right before it,',
  'SMS to US numbers needs prior express written consent, third-party sharing needs the sale_share_allowed check.',
  '"explanation" gives one reason per step id.',
].join(' ');

function issuesText(workflow: unknown): string[] {
  const parsed = parseWorkflow(workflow);
  if (!parsed.ok) return parsed.error.map((i) => `${i.code} at ${i.path}: ${i.message}`);
  return verifyWorkflow(parsed.value.workflow).findings.map(
    (f) => `${f.rule} at step ${f.step}: ${f.message} (path ${f.path.join(' → ')})`,
  );
}

/**
 * Generates a workflow for a goal. Never throws for a bad goal: a refusal is the error value.
 *
 * @example
 * const result = await generateWorkflow({ goal: 'Route qualified leads round-robin and ping Slack' });
 * if (result.ok) console.log(result.value.workflow, result.value.explanation, result.value.verification.ok);
 */
export async function generateWorkflow(
  request: GenerateRequest,
  options: GenerateOptions = {},
): Promise<Result<GeneratedWorkflow, GenerationRefusal>> {
  const constraints = request.constraints ?? {};
  const refused = refusal(request.goal, constraints);
  if (refused) return err({ code: 'refused', reason: refused });
  const model = options.model;
  if (!model || model.model.startsWith('offline:')) return generateOffline(request, options.verify);

  const messages: ModelMessage[] = [
    { role: 'user', content: `Goal: ${request.goal}\nConstraints: ${JSON.stringify(constraints)}` },
  ];
  let fallback: string | undefined;
  for (let round = 0; round <= MAX_REPAIR_ROUNDS; round++) {
    let answer: ObjectResult<GenerationOutput>;
    try {
      answer = await model.generateObject({
        workspaceId: options.workspaceId ?? 'generator',
        task: GENERATE_TASK,
        schema: generationOutputSchema as z.ZodType<GenerationOutput>,
        schemaName: 'leadloop_workflow',
        system: SYSTEM,
        messages,
        skillInput: { goal: request.goal, constraints: constraints as Record<string, unknown> },
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      fallback = `the model failed: ${(error as Error).message}`;
      break;
    }
    if (answer.fallback) {
      fallback = `the model's answer was not used (${answer.fallback.reason}: ${answer.fallback.message})`;
      break;
    }
    const problems = issuesText(answer.object.workflow);
    const parsed = parseWorkflow(answer.object.workflow);
    // Verifier findings go back to the model; in the last round, findings guards can fix are fixed here.
    const onlyGuardable =
      parsed.ok && insertGuards(parsed.value.workflow, options.verify).unresolved.length === 0;
    if (parsed.ok && (problems.length === 0 || (onlyGuardable && round === MAX_REPAIR_ROUNDS))) {
      const reasons = new Map(answer.object.explanation.map((e) => [e.step, e.reason]));
      return ok({
        ...finish(parsed.value.workflow, reasons, options.verify),
        source: { kind: 'model', model: `${answer.provider}:${answer.model}`, repairs: round },
      });
    }
    if (round === MAX_REPAIR_ROUNDS) {
      fallback = `the model's workflow still had problems after ${MAX_REPAIR_ROUNDS} repairs: ${problems.slice(0, 3).join('; ')}`;
      break;
    }
    messages.push(
      { role: 'assistant', content: JSON.stringify(answer.object) },
      {
        role: 'user',
        content: `Fix these problems and answer with the whole corrected object:\n- ${problems.join('\n- ')}`,
      },
    );
  }
  const offline = generateOffline(request, options.verify);
  return offline.ok && fallback ? ok({ ...offline.value, fallback }) : offline;
}
