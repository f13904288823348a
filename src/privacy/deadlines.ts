import { assertNever } from '../core/index.ts';
/** Jurisdictions a request can be filed under; `other` follows the GDPR clock (the stricter). */
export const JURISDICTIONS = ['gdpr', 'uk_gdpr', 'ccpa', 'other'] as const;
export type Jurisdiction = (typeof JURISDICTIONS)[number];

const DAY = 86_400_000;

/** The same day of the month `months` later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb). */
export function addMonths(at: number, months: number): number {
  const d = new Date(at);
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  return target.getTime() + (at - Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

/** `days` business days later (Monday to Friday; public holidays are not modelled, so this errs early). */
export function addBusinessDays(at: number, days: number): number {
  let t = at;
  let left = days;
  while (left > 0) {
    t += DAY;
    const weekday = new Date(t).getUTCDay();
    if (weekday !== 0 && weekday !== 6) left--;
  }
  return t;
}

export interface Deadlines {
  /** Confirmation of receipt (CCPA §7021: 10 business days; used as good practice elsewhere). */
  ackDueAt: number;
  /** GDPR Art. 12(3): one month; CCPA §7021: 45 calendar days. */
  dueAt: number;
  /** GDPR: two further months; CCPA: 45 further days (with notice to the person). */
  extendedDueAt: number;
}

export function deadlinesFor(jurisdiction: Jurisdiction, receivedAt: number): Deadlines {
  const ackDueAt = addBusinessDays(receivedAt, 10);
  switch (jurisdiction) {
    case 'ccpa':
      return { ackDueAt, dueAt: receivedAt + 45 * DAY, extendedDueAt: receivedAt + 90 * DAY };
    case 'gdpr':
    case 'uk_gdpr':
    case 'other':
      return { ackDueAt, dueAt: addMonths(receivedAt, 1), extendedDueAt: addMonths(receivedAt, 3) };
    default: {
      return assertNever(jurisdiction, 'jurisdiction');
    }
  }
}
