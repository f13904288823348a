import { z } from 'zod';
import { fieldRefSchema, predicateSchema, scalarSchema } from './predicate.ts';
import { base, jsonTemplateSchema, next, templateSchema, varNameSchema } from './step-kit.ts';
import { stepIdSchema, timeZoneSchema } from './triggers.ts';

/** Steps that steer the run or shape its data: branches, waits, loops, splits, variables, no-ops. */

export const conditionStepSchema = z
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

export const switchStepSchema = z
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

export const waitStepSchema = z
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
 * A bounded loop: each time the run reaches this step it enters `body` again until `maxIterations`
 * entries (or, with `over`, until the array's items are used up), then continues at `next` (the
 * counter resets there). The body returns here by naming this step in a `next`. Every cycle of a
 * workflow must pass through a loop step.
 */
export const loopStepSchema = z
  .object({
    ...base,
    ...next,
    type: z.literal('loop'),
    body: stepIdSchema,
    maxIterations: z.number().int().min(1).max(1000),
    over: fieldRefSchema.optional(),
    /** With `over`: each entry also sets `vars.<as>` to the current item. */
    as: varNameSchema.optional(),
    /**
     * With `over`: an item that is an object sets its own fields as run variables (`vars.<field>`),
     * as n8n's Split Out makes each element the current item; any other item goes to `vars.<as>`.
     */
    spread: z.boolean().optional(),
  })
  .strict();

/**
 * A traffic split between variants (an experiment): each run takes one variant, drawn by weight.
 * The weights written here are the starting split; the optimiser may rebalance them toward the
 * variant whose leads succeed more (`metric`), within its policy's bounds, and the engine reads
 * the current weights through its `splits` port. The verifier follows every variant, so each must
 * be compliant on its own.
 */
export const splitStepSchema = z
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
export const setVarsStepSchema = z
  .object({
    ...base,
    ...next,
    type: z.literal('set_vars'),
    values: z.record(varNameSchema, jsonTemplateSchema),
  })
  .strict();

/**
 * Appends values to lists in run variables: each `append` entry (`vars.<name>` → a field
 * reference) adds the reference's current value to the list `vars.<name>`. Placed at the end of a
 * loop body it gathers one value per item (n8n's Aggregate after Split Out). With `loop`, the list
 * starts afresh on that loop's first item, so a loop entered again does not keep the last pass.
 */
export const collectStepSchema = z
  .object({
    ...base,
    ...next,
    type: z.literal('collect'),
    append: z.record(varNameSchema, fieldRefSchema).refine((a) => Object.keys(a).length > 0, 'names no list'),
    loop: stepIdSchema.optional(),
    /** Longest list kept (later values are dropped); default 1,000. */
    maxItems: z.number().int().min(1).max(10_000).optional(),
  })
  .strict();

/**
 * Renders a template into `vars.<saveAs>` and converts its markup: `text` (as written), `html`
 * (values HTML-escaped), `markdown_to_html`, `html_to_markdown`, `html_to_text`. No code runs:
 * the template is logic-less and the converters only rewrite markup.
 */
export const renderStepSchema = z
  .object({
    ...base,
    ...next,
    type: z.literal('render'),
    format: z.enum(['text', 'html', 'markdown_to_html', 'html_to_markdown', 'html_to_text']),
    template: templateSchema,
    saveAs: varNameSchema,
  })
  .strict();

/**
 * Extracts values from HTML by CSS selector into run variables (`vars.<key>`), as n8n's HTML
 * node does: `value` is the element's `text`, inner `html`, an `attribute`, or a form field's
 * `value`; `all` keeps every match as a list (else the first match, or null). `skip` removes
 * matching descendants before the text is taken. No code runs: the HTML is parsed, never executed.
 */
export const htmlExtractStepSchema = z
  .object({
    ...base,
    ...next,
    type: z.literal('html_extract'),
    /** Where the HTML is: a field reference (`steps.fetch.response`, `vars.page`, `trigger.body.html`). */
    source: fieldRefSchema,
    extract: z
      .array(
        z
          .object({
            key: varNameSchema,
            selector: z.string().min(1).max(500),
            value: z.enum(['text', 'html', 'attribute', 'value']),
            attribute: z.string().min(1).max(100).optional(),
            all: z.boolean().optional(),
            skip: z.string().min(1).max(500).optional(),
          })
          .strict()
          .refine((e) => e.value !== 'attribute' || e.attribute !== undefined, 'attribute needs its name'),
      )
      .min(1)
      .max(50),
    /** Trim leading and trailing white space of each value (default true). */
    trim: z.boolean().optional(),
    /** Collapse runs of white space and line breaks in text to one space. */
    cleanUpText: z.boolean().optional(),
  })
  .strict();

/** Does nothing (a join point, an imported n8n NoOp / Merge). */
export const noopStepSchema = z.object({ ...base, ...next, type: z.literal('noop') }).strict();

/**
 * A step Leadloop cannot run: an imported node with no mapping (an n8n Code or Function node, an
 * integration Leadloop lacks). It is kept so nothing is lost and exported back unchanged, is never
 * executed, and makes the verifier fail (an effect of unknown kind) until a person replaces it.
 */
export const opaqueStepSchema = z
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
