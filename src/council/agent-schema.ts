import { z } from 'zod';
import { AGENT_ROLES, type AgentRole, QUESTION_TYPES, SPECIALTY_KINDS, TOOL_NAMES } from './vocabulary.ts';

const slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be lower-case letters, digits, "-" or "_" (at most 64)');

/** Metric signals the router can read before consulting anyone (cheap, from the performance metrics). */
const SIGNAL_NAMES = [
  'chat.sessions',
  'chat.maxDropOff',
  'email.sent',
  'email.maxBounceRate',
  'email.maxUnsubscribeRate',
  'paid.leads',
  'paid.worstToOrganicRatio',
  'segment.maxChannelLeads',
] as const;
/** A router signal. */
export type SignalName = (typeof SIGNAL_NAMES)[number];

const signalConditionSchema = z
  .object({
    name: z.enum(SIGNAL_NAMES),
    op: z.enum(['gte', 'lte']),
    value: z.number().finite(),
  })
  .strict();

/**
 * One set of conditions, all of which must hold. A field left out does not constrain; a field given
 * constrains and fails when the question's context does not know the value (an industry specialist
 * does not apply to a lead of unknown industry).
 */
const conditionSetSchema = z
  .object({
    questionTypes: z.array(z.enum(QUESTION_TYPES)).min(1),
    industries: z.array(slug).min(1).optional(),
    regions: z.array(slug).min(1).optional(),
    countries: z
      .array(z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code'))
      .min(1)
      .optional(),
    sources: z.array(slug).min(1).optional(),
    dealSizeUsd: z
      .object({ min: z.number().nonnegative().optional(), max: z.number().positive().optional() })
      .strict()
      .refine((range) => range.min === undefined || range.max === undefined || range.min < range.max, {
        message: 'min must be below max',
      })
      .optional(),
    scoreUncertain: z.boolean().optional(),
    signals: z.array(signalConditionSchema).min(1).optional(),
  })
  .strict();
/** One condition set of `appliesWhen`. */
export type ConditionSet = z.infer<typeof conditionSetSchema>;

/** An agent's specialty: an industry, a region, an optimizer domain, or none (`general`). */
const specialtySchema = z
  .object({ kind: z.enum(SPECIALTY_KINDS), value: slug })
  .strict()
  .refine((s) => (s.kind === 'general') === (s.value === 'general'), {
    message: 'a general specialty has value "general", and only a general specialty does',
  });

const SKILL_NAME = /^[a-z][a-z0-9]*(?:[._-][a-z0-9]+)*$/;

/** An agent as data. Validated for built-ins and for workspace-defined agents alike. */
export const agentSchema = z
  .object({
    id: slug,
    name: z.string().trim().min(1).max(80),
    role: z.enum(AGENT_ROLES),
    specialty: specialtySchema,
    /** For people: what this agent knows and when it is consulted. */
    description: z.string().trim().min(1).max(500),
    /** The system prompt a real model receives (the offline skills apply rules instead). */
    instructions: z.string().trim().min(1).max(4000),
    /** Tools it may call; every other tool is refused. */
    tools: z.array(z.enum(TOOL_NAMES)).min(1),
    /** Tools the council reads for it before it is asked (must be allowed tools). */
    inputs: z.array(z.enum(TOOL_NAMES)).min(1),
    /** When the router may consult it: any one condition set holding is enough. */
    appliesWhen: z.array(conditionSetSchema).min(1).max(10),
    /** The model-port task (offline skill) it runs; default `council.<role>`. */
    task: z.string().regex(SKILL_NAME, 'must be a skill name such as council.strategist').optional(),
    enabled: z.boolean().default(true),
  })
  .strict()
  .superRefine((agent, ctx) => {
    const tools = new Set(agent.tools);
    if (tools.size !== agent.tools.length) {
      ctx.addIssue({ code: 'custom', path: ['tools'], message: 'lists a tool twice' });
    }
    for (const [index, input] of agent.inputs.entries()) {
      if (!tools.has(input)) {
        ctx.addIssue({
          code: 'custom',
          path: ['inputs', index],
          message: `"${input}" is not among the agent's tools`,
        });
      }
    }
    if (agent.specialty.kind === 'domain' && agent.role !== 'optimizer') {
      ctx.addIssue({ code: 'custom', path: ['specialty'], message: 'domain specialists are optimizers' });
    }
  });
/** An agent, as validated (with `enabled` defaulted). */
export type Agent = z.output<typeof agentSchema>;

/** The task an agent runs on the model port. */
export function agentTask(agent: Pick<Agent, 'role' | 'task'>): string {
  return agent.task ?? defaultTask(agent.role);
}

/** `council.<role>`: the offline skill registered for each role. */
export function defaultTask(role: AgentRole): string {
  return `council.${role}`;
}
