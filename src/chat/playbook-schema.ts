import { z } from 'zod';
import { err, LeadloopError, ok, type Result, toFieldIssues } from '../core/index.ts';
import { AUTHORITY_LEVELS, currencySchema } from './slot-values.ts';

/** Languages the engine's fixed phrases are written in. */
export const LANGUAGES = ['en', 'de', 'es', 'fr'] as const;
/** A language of the fixed phrases: `en`, `de`, `es`, `fr`. */
export type Language = (typeof LANGUAGES)[number];

/** End states of a conversation. */
export const OUTCOMES = ['qualified', 'nurture', 'disqualified'] as const;
/** How a conversation ends: `qualified`, `nurture` or `disqualified`. */
export type Outcome = (typeof OUTCOMES)[number];

const phrase = z.string().trim().min(1).max(600);
const variants = z.union([phrase, z.array(phrase).min(1).max(10)]);

/**
 * Text shown to the visitor: one string, several variants (one is picked per session, seeded by
 * its id), or either of those per language (`{ "en": "...", "de": ["...", "..."] }`).
 */
const localizedTextSchema = z.union([
  variants,
  z
    .partialRecord(z.enum(LANGUAGES), variants)
    .refine((value) => Object.keys(value).length > 0, 'needs at least one language'),
]);
/** Text in one language, several variants, or per language. */
export type LocalizedText = z.infer<typeof localizedTextSchema>;

const slotName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, 'must be snake_case: a lower-case letter then letters, digits or _');
const points = z.number().int().min(-100).max(100);
const amountTier = z.object({ atLeast: z.number().nonnegative(), points }).strict();
const dayTier = z.object({ withinDays: z.number().int().nonnegative(), points }).strict();
/** Points by tiers: of the tiers an answer meets, the best-scoring one counts (see scoring.ts). */
const tieredPoints = <Tier extends z.ZodType>(tier: Tier) =>
  z
    .object({ tiers: z.array(tier).max(10).default([]) })
    .strict()
    .default({ tiers: [] });
const bounds = z
  .object({ min: z.number().nonnegative().optional(), max: z.number().nonnegative().optional() })
  .strict();

const questionBase = {
  slot: slotName,
  prompt: localizedTextSchema,
  /** Said when the answer is missing or invalid; a generic re-ask per type is used otherwise. */
  reask: localizedTextSchema.optional(),
  /** How the slot is named in confirmations ("your budget"); the slot name otherwise. */
  label: localizedTextSchema.optional(),
  required: z.boolean().default(true),
  /** Words that tie a value in a message to this slot when several slots share a type. */
  keywords: z.array(z.string().trim().min(2).max(40)).max(30).default([]),
};

const moneyQuestion = z
  .object({
    ...questionBase,
    type: z.literal('money'),
    defaultCurrency: currencySchema.default('USD'),
    allowedCurrencies: z.array(currencySchema).min(1).max(30).optional(),
    validation: bounds.default({}),
    /** Tiers compare the top of the budget, converted to the playbook's scoring currency. */
    points: tieredPoints(amountTier),
  })
  .strict();

const timelineQuestion = z
  .object({
    ...questionBase,
    type: z.literal('timeline'),
    validation: z.object({ maxDaysAhead: z.number().int().positive().optional() }).strict().default({}),
    points: tieredPoints(dayTier),
  })
  .strict();

const roleQuestion = z
  .object({
    ...questionBase,
    type: z.literal('role'),
    /** `self`: the visitor's own role (BANT authority); `any`: whoever is named (MEDDIC economic buyer). */
    subject: z.enum(['self', 'any']).default('self'),
    points: z
      .object({ levels: z.partialRecord(z.enum(AUTHORITY_LEVELS), points).default({}) })
      .strict()
      .default({ levels: {} }),
  })
  .strict();

const companySizeQuestion = z
  .object({
    ...questionBase,
    type: z.literal('company_size'),
    validation: bounds.default({}),
    points: tieredPoints(amountTier),
  })
  .strict();

const enumOption = z
  .object({
    value: slotName,
    label: localizedTextSchema,
    synonyms: z.array(z.string().trim().min(1).max(60)).max(30).default([]),
  })
  .strict();

const enumQuestion = z
  .object({
    ...questionBase,
    type: z.literal('enum'),
    options: z.array(enumOption).min(2).max(20),
    points: z
      .object({ values: z.record(z.string(), points).default({}) })
      .strict()
      .default({ values: {} }),
  })
  .strict();

const presentPoints = z
  .object({ present: points.default(0) })
  .strict()
  .default({ present: 0 });

const emailQuestion = z.object({ ...questionBase, type: z.literal('email'), points: presentPoints }).strict();
const phoneQuestion = z.object({ ...questionBase, type: z.literal('phone'), points: presentPoints }).strict();

const textQuestion = z
  .object({
    ...questionBase,
    type: z.literal('text'),
    /** `need`: also pick the value out of any message by need and pain phrases ("we struggle with..."). */
    cue: z.enum(['need', 'none']).default('none'),
    validation: z
      .object({
        minWords: z.number().int().min(1).max(20).default(2),
        maxLength: z.number().int().min(10).max(300).default(200),
      })
      .strict()
      .default({ minWords: 2, maxLength: 200 }),
    points: presentPoints,
  })
  .strict();

/** One question of a playbook, discriminated by `type`. */
const questionSchema = z.discriminatedUnion('type', [
  moneyQuestion,
  timelineQuestion,
  roleQuestion,
  companySizeQuestion,
  enumQuestion,
  emailQuestion,
  phoneQuestion,
  textQuestion,
]);
/** A validated playbook question (defaults applied), one of the eight slot types. */
export type Question = z.output<typeof questionSchema>;
/** A question as written, before defaults. */
export type QuestionInput = z.input<typeof questionSchema>;

/**
 * A condition of a qualification rule. Money and company-size comparisons use the top of the
 * range (money converted to the scoring currency); `filled`/`missing` may name `email` and `phone`.
 */
export type Condition =
  | { minPoints: number }
  | { maxPoints: number }
  | { filled: string[] }
  | { missing: string[] }
  | { slot: string; in: string[] }
  | { slot: string; below: number }
  | { slot: string; atLeast: number }
  | { slot: string; withinDays: number }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.object({ minPoints: z.number() }).strict(),
    z.object({ maxPoints: z.number() }).strict(),
    z.object({ filled: z.array(slotName).min(1) }).strict(),
    z.object({ missing: z.array(slotName).min(1) }).strict(),
    z.object({ slot: slotName, in: z.array(z.string()).min(1) }).strict(),
    z.object({ slot: slotName, below: z.number() }).strict(),
    z.object({ slot: slotName, atLeast: z.number() }).strict(),
    z.object({ slot: slotName, withinDays: z.number().int().nonnegative() }).strict(),
    z.object({ all: z.array(conditionSchema).min(1) }).strict(),
    z.object({ any: z.array(conditionSchema).min(1) }).strict(),
    z.object({ not: conditionSchema }).strict(),
  ]),
);

const outcomeSchema = z.enum(OUTCOMES);

/** The zod schema of a playbook; `parsePlaybook` wraps it in a `Result`. */
export const playbookSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be a lower-case slug'),
    version: z.number().int().positive().default(1),
    name: z.string().trim().min(1).max(120),
    /** Language used when the session context names none. */
    language: z.enum(LANGUAGES).default('en'),
    questions: z.array(questionSchema).min(1).max(25),
    contact: z
      .object({ ask: z.enum(['email', 'email_or_phone', 'none']).default('email') })
      .strict()
      .default({ ask: 'email' }),
    consent: z
      .object({
        textVersion: z.string().trim().min(1).max(64),
        purposes: z.array(z.string().trim().min(1).max(64)).min(1).max(20),
        /** The question asked; `{email}` is replaced by the captured address. */
        text: localizedTextSchema,
      })
      .strict(),
    /** Rules are tried in order; the first whose condition holds decides the outcome. */
    outcomes: z
      .object({
        rules: z.array(z.object({ outcome: outcomeSchema, when: conditionSchema }).strict()).max(20),
        otherwise: outcomeSchema,
      })
      .strict(),
    meetingUrl: z.url({ protocol: /^https?$/ }).optional(),
    offerHuman: z.boolean().default(true),
    /** Unproductive answers to one question before the engine moves on. */
    maxAttempts: z.number().int().min(1).max(5).default(2),
    scoring: z
      .object({
        currency: currencySchema.default('USD'),
        /** Units of the scoring currency per unit of another; a built-in approximate table otherwise. */
        exchangeRates: z.record(currencySchema, z.number().positive()).optional(),
      })
      .strict()
      .default({ currency: 'USD' }),
  })
  .strict()
  .superRefine((playbook, ctx) => {
    const types = new Map<string, Question['type']>();
    playbook.questions.forEach((question, index) => {
      if (types.has(question.slot)) {
        ctx.addIssue({
          code: 'custom',
          path: ['questions', index, 'slot'],
          message: 'is used by an earlier question',
        });
      }
      types.set(question.slot, question.type);
      if (question.type === 'enum') {
        const values = new Set(question.options.map((option) => option.value));
        for (const key of Object.keys(question.points.values)) {
          if (!values.has(key)) {
            ctx.addIssue({
              code: 'custom',
              path: ['questions', index, 'points', 'values', key],
              message: 'is not an option',
            });
          }
        }
      }
    });
    const known = (slot: string) => types.has(slot) || slot === 'email' || slot === 'phone';
    const check = (condition: Condition, path: (string | number)[]): void => {
      if ('all' in condition || 'any' in condition) {
        const key = 'all' in condition ? 'all' : 'any';
        const list = 'all' in condition ? condition.all : condition.any;
        for (const [i, c] of list.entries()) check(c, [...path, key, i]);
      } else if ('not' in condition) check(condition.not, [...path, 'not']);
      else if ('filled' in condition || 'missing' in condition) {
        const slots = 'filled' in condition ? condition.filled : condition.missing;
        for (const slot of slots) {
          if (!known(slot)) ctx.addIssue({ code: 'custom', path, message: `names unknown slot "${slot}"` });
        }
      } else if ('slot' in condition) {
        const type = types.get(condition.slot);
        const wanted =
          'in' in condition
            ? ['enum', 'role']
            : 'withinDays' in condition
              ? ['timeline']
              : ['money', 'company_size'];
        if (type === undefined || !wanted.includes(type)) {
          ctx.addIssue({
            code: 'custom',
            path,
            message: `slot "${condition.slot}" must be a question of type ${wanted.join(' or ')}`,
          });
        }
      }
    };
    playbook.outcomes.rules.forEach((rule, index) => {
      check(rule.when, ['outcomes', 'rules', index, 'when']);
    });
  });

/** A playbook as written by a person or sent to the API (defaults not yet applied). */
export type PlaybookInput = z.input<typeof playbookSchema>;
/** A validated playbook with defaults applied; this is what session state embeds. */
export type Playbook = z.output<typeof playbookSchema>;

/**
 * Validates a custom playbook. Expected failures are values: `validation_failed` with one issue
 * per field, e.g. `playbook.questions.2.slot: is used by an earlier question`.
 */
export function parsePlaybook(input: unknown): Result<Playbook, LeadloopError> {
  const parsed = playbookSchema.safeParse(input);
  if (parsed.success) return ok(parsed.data);
  return err(
    new LeadloopError('validation_failed', 'the playbook is not valid', {
      issues: toFieldIssues(parsed.error, 'playbook'),
    }),
  );
}
