import { z } from 'zod';

/**
 * The purposes a person consents to (or objects to). Three need an opt-in (nothing is assumed),
 * `profiling` and `processing` rest on legitimate interest until the person objects or asks for
 * restriction, and `sale_or_share` is never assumed: Leadloop does not sell or share unless a
 * workspace records a grant, and an opt-out (CCPA, GPC) always wins over an earlier grant.
 */
export const PURPOSES = [
  'email_marketing',
  'phone',
  'sms',
  'profiling',
  'sale_or_share',
  'processing',
] as const;
export type Purpose = (typeof PURPOSES)[number];

export const DEFAULT_ALLOWED: Record<Purpose, boolean> = {
  email_marketing: false,
  phone: false,
  sms: false,
  profiling: true,
  sale_or_share: false,
  processing: true,
};

/** What the default rests on, shown beside a purpose with no ledger entry. */
export const DEFAULT_BASIS: Record<Purpose, string> = {
  email_marketing: 'no consent recorded',
  phone: 'no consent recorded',
  sms: 'no consent recorded',
  profiling: 'legitimate interest (GDPR Art. 6(1)(f)); the person may object',
  sale_or_share: 'never sold or shared without a recorded grant',
  processing: 'legitimate interest; restriction (Art. 18) withdraws it',
};

/** Purpose names the lead API accepted before the ledger existed, mapped onto the ledger's. */
const ALIASES: Record<string, Purpose> = {
  marketing: 'email_marketing',
  email: 'email_marketing',
  newsletter: 'email_marketing',
  sales_contact: 'phone',
  call: 'phone',
  calls: 'phone',
  text: 'sms',
  text_messages: 'sms',
  personalisation: 'profiling',
  personalization: 'profiling',
};

/** The ledger purpose for a submitted name: a known one, an alias, or the name itself (a workspace's own purpose). */
export function purposeOf(name: string): string {
  const key = name
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  if ((PURPOSES as readonly string[]).includes(key)) return key;
  return ALIASES[key] ?? key;
}

export const CONSENT_METHODS = [
  'form',
  'chat',
  'import',
  'api',
  'preference_page',
  'gpc',
  'objection',
  'suppression',
  'request',
  'checkbox',
  'verbal',
  'unsubscribe',
] as const;
export type ConsentMethod = (typeof CONSENT_METHODS)[number];

export const purposeSchema = z
  .string()
  .trim()
  .regex(
    /^[a-z][a-z0-9_]{1,63}$/,
    'must be a purpose name such as email_marketing, phone, sms, profiling, sale_or_share',
  )
  .describe('email_marketing, phone, sms, profiling, sale_or_share, processing, or a workspace purpose');

/** Direct-marketing purposes: an objection (Art. 21(3)) or a suppression withdraws them all. */
export const CONTACT_PURPOSES: readonly Purpose[] = ['email_marketing', 'phone', 'sms'];
