/** Calendar arithmetic in UTC on plain `{ y, m, d }` dates (month 1-12); no time zones, no Date mutation. */

export interface Ymd {
  y: number;
  m: number;
  d: number;
}

export function ymdOf(ms: number): Ymd {
  const date = new Date(ms);
  return { y: date.getUTCFullYear(), m: date.getUTCMonth() + 1, d: date.getUTCDate() };
}

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

export function toIsoDate(date: Ymd): string {
  return `${String(date.y).padStart(4, '0')}-${String(date.m).padStart(2, '0')}-${String(date.d).padStart(2, '0')}`;
}

export function toMs(date: Ymd): number {
  return Date.UTC(date.y, date.m - 1, date.d);
}

export function addDays(date: Ymd, days: number): Ymd {
  return ymdOf(toMs(date) + days * 86_400_000);
}

/** Adds months, clamping the day (31 January + 1 month = 28/29 February). */
export function addMonths(date: Ymd, months: number): Ymd {
  const index = date.y * 12 + (date.m - 1) + months;
  const y = Math.floor(index / 12);
  const m = (index % 12) + 1;
  return { y, m, d: Math.min(date.d, daysInMonth(y, m)) };
}

export function endOfMonth(y: number, m: number): Ymd {
  return { y, m, d: daysInMonth(y, m) };
}

export function quarterOf(date: Ymd): number {
  return Math.ceil(date.m / 3);
}

export function endOfQuarter(y: number, q: number): Ymd {
  return endOfMonth(y, q * 3);
}

/** The Sunday ending the ISO week that contains the date. */
export function endOfWeek(date: Ymd): Ymd {
  const weekday = new Date(toMs(date)).getUTCDay();
  return addDays(date, (7 - weekday) % 7);
}

export function isValidDate(y: number, m: number, d: number): boolean {
  return m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m) && y >= 1900 && y <= 2200;
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: Ymd, to: Ymd): number {
  return Math.round((toMs(to) - toMs(from)) / 86_400_000);
}

export function parseIsoDate(iso: string): Ymd | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (match === null) return undefined;
  const date = { y: Number(match[1]), m: Number(match[2]), d: Number(match[3]) };
  return isValidDate(date.y, date.m, date.d) ? date : undefined;
}
