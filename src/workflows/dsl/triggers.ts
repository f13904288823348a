import { z } from 'zod';
import { predicateSchema } from './predicate.ts';

/** A step id: stable, referenced by `next` and branches, never a display name. */
const STEP_ID_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
export const stepIdSchema = z
  .string()
  .regex(STEP_ID_PATTERN, 'is not a step id (a letter, then up to 63 letters, digits, _ or -)');

/** IANA time zone, checked against the runtime's time-zone database. */
export const timeZoneSchema = z
  .string()
  .min(1)
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'is not an IANA time zone (e.g. Europe/Berlin)');

const CRON_FIELD =
  /^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?)*$/;
/** Five-field cron (minute hour day-of-month month day-of-week), optionally six with seconds first. */
const cronSchema = z
  .string()
  .trim()
  .refine((expr) => {
    const fields = expr.split(/\s+/);
    return (fields.length === 5 || fields.length === 6) && fields.every((f) => CRON_FIELD.test(f));
  }, 'is not a 5- or 6-field cron expression (e.g. "0 9 * * 1-5")');

const triggerBase = {
  /** Only events whose run context satisfies this predicate start a run (e.g. `lead.country in [US, CA]`). */
  filter: predicateSchema.optional(),
  /** Where runs of this trigger begin; default: the workflow's `start`. */
  start: stepIdSchema.optional(),
};

/**
 * What starts a run. Event triggers start one run per event for the event's lead. `schedule` runs
 * on a cron in an IANA time zone; with `forEachLead` it starts one run per matching lead (a batch,
 * at most `limit`), otherwise one run without a lead. `webhook` is the workflow's own inbound
 * endpoint (the engine assigns its URL and secret); its body is `trigger.body`. `manual` runs start
 * from the API or CLI, and `workflow` runs are started by another workflow's `start_workflow`.
 */
export const triggerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('lead.created'), ...triggerBase }).strict(),
  z.object({ type: z.literal('lead.qualified'), ...triggerBase }).strict(),
  z
    .object({
      type: z.literal('score.crossed'),
      /** Fires when the score moves across this value in `direction` (default up). */
      threshold: z.number().min(0).max(100),
      direction: z.enum(['up', 'down']).optional(),
      ...triggerBase,
    })
    .strict(),
  z.object({ type: z.literal('chat.ended'), ...triggerBase }).strict(),
  z
    .object({
      type: z.literal('outcome.recorded'),
      /** Only these outcomes (e.g. `won`, `lost`, `meeting_booked`); default: any. */
      outcomes: z.array(z.string().min(1).max(64)).max(20).optional(),
      ...triggerBase,
    })
    .strict(),
  z
    .object({
      type: z.literal('council.decided'),
      /** Only decisions of these classes; default: any. */
      decisions: z.array(z.string().min(1).max(64)).max(20).optional(),
      ...triggerBase,
    })
    .strict(),
  z
    .object({
      type: z.literal('schedule'),
      cron: cronSchema,
      timezone: timeZoneSchema,
      forEachLead: z
        .object({ where: predicateSchema.optional(), limit: z.number().int().min(1).max(100_000) })
        .strict()
        .optional(),
      ...triggerBase,
    })
    .strict(),
  z
    .object({
      type: z.literal('webhook'),
      /** Path segment of the inbound endpoint, unique per workspace; default: the workflow id. */
      path: z
        .string()
        .regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
        .optional(),
      ...triggerBase,
    })
    .strict(),
  z.object({ type: z.literal('manual'), ...triggerBase }).strict(),
  z.object({ type: z.literal('workflow'), ...triggerBase }).strict(),
]);
export type Trigger = z.infer<typeof triggerSchema>;
