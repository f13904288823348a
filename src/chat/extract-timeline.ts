import { lazyModule } from '../core/index.ts';
import { addDays, toIsoDate, type Ymd, ymdOf } from './dates.ts';
import type { TimelineValue } from './slot-values.ts';
import { fold, overlaps, type Span } from './text.ts';
import { endOfPeriod, RULES, type TimelineOptions } from './timeline-rules.ts';
import { MONTH_LEAD, MONTHS, repairSpelling } from './timeline-words.ts';

export type { TimelineOptions } from './timeline-rules.ts';

// About 4 MiB of heap, loaded with the first message that needs it, not by the worker thread that
// imports chat for the pipeline and never extracts (core/lazy-module.ts).
const chrono = lazyModule<typeof import('chrono-node')>('chrono-node');

/** A deadline found in a message. */
export interface TimelineMatch extends Span {
  value: TimelineValue;
}

// "500 euros a month", "2k per year": the period of an amount, not a deadline.
const AMOUNT_BEFORE =
  /(?:\d|\d\s*(?:k|m|mil|grand|thousand)|[$€£¥]|euros?|dollars?|bucks|pounds?|quid|usd|eur|gbp|chf|francs?)\s*(?:(?:per|a|an|each|every|\/)\s*(?:user|seat|head|license|licence)s?\s*)?$/;

function perPeriodOfAmount(folded: string, m: RegExpExecArray): boolean {
  let at = m.index;
  if (!/^\s*(?:a|an|one|per|each|every)\s/.test(m[0])) {
    // "6000 dollars for the year"
    const link = /\bfor\s+$/.exec(folded.slice(Math.max(0, at - 5), at));
    if (link === null || !/^(?:the|a|one)\s/.test(m[0])) return false;
    at -= link[0].length;
  }
  return AMOUNT_BEFORE.test(folded.slice(Math.max(0, at - 30), at).trimEnd());
}

const CHRONO_HINT = /\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d{1,2}(st|nd|rd|th))\b/;

/**
 * Deadlines, resolved to the latest date the words allow against the session clock: `next
 * quarter` → the quarter's last day, `by March` → 31 March, `in 3 months` → today + 3 months,
 * `ASAP` → today + 30 days, explicit dates as written. English, German, Spanish and French phrases.
 */
function scan(folded: string, today: Ymd, options: TimelineOptions, found: TimelineMatch[]): TimelineMatch[] {
  const added: TimelineMatch[] = [];
  for (const rule of RULES) {
    rule.pattern.lastIndex = 0;
    for (let m = rule.pattern.exec(folded); m !== null; m = rule.pattern.exec(folded)) {
      if (m[0].trim() === '') {
        rule.pattern.lastIndex++;
        continue;
      }
      const span = { start: m.index, end: m.index + m[0].trimEnd().length };
      if ([...found, ...added].some((f) => overlaps(f, span)) || perPeriodOfAmount(folded, m)) continue;
      const raw = rule.resolve(m, today, options, folded);
      if (raw === undefined) continue;
      let resolved = 'period' in raw ? endOfPeriod(today, raw.period, raw.offset) : raw;
      // "before 1 March": the day before the date named, never a day later than they said.
      if (rule.exactDay === true && BEFORE_DAY.test(folded.slice(Math.max(0, m.index - 12), m.index)))
        resolved = addDays(resolved, -1);
      added.push({ ...span, value: { byDate: toIsoDate(resolved) } });
    }
  }
  return added;
}

/**
 * A word repaired into a bare month name ("Februrary") counts after a lead-in ("by", "end of") or as
 * the whole answer to "when?": names one letter from a month ("Marco", "Marzo") are no deadline.
 */
function monthRepairStands(
  folded: string,
  repairedText: string,
  span: Span,
  options: TimelineOptions,
): boolean {
  if (MONTHS[repairedText] === undefined) return true;
  if (MONTH_LEAD.test(folded.slice(Math.max(0, span.start - 20), span.start))) return true;
  return options.expecting === true && folded.trim().length === span.end - span.start;
}

const BEFORE_DAY = /\b(?:before|prior to|vor dem|vor|antes del?|avant le)\s+$/;

export function extractTimeline(text: string, options: TimelineOptions): TimelineMatch[] {
  const folded = fold(text);
  const today = ymdOf(options.now);
  const found = scan(folded, today, options, []);
  // What only the repaired words make a time phrase of, at the offsets of the original words.
  const repaired = repairSpelling(folded);
  if (repaired !== null) {
    for (const match of scan(repaired.text, today, options, [])) {
      const span = { start: repaired.start(match.start), end: repaired.end(match.end) };
      if (!monthRepairStands(folded, repaired.text.slice(match.start, match.end), span, options)) continue;
      if (!found.some((f) => overlaps(f, span))) found.push({ ...span, value: match.value });
    }
  }
  if (CHRONO_HINT.test(folded)) {
    const reference = { instant: new Date(options.now), timezone: 0 };
    for (const result of chrono().parse(text, reference, { forwardDate: true })) {
      const span = { start: result.index, end: result.index + result.text.length };
      if (found.some((f) => overlaps(f, span))) continue;
      if (!result.start.isCertain('day') && !result.start.isCertain('weekday')) continue;
      const when = result.start.date();
      found.push({ ...span, value: { byDate: toIsoDate(ymdOf(when.getTime())) } });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}
