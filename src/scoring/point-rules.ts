import { z } from 'zod';
import { assertNever } from '../core/index.ts';
import type { ScorableLead, ScoreLine, ScoreResult } from '../leads/index.ts';

/**
 * Mautic-style point rules: conditions on lead fields add or remove points. They are the
 * cold-start scorer, used until a workspace has enough outcomes for a predictive model.
 */

const fieldPath = z
  .string()
  .regex(
    /^(email|emailDomain|freeEmail|businessEmail|phone|name|company|companyDomain|title|country|source|utm\.(source|medium|campaign|term|content)|consent\.purposes|attributes\.[A-Za-z0-9_.-]{1,100})$/,
    'is not a lead field (email, emailDomain, freeEmail, businessEmail, phone, name, company, companyDomain, title, country, source, utm.<key>, consent.purposes, attributes.<key>)',
  );

const scalar = z.union([z.string().max(500), z.number().finite(), z.boolean()]);

export type Condition =
  | { field: string; op: 'exists' | 'missing' }
  | { field: string; op: 'eq' | 'neq'; value: string | number | boolean }
  | { field: string; op: 'in' | 'notIn'; values: (string | number)[] }
  | { field: string; op: 'contains' | 'startsWith' | 'endsWith'; value: string }
  | { field: string; op: 'matches'; pattern: string }
  | { field: string; op: 'gt' | 'gte' | 'lt' | 'lte'; value: number }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

function isValidPattern(pattern: string): boolean {
  try {
    new RegExp(pattern, 'i');
    return true;
  } catch {
    return false;
  }
}

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.object({ field: fieldPath, op: z.enum(['exists', 'missing']) }).strict(),
    z.object({ field: fieldPath, op: z.enum(['eq', 'neq']), value: scalar }).strict(),
    z
      .object({
        field: fieldPath,
        op: z.enum(['in', 'notIn']),
        values: z
          .array(z.union([z.string().max(500), z.number().finite()]))
          .min(1)
          .max(200),
      })
      .strict(),
    z
      .object({
        field: fieldPath,
        op: z.enum(['contains', 'startsWith', 'endsWith']),
        value: z.string().min(1).max(500),
      })
      .strict(),
    z
      .object({
        field: fieldPath,
        op: z.literal('matches'),
        pattern: z.string().min(1).max(200).refine(isValidPattern, 'is not a valid regular expression'),
      })
      .strict(),
    z
      .object({ field: fieldPath, op: z.enum(['gt', 'gte', 'lt', 'lte']), value: z.number().finite() })
      .strict(),
    z.object({ all: z.array(conditionSchema).min(1).max(20) }).strict(),
    z.object({ any: z.array(conditionSchema).min(1).max(20) }).strict(),
    z.object({ not: conditionSchema }).strict(),
  ]),
);

export const pointRuleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be lower-case letters, digits and dashes'),
    description: z.string().min(1).max(200),
    when: conditionSchema,
    points: z.number().int().min(-1000).max(1000),
  })
  .strict();

export type PointRule = z.infer<typeof pointRuleSchema>;

export const ruleSetSchema = z
  .object({
    rules: z
      .array(pointRuleSchema)
      .max(200)
      .refine((rules) => new Set(rules.map((r) => r.id)).size === rules.length, 'rule ids must be unique'),
    threshold: z.number().int().min(0).max(100_000).describe('A lead whose score reaches this is qualified.'),
  })
  .strict();

export type RuleSet = z.infer<typeof ruleSetSchema>;

type Value = string | number | boolean | string[] | null;

function read(lead: ScorableLead, field: string): Value {
  if (field.startsWith('utm.')) return lead.utm[field.slice(4)] ?? null;
  if (field.startsWith('attributes.')) return lead.attributes[field.slice(11)] ?? null;
  switch (field) {
    case 'emailDomain':
      return lead.email ? (lead.email.split('@')[1] ?? null) : null;
    case 'freeEmail':
      return lead.email ? lead.freeEmail : null;
    case 'businessEmail':
      return lead.email ? !lead.freeEmail : null;
    case 'consent.purposes':
      return lead.consentPurposes.length > 0 ? lead.consentPurposes : null;
    case 'email':
    case 'phone':
    case 'name':
    case 'company':
    case 'companyDomain':
    case 'title':
    case 'country':
    case 'source':
      return lead[field];
    default:
      return null;
  }
}

const lower = (v: string | number | boolean) => String(v).toLowerCase();

function matches(condition: Condition, lead: ScorableLead, patterns: Map<string, RegExp>): boolean {
  if ('all' in condition) return condition.all.every((c) => matches(c, lead, patterns));
  if ('any' in condition) return condition.any.some((c) => matches(c, lead, patterns));
  if ('not' in condition) return !matches(condition.not, lead, patterns);
  const value = read(lead, condition.field);
  const present = value !== null && value !== '';
  const values = Array.isArray(value) ? value : present ? [value as string | number | boolean] : [];
  switch (condition.op) {
    case 'exists':
      return present;
    case 'missing':
      return !present;
    case 'eq':
      return values.some((v) => lower(v) === lower(condition.value));
    case 'neq':
      return !values.some((v) => lower(v) === lower(condition.value));
    case 'in':
      return values.some((v) => condition.values.some((c) => lower(c) === lower(v)));
    case 'notIn':
      return !values.some((v) => condition.values.some((c) => lower(c) === lower(v)));
    case 'contains':
      return values.some((v) => lower(v).includes(condition.value.toLowerCase()));
    case 'startsWith':
      return values.some((v) => lower(v).startsWith(condition.value.toLowerCase()));
    case 'endsWith':
      return values.some((v) => lower(v).endsWith(condition.value.toLowerCase()));
    case 'matches': {
      let re = patterns.get(condition.pattern);
      if (!re) {
        re = new RegExp(condition.pattern, 'i');
        patterns.set(condition.pattern, re);
      }
      const regex = re;
      return values.some((v) => regex.test(String(v).slice(0, 1000)));
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const n =
        typeof value === 'number'
          ? value
          : typeof value === 'string' && value.trim() !== ''
            ? Number(value)
            : Number.NaN;
      if (!Number.isFinite(n)) return false;
      if (condition.op === 'gt') return n > condition.value;
      if (condition.op === 'gte') return n >= condition.value;
      if (condition.op === 'lt') return n < condition.value;
      return n <= condition.value;
    }
    default: {
      return assertNever(condition, 'condition');
    }
  }
}

/** Applies every rule; the score is the sum of matched rules' points, never below zero. */
export function scoreLead(lead: ScorableLead, ruleSet: RuleSet): ScoreResult {
  const patterns = new Map<string, RegExp>();
  const breakdown: ScoreLine[] = [];
  for (const rule of ruleSet.rules) {
    if (matches(rule.when, lead, patterns))
      breakdown.push({ ruleId: rule.id, description: rule.description, points: rule.points });
  }
  const score = Math.max(
    0,
    breakdown.reduce((sum, line) => sum + line.points, 0),
  );
  return { score, breakdown, qualified: score >= ruleSet.threshold, threshold: ruleSet.threshold };
}

/** A starting rule set for B2B: fit (role, company, business email) and intent (source). */
export const DEFAULT_RULE_SET: RuleSet = {
  threshold: 50,
  rules: [
    {
      id: 'business-email',
      description: 'Uses a business email address',
      when: { field: 'businessEmail', op: 'eq', value: true },
      points: 15,
    },
    {
      id: 'free-email',
      description: 'Uses a free email provider',
      when: { field: 'freeEmail', op: 'eq', value: true },
      points: -10,
    },
    {
      id: 'executive',
      description: 'Executive or founder',
      when: {
        field: 'title',
        op: 'matches',
        pattern:
          '\\b(ceo|cto|cfo|coo|cmo|cio|cro|chief|founder|co-founder|owner|president|vp|vice president|head of)\\b',
      },
      points: 25,
    },
    {
      id: 'director',
      description: 'Director level',
      when: { field: 'title', op: 'matches', pattern: '\\bdirector\\b' },
      points: 15,
    },
    {
      id: 'manager',
      description: 'Manager or team lead',
      when: { field: 'title', op: 'matches', pattern: '\\b(manager|team lead|lead)\\b' },
      points: 8,
    },
    {
      id: 'not-a-buyer',
      description: 'Student, intern or job seeker',
      when: { field: 'title', op: 'matches', pattern: '\\b(student|intern|job seeker|unemployed)\\b' },
      points: -25,
    },
    { id: 'has-company', description: 'Company given', when: { field: 'company', op: 'exists' }, points: 5 },
    { id: 'has-phone', description: 'Phone number given', when: { field: 'phone', op: 'exists' }, points: 5 },
    {
      id: 'mid-size-company',
      description: 'Company of 50 or more employees',
      when: { field: 'attributes.employees', op: 'gte', value: 50 },
      points: 10,
    },
    {
      id: 'large-company',
      description: 'Company of 1,000 or more employees',
      when: { field: 'attributes.employees', op: 'gte', value: 1000 },
      points: 10,
    },
    {
      id: 'high-intent-source',
      description: 'Asked for a demo, pricing or sales contact',
      when: { field: 'source', op: 'in', values: ['demo-request', 'contact-sales', 'pricing', 'trial'] },
      points: 25,
    },
    {
      id: 'referral',
      description: 'Came through a referral',
      when: {
        any: [
          { field: 'source', op: 'eq', value: 'referral' },
          { field: 'utm.medium', op: 'eq', value: 'referral' },
        ],
      },
      points: 10,
    },
    {
      id: 'sales-consent',
      description: 'Agreed to be contacted by sales',
      when: { field: 'consent.purposes', op: 'in', values: ['sales_contact', 'sales'] },
      points: 5,
    },
  ],
};
