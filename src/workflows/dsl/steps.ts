import { z } from 'zod';
import { fieldRefSchema, predicateSchema, scalarSchema } from './predicate.ts';
import { stepIdSchema, timeZoneSchema } from './triggers.ts';

/**
 * The closed step vocabulary. Every step has an `id`; control flows along `next` (absent = the run
 * ends) or along a branching step's own edges (`onTrue` / `onFalse`, `cases[].next` / `default`, wait
 * `onTimeout`, council `branches`, loop `body`). Any step may name an `onError` step taken when it
 * fails after its retries; without one the run fails.
 *
 * Strings marked "template" are logic-less Mustache: `{{lead.name}}`, `{{trigger.outcome}}`,
 * `{{vars.x}}`, `{{steps.<id>.<path>}}`, sections over values only; no partials, lambdas or code.
 */

/** A template string (Mustache variables and sections, no code). */
const templateSchema = z.string().max(20_000);

/** A JSON value whose strings are templates (request bodies, webhook payloads, variables). */
export type JsonTemplate =
  | string
  | number
  | boolean
  | null
  | JsonTemplate[]
  | { [key: string]: JsonTemplate };
const jsonTemplateSchema: z.ZodType<JsonTemplate> = z.lazy(() =>
  z.union([
    templateSchema,
    z.number(),
    z.boolean(),
    z.null(),
    z.array(jsonTemplateSchema).max(1000),
    z.record(z.string().max(200), jsonTemplateSchema),
  ]),
);

/** The name of a secret in the workspace's credential store (never the secret itself). */
const credentialRefSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'is not a credential name');

/**
 * Who receives lead data from an HTTP call, webhook or CRM push: `first_party` (the workspace's
 * own systems), `service_provider` (processes data for the workspace under contract), `third_party`
 * (a sale or share under CCPA/CPRA, e.g. ad-audience sync). When absent the verifier assumes
 * `third_party` for `http_request` / `webhook` and `service_provider` for `crm_upsert`.
 */
const SHARING = ['first_party', 'service_provider', 'third_party'] as const;
export type Sharing = (typeof SHARING)[number];

/** Per-step retry policy (exponential backoff); engine default when absent. */
const retrySchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(20),
    backoffMs: z.number().int().min(0).max(86_400_000).optional(),
    factor: z.number().min(1).max(10).optional(),
  })
  .strict();

const base = {
  id: stepIdSchema,
  /** Display name (for people and n8n export); never used as a reference. */
  name: z.string().max(200).optional(),
  notes: z.string().max(5000).optional(),
  /** Step taken when this step fails after its retries (an error edge the verifier follows too). */
  onError: stepIdSchema.optional(),
  retry: retrySchema.optional(),
  timeoutMs: z.number().int().min(1).max(86_400_000).optional(),
};
const next = { next: stepIdSchema.optional() };

/** Where lead data goes and whether the destination is covered by a business associate / data processing agreement. */
const dataFlow = {
  sharing: z.enum(SHARING).optional(),
  /** True when the destination is covered by an agreement allowing health data (healthcare rules). */
  covered: z.boolean().optional(),
  /** Declares that the request carries health data even if no template names a sensitive field. */
  healthData: z.boolean().optional(),
};

const conditionStepSchema = z
  .object({
    ...base,
    type: z.literal('condition'),
    when: predicateSchema,
    /** Taken when `when` holds (absent = the run ends). */
    onTrue: stepIdSchema.optional(),
    /** Taken when `when` does not hold (absent = the run ends). */
    onFalse: stepIdSchema.optional(),
  })
  .strict();

const switchStepSchema = z
  .object({
    ...base,
    type: z.literal('switch'),
    /** Evaluated in order; the first matching case wins. */
    cases: z
      .array(
        z
          .object({
            when: predicateSchema,
            next: stepIdSchema.optional(),
            label: z.string().max(100).optional(),
          })
          .strict(),
      )
      .min(1)
      .max(50),
    /** Taken when no case matches (absent = the run ends). */
    default: stepIdSchema.optional(),
  })
  .strict();

/**
 * Waits are due rows, never sleeping processes. `duration`: `ms` from the moment the step is
 * reached. `until`: an ISO instant or a template yielding one (`{{lead.attributes.meetingAt}}`), or
 * the next `timeOfDay` (HH:MM) in `timezone`, on `weekdays` (1 = Monday … 7 = Sunday) if given.
 * `event`: until an event about the run's lead (optionally matching `match`: event field → value)
 * or `timeoutMs`, whichever first; the event continues at `next`, the timeout at `onTimeout`.
 */
const waitSpecSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('duration'),
      ms: z
        .number()
        .int()
        .min(1)
        .max(366 * 86_400_000),
    })
    .strict(),
  z
    .object({
      kind: z.literal('until'),
      at: templateSchema.optional(),
      timeOfDay: z
        .string()
        .regex(/^([01]\d|2[0-3]):[0-5]\d$/)
        .optional(),
      weekdays: z.array(z.number().int().min(1).max(7)).min(1).max(7).optional(),
      timezone: timeZoneSchema.optional(),
    })
    .strict()
    .refine(
      (w) => (w.at === undefined) !== (w.timeOfDay === undefined),
      'needs exactly one of at or timeOfDay',
    ),
  z
    .object({
      kind: z.literal('event'),
      /** Event type, e.g. `email.replied`, `meeting.booked`, `lead.qualified`, `outcome.recorded`. */
      event: z.string().regex(/^[a-z][a-z_]*(\.[a-z][a-z_]*)+$/),
      match: z.record(z.string().max(100), scalarSchema).optional(),
      timeoutMs: z
        .number()
        .int()
        .min(1)
        .max(366 * 86_400_000),
    })
    .strict(),
]);

const waitStepSchema = z
  .object({
    ...base,
    ...next,
    type: z.literal('wait'),
    wait: waitSpecSchema,
    /** For `event` waits: where the run continues when the timeout passes first (absent = the run ends). */
    onTimeout: stepIdSchema.optional(),
  })
  .strict();

/**
 * E-mail. `to: 'lead'` sends to the run's lead; otherwise a template yielding addresses (internal
 * notifications: the owner, a manager). `purpose`: `marketing` (commercial: consent rules,
 * unsubscribe link and postal address), `transactional` (a reply the person asked for), `internal`
 * (to the team, never to the lead). `template` names a stored template (its id) instead of
 * subject/body; a run uses the version current when it started unless `templateVersion` pins one.
 */
const sendEmailStepSchema = z
  .object({
    ...base,
    ...next,
    type: z.literal('send_email'),
    to: z.union([z.literal('lead'), templateSchema]),
    purpose: z.enum(['marketing', 'transactional', 'internal']),
    subject: templateSchema.optional(),
    body: templateSchema.optional(),
    html: templateSchema.optional(),
    template: z.string().max(100).optional(),
    /** A version of `template` to use; default the version current when the run started. */
    templateVersion: z.number().int().min(1).optional(),
    from: templateSchema.optional(),
    replyTo: templateSchema.optional(),
    /** Commercial e-mail carries an unsubscribe link and `List-Unsubscribe`; `false` is a CAN-SPAM finding. */
    unsubscribeLink: z.boolean().optional(),
    /** Sender's postal address; default: the workspace sender's (`settings.sender.postalAddress`). */
    postalAddress: z.string().max(500).optional(),
    healthData: z.boolean().optional(),
  })
  .strict();

/** SMS (or an automated call with `channel: 'call'`) through a provider credential. TCPA rules apply to US numbers. */
const sendSmsStepSchema = z
  .object({
    ...base,
    ...next,
    type: z.literal('send_sms'),
    to: z.union([z.literal('lead'), templateSchema]),
    channel: z.enum(['sms', 'call']).optional(),
    purpose: z.enum(['marketing', 'transactional', 'internal']),
    /** The message; or `template` (a stored SMS template's id) with an optional `templateVersion`. */
    text: templateSchema.optional(),
    template: z.string().max(100).optional(),
    templateVersion: z.number().int().min(1).optional(),
    credential: credentialRefSchema.optional(),
    healthData: z.boolean().optional(),
  })
  .strict();

/** An HTTP request (SSRF-guarded by the engine: private addresses refused unless allow-listed). */
const httpRequestStepSchema = z
  .object({
    ...base,
    ...next,
    ...dataFlow,
    type: z.literal('http_request'),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']),
    url: templateSchema,
    headers: z.record(z.string().max(200), templateSchema).optional(),
    query: z.record(z.string().max(200), templateSchema).optional(),
    body: jsonTemplateSchema.optional(),
    /** Credential applied as the request's authentication (bearer, basic or header, as stored). */
    credential: credentialRefSchema.optional(),
    maxResponseBytes: z.number().int().min(1).max(10_000_000).optional(),
    /** Stores the (truncated) response under `vars.<saveAs>`. */
    saveAs: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/)
      .optional(),
  })
  .strict();

/** An outgoing webhook signed with Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`). */
const webhookStepSchema = z
  .object({
    ...base,
    ...next,
    ...dataFlow,
    type: z.literal('webhook'),
    url: templateSchema,
    /** The event type sent in the payload, e.g. `lead.qualified`. */
    event: z.string().min(1).max(100),
    payload: jsonTemplateSchema.optional(),
    /** The endpoint's signing secret in the credential store (`whsec_…`). */
    secret: credentialRefSchema,
  })
  .strict();

/** A Slack or Microsoft Teams message through an incoming-webhook URL kept in the credential store. */
const chatMessageStepSchema = z
  .object({
    ...base,
    ...next,
    type: z.literal('chat_message'),
    channel: z.enum(['slack', 'teams']),
    webhook: credentialRefSchema,
    text: templateSchema,
    covered: z.boolean().optional(),
    healthData: z.boolean().optional(),
  })
  .strict();

/** Create-or-update a CRM record, matched on e-mail or an external id. `fields`: CRM property → template. */
const crmUpsertStepSchema = z
  .object({
    ...base,
    ...next,
    ...dataFlow,
    type: z.literal('crm_upsert'),
    provider: z.enum(['hubspot', 'salesforce']),
    object: z.enum(['contact', 'lead', 'company', 'deal']),
    matchOn: z.enum(['email', 'externalId']).optional(),
    fields: z.record(z.string().max(100), templateSchema).optional(),
    credential: credentialRefSchema,
  })
  .strict();

const ownerSchema = z
  .object({
    id: z.string().min(1).max(100),
    email: z.string().max(320).optional(),
    /** Open leads this owner can hold (`capacity` strategy). */
    capacity: z.number().int().min(0).max(100_000).optional(),
    /** Country codes or regions this owner covers (`territory` strategy). */
    territories: z.array(z.string().min(2).max(16)).max(300).optional(),
    /**
     * Relative share of leads under `round_robin` (default equal). The optimiser may move shares
     * toward owners whose leads convert, within its policy's bounds.
     */
    weight: z.number().min(0).max(1000).optional(),
  })
  .strict();

/** Assign an owner: `round_robin` over owners, `territory` by the lead's country/region, `capacity` to the least loaded. */
const assignOwnerStepSchema = z
  .object({
    ...base,
    ...next,
    type: z.literal('assign_owner'),
    strategy: z.enum(['round_robin', 'territory', 'capacity']),
    owners: z.array(ownerSchema).min(1).max(500),
    /** Owner id used when no territory matches or everyone is at capacity. */
    fallbackOwner: z.string().min(1).max(100).optional(),
  })
  .strict();

/** Update the lead: attribute / field values (templates allowed), tags, status. */
const updateLeadStepSchema = z
  .object({
    ...base,
    ...next,
    type: z.literal('update_lead'),
    set: z
      .record(
        z.string().regex(/^(title|company|country|source|attributes\.[A-Za-z0-9_-]{1,64})$/),
        z.union([scalarSchema, templateSchema]),
      )
      .optional(),
    addTags: z.array(z.string().min(1).max(64)).max(50).optional(),
    removeTags: z.array(z.string().min(1).max(64)).max(50).optional(),
    status: z
      .string()
      .regex(/^[a-z][a-z_]{1,31}$/)
      .optional(),
  })
  .strict();

/**
 * Ask the AI council a question about the lead and branch on the decision class of its answer
 * (`branches[].decision`), `default` for any other decision, `onError` / retries when it fails.
 */
const askCouncilStepSchema = z
  .object({
    ...base,
    type: z.literal('ask_council'),
    question: templateSchema,
    branches: z
      .array(z.object({ decision: z.string().min(1).max(64), next: stepIdSchema.optional() }).strict())
      .max(20),
    default: stepIdSchema.optional(),
    /** Stores the answer under `vars.<saveAs>`. */
    saveAs: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/)
      .optional(),
  })
  .strict();

/** Enrol the lead in an e-mail sequence (the sequence sends marketing e-mail: consent rules apply). */
const addToSequenceStepSchema = z
  .object({
    ...base,
    ...next,
    type: z.literal('add_to_sequence'),
    sequence: z.string().min(1).max(100),
  })
  .strict();

/**
 * Start another workflow (its `workflow` trigger) for the same lead. `version`: a pinned version
 * number or `latest` (the active version when started). `wait: true` continues here only when the
 * child run finished. The child is verified on its own when activated.
 */
const startWorkflowStepSchema = z
  .object({
    ...base,
    ...next,
    type: z.literal('start_workflow'),
    workflowId: z.string().min(1).max(100),
    version: z.union([z.number().int().min(1), z.literal('latest')]).optional(),
    wait: z.boolean().optional(),
  })
  .strict();

/**
 * A bounded loop: each time the run reaches this step it enters `body` again until `maxIterations`
 * entries (or, with `over`, until the array's items are used up), then continues at `next` (the
 * counter resets there). The body returns here by naming this step in a `next`. Every cycle of a
 * workflow must pass through a loop step.
 */
const loopStepSchema = z
  .object({
    ...base,
    ...next,
    type: z.literal('loop'),
    body: stepIdSchema,
    maxIterations: z.number().int().min(1).max(1000),
    over: fieldRefSchema.optional(),
  })
  .strict();

/**
 * A traffic split between variants (an experiment): each run takes one variant, drawn by weight.
 * The weights written here are the starting split; the optimiser may rebalance them toward the
 * variant whose leads succeed more (`metric`), within its policy's bounds, and the engine reads
 * the current weights through its `splits` port. The verifier follows every variant, so each must
 * be compliant on its own.
 */
const splitStepSchema = z
  .object({
    ...base,
    type: z.literal('split'),
    /** What a variant is judged on: the lead converting after going through it. */
    metric: z.enum(['conversion']).optional(),
    variants: z
      .array(
        z
          .object({
            name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'is not a variant name'),
            /** The first step of the variant (absent = the run ends). */
            next: stepIdSchema.optional(),
            /** Starting weight (relative; default equal). */
            weight: z.number().min(0).max(1000).optional(),
          })
          .strict(),
      )
      .min(2)
      .max(10)
      .refine((vs) => new Set(vs.map((v) => v.name)).size === vs.length, 'variant names must be unique')
      .refine((vs) => vs.some((v) => (v.weight ?? 1) > 0), 'at least one variant needs a positive weight'),
  })
  .strict();

/** Set run variables (`vars.<name>`) from templates. */
const setVarsStepSchema = z
  .object({
    ...base,
    ...next,
    type: z.literal('set_vars'),
    values: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), jsonTemplateSchema),
  })
  .strict();

/** Does nothing (a join point, an imported n8n NoOp / Merge). */
const noopStepSchema = z.object({ ...base, ...next, type: z.literal('noop') }).strict();

/**
 * A step Leadloop cannot run: an imported node with no mapping (an n8n Code or Function node, an
 * integration Leadloop lacks). It is kept so nothing is lost and exported back unchanged, is never
 * executed, and makes the verifier fail (an effect of unknown kind) until a person replaces it.
 */
const opaqueStepSchema = z
  .object({
    ...base,
    ...next,
    type: z.literal('opaque'),
    origin: z
      .object({
        system: z.literal('n8n'),
        nodeType: z.string().max(200),
        typeVersion: z.number().optional(),
        parameters: z.record(z.string(), z.unknown()).optional(),
      })
      .strict(),
    reason: z.string().max(500),
    /** Further outputs of the original node (n8n output index ≥ 1), in order. */
    outputs: z.array(stepIdSchema.nullable()).max(50).optional(),
  })
  .strict();

export const stepSchema = z.discriminatedUnion('type', [
  conditionStepSchema,
  switchStepSchema,
  splitStepSchema,
  waitStepSchema,
  sendEmailStepSchema,
  sendSmsStepSchema,
  httpRequestStepSchema,
  webhookStepSchema,
  chatMessageStepSchema,
  crmUpsertStepSchema,
  assignOwnerStepSchema,
  updateLeadStepSchema,
  askCouncilStepSchema,
  addToSequenceStepSchema,
  startWorkflowStepSchema,
  loopStepSchema,
  setVarsStepSchema,
  noopStepSchema,
  opaqueStepSchema,
]);

export type Step = z.infer<typeof stepSchema>;
export type StepType = Step['type'];
export type StepOf<T extends StepType> = Extract<Step, { type: T }>;

/**
 * What a step does to the world, for idempotency keys, rate limits and the verifier:
 * `email`, `sms`, `http`, `webhook`, `chat`, `crm`, `sequence` (enrols into marketing e-mail),
 * `ai` (council), `unknown` (opaque), or `null` for steps that only touch the run or the lead.
 */
export type EffectClass =
  | 'email'
  | 'sms'
  | 'http'
  | 'webhook'
  | 'chat'
  | 'crm'
  | 'sequence'
  | 'ai'
  | 'unknown';

export const EFFECT_CLASS: Record<StepType, EffectClass | null> = {
  condition: null,
  switch: null,
  split: null,
  wait: null,
  send_email: 'email',
  send_sms: 'sms',
  http_request: 'http',
  webhook: 'webhook',
  chat_message: 'chat',
  crm_upsert: 'crm',
  assign_owner: null,
  update_lead: null,
  ask_council: 'ai',
  add_to_sequence: 'sequence',
  start_workflow: null,
  loop: null,
  set_vars: null,
  noop: null,
  opaque: 'unknown',
};
