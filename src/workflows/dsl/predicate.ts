import { z } from 'zod';

/**
 * Conditions of the workflow DSL: a pure, typed predicate language (no JavaScript, no code
 * execution). A predicate is a field comparison, a consent / privacy check, or a combination
 * (`all`, `any`, `not`). The verifier reads predicates to decide which branch of a condition is a
 * consent guard, so consent checks are their own predicate kinds instead of field comparisons.
 */

/** Lead fields a predicate or an update may name (after `lead.`). `region` and `segment` are derived. */
const LEAD_FIELDS = [
  'id',
  'email',
  'emailDomain',
  'phone',
  'name',
  'company',
  'companyDomain',
  'title',
  'country',
  'region',
  'segment',
  'source',
  'status',
  'score',
  'tags',
  'owner',
  'createdAt',
  'updatedAt',
] as const;

const SEGMENT = '[A-Za-z0-9_-]{1,64}';

/**
 * A reference to a value the run knows:
 * - `lead.<field>` (see {@link LEAD_FIELDS}), `lead.utm.<key>`, `lead.attributes.<key>`;
 * - `trigger.<path>`: the trigger's event data (`trigger.score`, `trigger.outcome`, `trigger.body.x` for webhooks);
 * - `vars.<path>`: values set by `set_vars` steps and by steps' `saveAs`;
 * - `steps.<stepId>.<path>`: a finished step's (truncated) output;
 * - `loop.<loopStepId>.index` / `loop.<loopStepId>.item`: the current iteration of a loop.
 */
export const FIELD_REF_PATTERN = new RegExp(
  `^(lead\\.(${LEAD_FIELDS.join('|')})|lead\\.(utm|attributes)\\.${SEGMENT}|(trigger|vars)(\\.${SEGMENT}){1,6}|steps\\.${SEGMENT}(\\.${SEGMENT}){1,6}|loop\\.${SEGMENT}\\.(index|item)(\\.${SEGMENT}){0,4})$`,
);

export const fieldRefSchema = z
  .string()
  .regex(
    FIELD_REF_PATTERN,
    'is not a field reference (lead.<field>, lead.attributes.<key>, trigger.<path>, vars.<path>, steps.<id>.<path>, loop.<id>.index)',
  )
  .describe('A field reference such as lead.score, lead.attributes.industry or trigger.outcome');

/** A JSON scalar used as a comparison value. */
export const scalarSchema = z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]);
export type Scalar = z.infer<typeof scalarSchema>;

const COMPARISON_OPERATORS = [
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'in',
  'not_in',
  'contains',
  'not_contains',
  'starts_with',
  'ends_with',
  'exists',
  'not_exists',
] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

/**
 * `{ field, op, value }`. `in` / `not_in` take an array; `exists` / `not_exists` take no value;
 * `contains` works on strings (substring, case-insensitive) and arrays (`lead.tags`). Comparisons of
 * strings are case-insensitive; country codes are ISO 3166-1 alpha-2.
 */
const comparisonSchema = z
  .object({
    field: fieldRefSchema,
    op: z.enum(COMPARISON_OPERATORS),
    value: z.union([scalarSchema, z.array(scalarSchema).max(500)]).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const isList = Array.isArray(c.value);
    if ((c.op === 'in' || c.op === 'not_in') && !isList) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `operator ${c.op} needs an array value` });
    } else if (c.op === 'exists' || c.op === 'not_exists') {
      if (c.value !== undefined)
        ctx.addIssue({ code: 'custom', path: ['value'], message: `operator ${c.op} takes no value` });
    } else if (c.op !== 'in' && c.op !== 'not_in' && (c.value === undefined || isList)) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `operator ${c.op} needs a single value` });
    }
  });
export type Comparison = z.infer<typeof comparisonSchema>;

/**
 * True when the lead holds a granted, not withdrawn consent for one of `purposes` (the purposes the
 * workspace's consent texts use, e.g. `email_marketing`, `product_updates`, `sms`). `written: true`
 * demands prior express written consent (TCPA), i.e. a consent record captured with a signature or
 * checkbox method, not an inferred one. The engine re-checks this at action time.
 */
const consentCheckSchema = z
  .object({
    consent: z
      .object({
        purposes: z.array(z.string().trim().min(1).max(64)).min(1).max(20),
        written: z.boolean().optional(),
      })
      .strict(),
  })
  .strict();
type ConsentCheck = z.infer<typeof consentCheckSchema>;

/**
 * Privacy state checks that are not consents:
 * - `sale_share_allowed`: the person has not opted out of sale/sharing and sent no Global Privacy Control signal (CCPA/CPRA);
 * - `not_unsubscribed`: the address is not on the workspace's unsubscribe/suppression list (CAN-SPAM opt-out).
 */
const PRIVACY_CHECKS = ['sale_share_allowed', 'not_unsubscribed'] as const;
const privacyCheckSchema = z.object({ privacy: z.enum(PRIVACY_CHECKS) }).strict();
type PrivacyCheck = z.infer<typeof privacyCheckSchema>;

/** A predicate: a comparison, a consent or privacy check, or `all` / `any` / `not` of predicates (depth ≤ 8 in practice). */
export type Predicate =
  | Comparison
  | ConsentCheck
  | PrivacyCheck
  | { all: Predicate[] }
  | { any: Predicate[] }
  | { not: Predicate };

export const predicateSchema: z.ZodType<Predicate> = z.lazy(() =>
  z.union([
    comparisonSchema,
    consentCheckSchema,
    privacyCheckSchema,
    z.object({ all: z.array(predicateSchema).min(1).max(50) }).strict(),
    z.object({ any: z.array(predicateSchema).min(1).max(50) }).strict(),
    z.object({ not: predicateSchema }).strict(),
  ]),
);

/** Which kind a predicate is, for exhaustive handling. */
export type PredicateKind = 'comparison' | 'consent' | 'privacy' | 'all' | 'any' | 'not';

export function predicateKind(p: Predicate): PredicateKind {
  if ('field' in p) return 'comparison';
  if ('consent' in p) return 'consent';
  if ('privacy' in p) return 'privacy';
  if ('all' in p) return 'all';
  if ('any' in p) return 'any';
  return 'not';
}
