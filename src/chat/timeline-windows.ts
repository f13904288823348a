/**
 * Time phrases whose window ends on a fixed day of the year: holidays, seasons, the middle of a
 * month or of the year, fiscal years. Each resolves to the END of the window a person means and
 * never a day later than they said: "before Christmas" is 24 December, "by Christmas" the 25th,
 * "spring" ends on 20 June and so does "before summer" (the day before summer starts).
 */
import { endOfMonth, toIsoDate, type Ymd } from './dates.ts';
import { MONTH_PATTERN, MONTHS } from './timeline-words.ts';

/** A rule as `extract-timeline` runs it: a global pattern on folded text and its resolution. */
export interface WindowRule {
  pattern: RegExp;
  resolve(match: RegExpExecArray, today: Ymd): Ymd | undefined;
}

const iso = (date: Ymd) => toIsoDate(date);

/** The first occurrence of month/day on or after today. */
function nextOccurrence(today: Ymd, m: number, d: number): Ymd {
  const thisYear = { y: today.y, m, d };
  return iso(thisYear) >= iso(today) ? thisYear : { y: today.y + 1, m, d };
}

// The last day of each season (northern hemisphere, astronomical): spring ends 20 June.
const SEASON_END: Record<string, { m: number; d: number }> = {
  spring: { m: 6, d: 20 },
  summer: { m: 9, d: 22 },
  fall: { m: 12, d: 20 },
  winter: { m: 3, d: 20 },
};
// The season that ends the day before each one starts.
const SEASON_BEFORE: Record<string, string> = {
  spring: 'winter',
  summer: 'spring',
  fall: 'summer',
  winter: 'fall',
};
const SEASON_WORDS: Record<string, string> = {
  spring: 'spring',
  springtime: 'spring',
  fruhling: 'spring',
  fruhjahr: 'spring',
  primavera: 'spring',
  printemps: 'spring',
  summer: 'summer',
  summertime: 'summer',
  sommer: 'summer',
  verano: 'summer',
  ete: 'summer',
  fall: 'fall',
  autumn: 'fall',
  herbst: 'fall',
  otono: 'fall',
  automne: 'fall',
  winter: 'winter',
  invierno: 'winter',
  hiver: 'winter',
};
const SEASON_PATTERN = Object.keys(SEASON_WORDS)
  .sort((a, b) => b.length - a.length)
  .join('|');
const BEFORE =
  "(?:before|by|until|till|ahead of|prior to|no later than|vor|bis zum|bis zur|bis|hasta el|antes de|hasta|para|avant|d'ici|pour)";
const MONTHS_EN: Record<string, number> = {
  january: 1,
  jan: 1,
  february: 2,
  feb: 2,
  march: 3,
  mar: 3,
  april: 4,
  apr: 4,
  may: 5,
  june: 6,
  jun: 6,
  july: 7,
  jul: 7,
  august: 8,
  aug: 8,
  september: 9,
  sept: 9,
  sep: 9,
  october: 10,
  oct: 10,
  november: 11,
  nov: 11,
  december: 12,
  dec: 12,
};
const MONTH_EN = Object.keys(MONTHS_EN)
  .sort((a, b) => b.length - a.length)
  .join('|');

const FY_SPAN = new RegExp(
  `\\b(?:fy|fiscal year|financial year)\\s+(?:is|runs|goes|=|:)?\\s*(?:from\\s+)?(${MONTH_PATTERN})\\s*(?:to|-|–|through|till|until)\\s*(${MONTH_PATTERN})\\b`,
);

export const WINDOW_RULES: WindowRule[] = [
  {
    // before March → the end of February; before Q2 → the end of Q1; before next year → 31 Dec
    pattern: new RegExp(
      `\\b(?:before|prior to|ahead of|antes de|antes do|avant|vor)\\s+(?:(${MONTH_PATTERN})(?:\\s+(20\\d\\d))?|q([1-4])(?:\\s+(20\\d\\d))?|(next year|the new year|20\\d\\d))\\b`,
      'g',
    ),
    resolve: (m, today) => {
      if (m[1] !== undefined) {
        const month = MONTHS[m[1]] as number;
        const year = m[2] !== undefined ? Number(m[2]) : nextOccurrence(today, month, 1).y;
        const end = month === 1 ? endOfMonth(year - 1, 12) : endOfMonth(year, month - 1);
        return iso(end) < iso(today)
          ? endOfMonth(month === 1 ? year : year + 1, month === 1 ? 12 : month - 1)
          : end;
      }
      if (m[3] !== undefined) {
        const q = Number(m[3]);
        const startMonth = (q - 1) * 3 + 1;
        const year = m[4] !== undefined ? Number(m[4]) : nextOccurrence(today, startMonth, 1).y;
        return q === 1 ? endOfMonth(year - 1, 12) : endOfMonth(year, startMonth - 1);
      }
      const what = m[5] ?? '';
      const year = /^20\d\d$/.test(what) ? Number(what) - 1 : today.y;
      return { y: year, m: 12, d: 31 };
    },
  },
  {
    // before Christmas → 24 Dec; by / for / until Christmas → 25 Dec; the holidays count as Christmas
    pattern:
      /\b(?:(before|ahead of|prior to|vor|antes de|avant)|(by|for|until|till|over|bis|zu|para|hasta|pour|d'ici|a))?\s*(?:the\s+)?(?:christmas|xmas|x-mas|weihnachten|navidad(?:es)?|noel|the holidays|holiday season)\b/g,
    resolve: (m, today) => nextOccurrence(today, 12, m[1] !== undefined ? 24 : 25),
  },
  {
    // by new year / before New Year's → 31 Dec
    pattern: /\b(?:by|before|until|till|ahead of)\s+(?:the\s+)?new year(?:'?s(?: eve)?)?\b/g,
    resolve: (_m, today) => nextOccurrence(today, 12, 31),
  },
  {
    // by mid year, mid-2027, the middle of next year → 30 June
    pattern:
      /\b(?:(?:by|in|around|until|before|at)\s+)?(?:the\s+)?(?:mid of\s+(?:the\s+)?|mid[- ]?|middle of(?: the)?\s+)(year|next year|this year|20\d\d)\b/g,
    resolve: (m, today) => {
      const what = m[1] ?? '';
      if (/^20\d\d$/.test(what)) return endOfMonth(Number(what), 6);
      if (what === 'next year') return endOfMonth(today.y + 1, 6);
      if (what === 'this year') return endOfMonth(today.y, 6);
      return iso(today) <= `${today.y}-06-30` ? endOfMonth(today.y, 6) : endOfMonth(today.y + 1, 6);
    },
  },
  {
    // next fiscal year, FY27 (the calendar year is assumed), end of this fiscal year
    pattern:
      /\b(?:(next|this|the current|current|the end of(?: the)?|end of(?: the)?|by the end of(?: the)?)\s+)?(?:(?:(?:this|next)\s+)?(?:fiscal|financial) year|fy\s?(\d{4}|\d{2})|fy)\b/g,
    resolve: (m, today) => {
      if (m[2] !== undefined)
        return { y: m[2].length === 2 ? 2000 + Number(m[2]) : Number(m[2]), m: 12, d: 31 };
      const next = /next/.test(m[0]);
      if (!next && m[1] === undefined && !/this|current/.test(m[0])) return undefined;
      // "our FY is April to March": the year said ends with its last month, not in December.
      const span = FY_SPAN.exec(m.input);
      const last = span === null ? undefined : MONTHS[span[2] ?? ''];
      if (last !== undefined) {
        const current = last >= today.m ? today.y : today.y + 1;
        return endOfMonth(next ? current + 1 : current, last);
      }
      return { y: next ? today.y + 1 : today.y, m: 12, d: 31 };
    },
  },
  {
    // mid-January, by mid March, the middle of May → the 15th
    pattern: new RegExp(
      `\\b(?:by\\s+|in\\s+|around\\s+|until\\s+)?(?:mid of\\s+|mid[- ]?|the middle of\\s+|middle of\\s+)(${MONTH_EN})\\b`,
      'g',
    ),
    resolve: (m, today) => {
      const month = MONTHS_EN[m[1] ?? ''];
      if (month === undefined) return undefined;
      return nextOccurrence(today, month, 15);
    },
  },
  {
    // mid of next month, by the middle of this month → the 15th of it (not when it is past)
    pattern:
      /\b(?:(?:by|in|around|until)\s+)?(?:the\s+)?(?:mid of\s+|mid[- ]|middle of\s+)(?:the\s+)?(next|this|the coming)\s+month\b/g,
    resolve: (m, today) => {
      if (m[1] === 'this') return today.d <= 15 ? { y: today.y, m: today.m, d: 15 } : undefined;
      return today.m === 12 ? { y: today.y + 1, m: 1, d: 15 } : { y: today.y, m: today.m + 1, d: 15 };
    },
  },
  {
    // by summer / before summer → the day before it starts; spring, this summer, next fall → its last day
    pattern: new RegExp(
      `\\b(?:(${BEFORE})\\s+)?(?:(?:the\\s+)?(?:(early|late|end of(?: the)?|the end of(?: the)?)\\s+)?(next|this|nachsten|diesen|el proximo|este|l'|cet|ce)?\\s*)(${SEASON_PATTERN})\\b`,
      'g',
    ),
    resolve: (m, today) => {
      const season = SEASON_WORDS[m[4] ?? ''];
      if (season === undefined) return undefined;
      const before = m[1] !== undefined && m[2] === undefined;
      const key = before ? (SEASON_BEFORE[season] ?? season) : season;
      const end = SEASON_END[key] as { m: number; d: number };
      let when = nextOccurrence(today, end.m, end.d);
      // "next summer" while it is summer: the one after.
      if (/next|nachsten|proximo/.test(m[3] ?? '')) {
        const current = SEASON_END[season] as { m: number; d: number };
        const thisOne = nextOccurrence(today, current.m, current.d);
        const startsAfterToday = iso({ y: thisOne.y, m: thisOne.m, d: thisOne.d }) > iso(today);
        const monthsLeft = (thisOne.y - today.y) * 12 + thisOne.m - today.m;
        if (startsAfterToday && monthsLeft < 3) when = { ...when, y: when.y + 1 };
      }
      return when;
    },
  },
];
