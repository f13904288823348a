import { LeadloopError } from '../../core/index.ts';

/** Wall-clock parts of `ms` in `timeZone`. */
export function partsIn(
  ms: number,
  timeZone: string,
): { y: number; m: number; d: number; hh: number; mm: number; weekday: number } {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    weekday: 'short',
  });
  const parts: Record<string, string> = {};
  for (const p of format.formatToParts(new Date(ms))) parts[p.type] = p.value;
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts.weekday ?? 'Mon') + 1;
  return {
    y: Number(parts.year),
    m: Number(parts.month),
    d: Number(parts.day),
    hh: Number(parts.hour),
    mm: Number(parts.minute),
    weekday,
  };
}

/** The UTC instant at which the wall clock in `timeZone` shows y-m-d hh:mm (the later one in a DST fold). */
function instantOf(y: number, m: number, d: number, hh: number, mm: number, timeZone: string): number {
  const naive = Date.UTC(y, m - 1, d, hh, mm);
  let guess = naive;
  // Two corrections settle the offset, DST transitions included (a skipped hour lands after the gap).
  for (let i = 0; i < 2; i++) {
    const p = partsIn(guess, timeZone);
    const shown = Date.UTC(p.y, p.m - 1, p.d, p.hh, p.mm);
    guess += naive - shown;
  }
  return guess;
}

/**
 * The next time after `now` at which the clock in `timeZone` shows `timeOfDay` (HH:MM), on one of
 * `weekdays` (1 = Monday … 7 = Sunday) when given. Stored as UTC milliseconds in the step's due row.
 */
export function nextTimeOfDay(
  now: number,
  timeOfDay: string,
  timeZone: string,
  weekdays?: readonly number[],
): number {
  const [hh, mm] = timeOfDay.split(':').map(Number) as [number, number];
  const today = partsIn(now, timeZone);
  for (let offset = 0; offset < 9; offset++) {
    const day = new Date(Date.UTC(today.y, today.m - 1, today.d + offset));
    const candidate = instantOf(
      day.getUTCFullYear(),
      day.getUTCMonth() + 1,
      day.getUTCDate(),
      hh,
      mm,
      timeZone,
    );
    if (candidate <= now) continue;
    if (weekdays && !weekdays.includes(partsIn(candidate, timeZone).weekday)) continue;
    return candidate;
  }
  throw new LeadloopError(
    'validation_failed',
    `no ${timeOfDay} in ${timeZone} on weekdays ${weekdays?.join(',')}`,
  );
}
