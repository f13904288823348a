import { z } from 'zod';
import { assertNever } from '../core/index.ts';

import { AUTHORITY_LEVELS, type AuthorityLevel, BUDGET_PERIODS } from '../leads/index.ts';

// The `authority` slot holds the kernel's decision-making levels (shared with the council).
export { AUTHORITY_LEVELS, type AuthorityLevel };

/** The kinds of answer a playbook question can expect. */
export const SLOT_TYPES = [
  'money',
  'timeline',
  'role',
  'company_size',
  'enum',
  'email',
  'phone',
  'text',
] as const;
/** A kind of answer: `money`, `timeline`, `role`, `company_size`, `enum`, `email`, `phone`, `text`. */
export type SlotType = (typeof SLOT_TYPES)[number];

export const currencySchema = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code such as USD');

/**
 * A budget as stated for its period: `min = max` for a single amount; "500 euros a month" is
 * `{ min: 500, max: 500, currency: 'EUR', period: 'month' }`. `unit: 'seat'` marks a price per seat
 * or user ("$30 per seat a month"). Values stored before periods existed have no `period` and hold
 * annualised amounts; `annualised` in the lead kernel reads both.
 */
export const moneyValueSchema = z
  .object({
    min: z.number().finite().nonnegative(),
    max: z.number().finite().nonnegative(),
    currency: currencySchema,
    period: z.enum(BUDGET_PERIODS).optional(),
    unit: z.literal('seat').optional(),
  })
  .strict()
  .refine((value) => value.min <= value.max, 'min must not exceed max');
/** A budget value. */
export type MoneyValue = z.infer<typeof moneyValueSchema>;

/** A deadline resolved against the session clock: the latest date the visitor's words allow. */
export const timelineValueSchema = z.object({ byDate: z.iso.date() }).strict();
/** A deadline value. */
export type TimelineValue = z.infer<typeof timelineValueSchema>;

export const authorityValueSchema = z.enum(AUTHORITY_LEVELS);

/** Head count of the visitor's company; `min = max` for a single figure. */
export const companySizeValueSchema = z
  .object({ min: z.number().int().positive(), max: z.number().int().positive() })
  .strict()
  .refine((value) => value.min <= value.max, 'min must not exceed max');
/** A head count or head-count range. */
export type CompanySizeValue = z.infer<typeof companySizeValueSchema>;

export const emailValueSchema = z.email().max(254);
/** E.164 when a country code was given (`+4930123456`), otherwise the digits as typed. */
export const phoneValueSchema = z.string().regex(/^\+?[0-9]{6,15}$/, 'must be 6 to 15 digits');
export const textValueSchema = z.string().trim().min(1).max(300);

/** Any value a slot can hold once filled. Plain JSON, so session state stores as is. */
export type SlotValue = MoneyValue | TimelineValue | AuthorityLevel | CompanySizeValue | string;

/** Slots as extracted from one message: slot name to value. */
export type SlotValues = Record<string, SlotValue>;

/** The zod schema a value of one slot type must satisfy (enum options are checked by the playbook). */
export function slotValueSchema(type: SlotType): z.ZodType<SlotValue> {
  switch (type) {
    case 'money':
      return moneyValueSchema;
    case 'timeline':
      return timelineValueSchema;
    case 'role':
      return authorityValueSchema;
    case 'company_size':
      return companySizeValueSchema;
    case 'email':
      return emailValueSchema;
    case 'phone':
      return phoneValueSchema;
    case 'enum':
    case 'text':
      return textValueSchema;
    default:
      return assertNever(type, 'slot type');
  }
}

export function isMoney(value: SlotValue | undefined): value is MoneyValue {
  return typeof value === 'object' && value !== null && 'currency' in value;
}

export function isTimeline(value: SlotValue | undefined): value is TimelineValue {
  return typeof value === 'object' && value !== null && 'byDate' in value;
}

export function isCompanySize(value: SlotValue | undefined): value is CompanySizeValue {
  return typeof value === 'object' && value !== null && 'min' in value && !('currency' in value);
}

/** Structural equality of two slot values (they are small plain objects or strings). */
export function sameSlotValue(a: SlotValue | undefined, b: SlotValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return JSON.stringify(a) === JSON.stringify(b);
}
