import freeEmailDomains from 'email-providers/common.json' with { type: 'json' };
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { z } from 'zod';
import type { FieldIssue, Result } from '../core/index.ts';
import { err, ok } from '../core/index.ts';
import type { NormalisedLead } from './lead.ts';
import type { LeadInput } from './lead-schema.ts';

const FREE_DOMAINS = new Set<string>([
  ...freeEmailDomains,
  'googlemail.com',
  'hey.com',
  'pm.me',
  'tutanota.com',
  'fastmail.com',
]);
const emailSchema = z.email();

function isFreeEmailDomain(domain: string): boolean {
  return FREE_DOMAINS.has(domain.toLowerCase());
}

/** Whether an email address is at a free-mail provider (false without an email). */
export function isFreeEmail(email: string | null): boolean {
  const domain = email?.split('@')[1];
  return domain ? isFreeEmailDomain(domain) : false;
}

/** Lower-cases and trims; the local part is kept as given otherwise (no provider-specific rewriting). */
export function normaliseEmail(raw: string): Result<string, string> {
  const email = raw.trim().toLowerCase();
  if (!emailSchema.safeParse(email).success) return err('is not a valid email address');
  return ok(email);
}

export function normalisePhone(raw: string, country: string | undefined): Result<string, string> {
  const region = country?.toUpperCase() as CountryCode | undefined;
  const parsed = parsePhoneNumberFromString(raw, region ? { defaultCountry: region } : undefined);
  if (!parsed?.isValid()) {
    return err(
      region
        ? `is not a valid phone number for ${region}`
        : 'is not a valid phone number; include the country code (e.g. +44 20 7946 0958) or set country',
    );
  }
  return ok(parsed.number);
}

/**
 * Validates what the schema cannot (email syntax, phone validity, email-or-phone) and produces
 * the stored form. Used at the edge, to answer 400 before accepting, and by the pipeline.
 */
export function normaliseLead(input: LeadInput): Result<NormalisedLead, FieldIssue[]> {
  const issues: FieldIssue[] = [];
  let email: string | null = null;
  let phone: string | null = null;
  if (input.email !== undefined && input.email !== '') {
    const result = normaliseEmail(input.email);
    if (result.ok) email = result.value;
    else issues.push({ field: 'email', reason: result.error });
  }
  if (input.phone !== undefined && input.phone !== '') {
    const result = normalisePhone(input.phone, input.country);
    if (result.ok) phone = result.value;
    else issues.push({ field: 'phone', reason: result.error });
  }
  if (!input.email && !input.phone)
    issues.push({ field: 'email', reason: 'is required unless phone is given' });
  if (issues.length > 0) return err(issues);

  const domain = email ? (email.split('@')[1] ?? null) : null;
  const freeEmail = domain !== null && isFreeEmailDomain(domain);
  const utm: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.utm ?? {})) if (value !== undefined) utm[key] = value;
  return ok({
    email,
    phone,
    name: input.name ?? null,
    company: input.company ?? null,
    companyDomain: domain && !freeEmail ? domain : null,
    title: input.title ?? null,
    country: input.country ? input.country.toUpperCase() : null,
    source: input.source ?? null,
    utm,
    consent: input.consent ?? null,
    attributes: input.attributes ?? {},
    freeEmail,
  });
}
