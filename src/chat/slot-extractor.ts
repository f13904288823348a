import { z } from 'zod';
import { LeadloopError } from '../core/index.ts';
import type { Language } from './playbook-schema.ts';
import {
  emailValueSchema,
  phoneValueSchema,
  type SlotType,
  type SlotValue,
  type SlotValues,
  slotValueSchema,
} from './slot-values.ts';

/** What an extractor needs to know about one slot of the playbook. */
export interface ExtractionField {
  slot: string;
  type: SlotType;
  /** Words that tie a value to this slot when several slots share a type. */
  keywords: readonly string[];
  /** Role questions: the visitor's own role (`self`) or whoever is named (`any`). */
  subject?: 'self' | 'any';
  /** Text questions: `need` also reads need and pain phrases out of any message. */
  cue?: 'need' | 'none';
  minWords?: number;
  /** Money questions: the currency of an amount written without one. */
  defaultCurrency?: string;
  /** Enum questions: each option's value and the words that select it (labels, synonyms). */
  options?: readonly { value: string; words: readonly string[] }[];
}

/** The situation a message is read in. */
export interface ExtractionContext {
  fields: readonly ExtractionField[];
  /** The slot the visitor was just asked about, if any: bare answers ("50", "CTO") go there. */
  expecting: string | null;
  /** Contact details were just asked for: a short capitalised answer beside the address is a name. */
  contactPending?: boolean;
  /** Session clock (ms since epoch) that relative dates resolve against. */
  now: number;
  language: Language;
  /** BCP 47 locale of the visitor when known (`en-US` reads 03/04 as March 4). */
  locale?: string;
  /** Slots already filled; a correction without a currency keeps the earlier one. */
  filled: Readonly<SlotValues>;
}

/** What one message says. */
export interface Extraction {
  /** Slot name to value, each valid for its slot's schema. */
  slots: SlotValues;
  /** Slots whose value the message ties to them explicitly ("our budget is..."). */
  anchored: string[];
  /** The message corrects an earlier answer ("actually", "sorry, I meant"). */
  correction: boolean;
  /** Contact details; `name` and `company` when the visitor states them ("I'm Jane from Acme"). */
  contact: { email?: string; phone?: string; name?: string; company?: string };
  /** The visitor tried to give an email address that is not one. */
  malformedEmail: boolean;
}

/**
 * The port the dialog engine reads messages through. The offline extractor is the default; a
 * model-backed one (structured output) is wrapped in {@link createFallbackExtractor}.
 */
export interface SlotExtractor {
  readonly name: string;
  extract(text: string, context: ExtractionContext, signal?: AbortSignal): Promise<Extraction>;
}

function fieldSchema(field: ExtractionField): z.ZodType<SlotValue> {
  if (field.type === 'enum' && field.options !== undefined && field.options.length > 0) {
    const values = field.options.map((option) => option.value);
    return z.string().refine((value) => values.includes(value), 'is not one of the options');
  }
  return slotValueSchema(field.type);
}

/**
 * The zod schema a model's structured output must satisfy for this context: one optional
 * property per slot with that slot's value schema. Give it to the model as the output schema.
 */
export function extractionSchema(context: ExtractionContext) {
  const shape: Record<string, z.ZodOptional<z.ZodType<SlotValue>>> = {};
  for (const field of context.fields) shape[field.slot] = fieldSchema(field).optional();
  return z
    .object({
      slots: z.object(shape).strict(),
      anchored: z.array(z.string()).default([]),
      correction: z.boolean().default(false),
      contact: z
        .object({ email: emailValueSchema.optional(), phone: phoneValueSchema.optional() })
        .strict()
        .default({}),
      malformedEmail: z.boolean().default(false),
    })
    .strict();
}

/** Why the fallback extractor used its fallback. */
export type FallbackReason = 'timeout' | 'error' | 'invalid_output';

/** The model extractor, the fallback and the time limit. */
export interface FallbackExtractorOptions {
  primary: SlotExtractor;
  fallback: SlotExtractor;
  /** Milliseconds the primary may take (default 2,500). */
  timeoutMs?: number;
  /** Told each time the fallback answers instead, for metrics and logs. */
  onFallback?: (reason: FallbackReason, cause: unknown) => void;
}

/**
 * Tries the primary extractor (a model) and validates its output with the slot schemas; on an
 * error, a timeout or invalid output it answers with the fallback (the offline extractor). An
 * abort of the caller's signal is not a failure: it propagates.
 */
export function createFallbackExtractor(options: FallbackExtractorOptions): SlotExtractor {
  const timeoutMs = options.timeoutMs ?? 2_500;
  return {
    name: `${options.primary.name}+${options.fallback.name}`,
    async extract(text, context, signal) {
      signal?.throwIfAborted();
      const controller = new AbortController();
      const onAbort = () => controller.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const error = new LeadloopError('unavailable', `slot extraction took longer than ${timeoutMs} ms`, {
            retryable: true,
          });
          controller.abort(error);
          reject(error);
        }, timeoutMs);
      });
      let reason: FallbackReason;
      let cause: unknown;
      try {
        const raw = await Promise.race([options.primary.extract(text, context, controller.signal), timedOut]);
        const parsed = extractionSchema(context).safeParse(raw);
        if (parsed.success) {
          const slots: SlotValues = {};
          for (const [slot, value] of Object.entries(parsed.data.slots))
            if (value !== undefined) slots[slot] = value;
          return { ...parsed.data, slots };
        }
        reason = 'invalid_output';
        cause = parsed.error;
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        reason = controller.signal.aborted ? 'timeout' : 'error';
        cause = error;
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      }
      options.onFallback?.(reason, cause);
      return options.fallback.extract(text, context, signal);
    },
  };
}
