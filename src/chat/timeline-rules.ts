/**
 * The rules that read a time phrase and resolve it to the last day of the window it names, against
 * the session's date: explicit dates, months, quarters, "in N weeks", "next quarter", "ASAP", and
 * the fixed windows of `timeline-windows.ts`.
 */
import {
  addDays,
  addMonths,
  endOfMonth,
  endOfQuarter,
  endOfWeek,
  isValidDate,
  quarterOf,
  toIsoDate,
  type Ymd,
} from './dates.ts';
import { parseCount } from './text.ts';
import { WINDOW_RULES } from './timeline-windows.ts';
import {
  AMBIGUOUS_MONTHS,
  COUNT,
  END_OF,
  MONTH_LEAD,
  MONTH_PATTERN,
  MONTHS,
  NEXT,
  PERIOD_PATTERN,
  PERIOD_WORDS,
  type Period,
  THIS,
  UNIT_PATTERN,
  UNIT_WORDS,
} from './timeline-words.ts';

/** What relative dates resolve against. */
export interface TimelineOptions {
  /** Session clock, milliseconds since the epoch; relative phrases resolve against its UTC date. */
  now: number;
  /** `en-US` reads `03/04/2027` as March 4; every other locale as 3 April. */
  locale?: string;
  /** The visitor was just asked for a timeline: a bare "March" or "6 weeks" is an answer. */
  expecting?: boolean;
}

/** How many days "as soon as possible" means. */
const ASAP_DAYS = 30;

export function endOfPeriod(today: Ymd, period: Period, offset: number): Ymd {
  switch (period) {
    case 'week':
      return endOfWeek(addDays(today, offset * 7));
    case 'month': {
      const shifted = addMonths({ ...today, d: 1 }, offset);
      return endOfMonth(shifted.y, shifted.m);
    }
    case 'quarter': {
      const index = today.y * 4 + quarterOf(today) - 1 + offset;
      return endOfQuarter(Math.floor(index / 4), (index % 4) + 1);
    }
    case 'year':
      return { y: today.y + offset, m: 12, d: 31 };
  }
}

function addUnits(today: Ymd, unit: 'day' | 'week' | 'month' | 'quarter' | 'year', count: number): Ymd {
  switch (unit) {
    case 'day':
      return addDays(today, Math.round(count));
    case 'week':
      return addDays(today, Math.round(count * 7));
    case 'month':
      return count % 1 === 0 ? addMonths(today, count) : addDays(today, Math.round(count * 30.44));
    case 'quarter':
      return addMonths(today, Math.round(count * 3));
    case 'year':
      return addMonths(today, Math.round(count * 12));
  }
}

/** The next occurrence (today or later) of the end of a month given without a year. */
function nextMonthEnd(today: Ymd, month: number, year: number | undefined): Ymd {
  if (year !== undefined) return endOfMonth(year, month);
  return endOfMonth(month >= today.m ? today.y : today.y + 1, month);
}

function fullYear(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw.replace(/^'/, ''));
  return raw.replace(/^'/, '').length === 2 ? 2000 + n : n;
}

/** A named period relative to today: `next quarter` is `{ period: 'quarter', offset: 1 }`. */
interface PeriodRef {
  period: Period;
  offset: number;
}

export interface Rule {
  pattern: RegExp;
  /** The rule names a day: "before" it means the day before. */
  exactDay?: boolean;
  resolve(
    match: RegExpExecArray,
    today: Ymd,
    options: TimelineOptions,
    folded: string,
  ): Ymd | PeriodRef | undefined;
}

export const RULES: Rule[] = [
  ...WINDOW_RULES,
  {
    pattern: /\b(\d{4})-(\d{1,2})-(\d{1,2})\b/g,
    exactDay: true,
    resolve: (m) => date(Number(m[1]), Number(m[2]), Number(m[3])),
  },
  {
    pattern: /\b(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})\b/g,
    exactDay: true,
    resolve: (m, _today, options) => {
      const a = Number(m[1]);
      const b = Number(m[2]);
      const y = fullYear(m[3]) ?? 0;
      const monthFirst = (options.locale === 'en-US' && a <= 12) || b > 12;
      return monthFirst ? date(y, a, b) : date(y, b, a);
    },
  },
  {
    // "by 15/01", "bis 15.03.", "avant le 30/04", "by 03/15": a day and month without a year, only after a
    // deadline word or as the whole answer ("24/7", "50/50" and decimals are no dates); the next one to come.
    pattern: /\b(\d{1,2})[./](\d{1,2})(?![./]?\d)\.?/g,
    exactDay: true,
    resolve: (m, today, options, folded) => {
      const lead = DAY_LEAD.test(folded.slice(Math.max(0, m.index - 16), m.index));
      const alone = options.expecting === true && /^\W*\d{1,2}[./]\d{1,2}\.?(?:\s+\p{L}+)?\W*$/u.test(folded);
      // "24/7" is round the clock.
      if ((!lead && !alone) || /^(?:24\/7|7\/24)$/.test(m[0])) return undefined;
      const a = Number(m[1]);
      const b = Number(m[2]);
      const monthFirst = (options.locale === 'en-US' && a <= 12) || b > 12;
      const [month, day] = monthFirst ? [a, b] : [b, a];
      const candidate = date(today.y, month, day);
      if (candidate === undefined) return undefined;
      return toIso(candidate) < toIso(today) ? date(today.y + 1, month, day) : candidate;
    },
  },
  {
    // primer trimestre del proximo ano, premier trimestre, erstes Quartal, primeiro trimestre
    pattern: new RegExp(
      `\\b(?:(primer|primero|primeiro|premier|erste[snr]?|1\\.)|(segundo|deuxieme|second|zweite[snr]?|2\\.)|(tercer|tercero|terceiro|troisieme|dritte[snr]?|3\\.)|(cuarto|quarto|quatrieme|vierte[snr]?|4\\.))\\s+(?:trimestre|quartal)(?:\\s+(?:del?|do|du|des)\\s+(${NEXT}\\s+(?:ano|annee|jahres)|ano que viene|annee prochaine|proximo ano))?`,
      'g',
    ),
    resolve: (m, today) => {
      const q = m[1] !== undefined ? 1 : m[2] !== undefined ? 2 : m[3] !== undefined ? 3 : 4;
      if (m[5] !== undefined) return endOfQuarter(today.y + 1, q);
      return q >= quarterOf(today) ? endOfQuarter(today.y, q) : endOfQuarter(today.y + 1, q);
    },
  },
  {
    // end of the quarter without "this": fin du trimestre, fin de mes, Ende des Quartals, fim do mes
    pattern: new RegExp(`\\b(?:${END_OF})\\s*(${PERIOD_PATTERN})(?!\\p{L})`, 'gu'),
    resolve: (m) => {
      const period = PERIOD_WORDS[m[1] ?? ''];
      return period === undefined ? undefined : { period, offset: 0 };
    },
  },
  {
    // 15 March 2027, 15th of March, 15. Marz, March 15th, 2027
    pattern: new RegExp(
      `\\b(?:(\\d{1,2})(?:st|nd|rd|th|er|\\.)?\\s+(?:of\\s+|de\\s+)?(${MONTH_PATTERN})|(${MONTH_PATTERN})\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?(?!\\d))(?:,?\\s+(?:de\\s+)?(\\d{4}))?\\b`,
      'g',
    ),
    exactDay: true,
    resolve: (m, today) => {
      const month = MONTHS[m[2] ?? m[3] ?? ''];
      const day = Number(m[1] ?? m[4]);
      if (month === undefined) return undefined;
      const year = m[5] === undefined ? undefined : Number(m[5]);
      if (year !== undefined) return date(year, month, day);
      const candidate = date(today.y, month, day);
      if (candidate === undefined) return undefined;
      return toIso(candidate) < toIso(today) ? date(today.y + 1, month, day) : candidate;
    },
  },
  {
    // Q1, Q3 2027, end of Q2, first quarter (of next year)
    pattern: new RegExp(
      `\\b(?:${END_OF}\\s+)?(?:q([1-4])|(first|second|third|fourth|1st|2nd|3rd|4th)\\s+quarter)(?:\\s*(?:of\\s+)?(?:'|fy)?(\\d{4}|\\d{2}\\b)|\\s+(?:of\\s+)?(next year|this year))?\\b`,
      'g',
    ),
    resolve: (m, today) => {
      const q =
        m[1] !== undefined
          ? Number(m[1])
          : ['first', 'second', 'third', 'fourth'].indexOf(ordinalWord(m[2])) + 1;
      const explicit = m[4] === 'next year' ? today.y + 1 : m[4] === 'this year' ? today.y : fullYear(m[3]);
      if (explicit !== undefined) return endOfQuarter(explicit, q);
      return q >= quarterOf(today) ? endOfQuarter(today.y, q) : endOfQuarter(today.y + 1, q);
    },
  },
  {
    pattern: /\b(?:(h[12])|(first|second) half)(?:\s+(?:of\s+)?(next year|this year|\d{4}))?\b/g,
    resolve: (m, today) => {
      const half = m[1] === 'h1' || m[2] === 'first' ? 1 : 2;
      const year =
        m[3] === 'next year'
          ? today.y + 1
          : m[3] === 'this year' || m[3] === undefined
            ? today.y
            : Number(m[3]);
      // A half named when its last quarter has begun ("H2" in November) is next year's.
      const past = half === 1 ? today.m > 6 : today.m > 9;
      const end = endOfMonth(m[3] === undefined && past ? year + 1 : year, half * 6);
      return end;
    },
  },
  {
    // early/mid/late next year, beginning of 2027, in 2027, end of the year, year end, EOY
    pattern: new RegExp(
      `\\b(?:(early|beginning of|begin of|start of|the start of|the beginning of|anfang|principios de|debut|mid of|mid|mid-|middle of|the middle of|late|${END_OF}|later|sometime|some time|sometime in|in|by|during)\\s*)?(next year|this year|(?:20\\d\\d)(?![\\d./-])|the year|year(?=\\s*$|\\s*[,.;!?])|year[- ]end|eoy|nachstes jahr|dieses jahr|jahresende|el proximo ano|el ano que viene|(?:o |do )?proximo ano|este ano|l'annee prochaine|cette annee|fin d'annee|jahres|(?:el )?ano|l'annee|l'an)`,
      'g',
    ),
    resolve: (m, today) => {
      const what = m[2] ?? '';
      const lead = (m[1] ?? '').trim();
      let year: number;
      if (/^(?:jahres|(?:el )?ano|l'annee|l'an)$/.test(what) && lead === '') return undefined;
      // "until end of year": a bare "year" only after "end of".
      if (what === 'year' && !/end of|^fin|ende/.test(lead)) return undefined;
      if (/^20\d\d$/.test(what)) {
        if (lead === '') return undefined;
        year = Number(what);
      } else if (/next|nachstes|proximo|que viene|prochaine/.test(what)) year = today.y + 1;
      else year = today.y;
      if (/^(early|beginning|begin|start|the start|the beginning|anfang|principios|debut)/.test(lead))
        return endOfQuarter(year, 1);
      if (/^(mid|middle|the middle)/.test(lead)) return endOfMonth(year, 6);
      return { y: year, m: 12, d: 31 };
    },
  },
  {
    // next quarter, this month, end of next week, nachstes Quartal, el proximo trimestre, le mois prochain
    pattern: new RegExp(
      `\\b(?:(${END_OF})\\s+)?(?:(${NEXT}|${THIS}|the)\\s+(${PERIOD_PATTERN})|(?:le |la |el )?(${PERIOD_PATTERN}) (prochaine?|que viene|siguiente))\\b`,
      'g',
    ),
    resolve: (m) => {
      const period = PERIOD_WORDS[m[3] ?? m[4] ?? ''];
      if (period === undefined) return undefined;
      const which = m[2] ?? '';
      const offset = m[5] !== undefined || new RegExp(`^${NEXT}$`).test(which) ? 1 : 0;
      if (which === 'the' && m[1] === undefined) return undefined;
      return { period, offset };
    },
  },
  {
    // in 3 months, within two weeks, in the next 6-8 weeks, 3 months from now, in half a year, dans 3 mois
    pattern: new RegExp(
      `\\b(?:(?:in|within|inside of|over|during|in den nachsten|innerhalb(?: von)?|in|en|dentro de|en los proximos|en las proximas|dans|d'ici|sous)\\s+(?:the\\s+)?(?:next\\s+|coming\\s+|nachsten\\s+)?(?:(?:about|around|roughly|approximately|approx\\.?|ca\\.?|like|maybe|max|maximum|at most|just|only|etwa|unos|unas|environ|~)\\s+)?(?:(${COUNT})\\s*(?:-|to|or|bis|a|o)\\s*)?(${COUNT}|half a|a half)\\s+(${UNIT_PATTERN})\\b|\\b(${COUNT})\\s+(${UNIT_PATTERN})\\s+(?:from now|out|away|time|from today))`,
      'g',
    ),
    resolve: (m, today) => {
      const rawCount = m[2] ?? m[4] ?? '';
      const unit = UNIT_WORDS[m[3] ?? m[5] ?? ''];
      const count = rawCount === 'half a' || rawCount === 'a half' ? 0.5 : parseCount(rawCount);
      if (unit === undefined || count === undefined || count <= 0 || count > 120) return undefined;
      return addUnits(today, unit, count);
    },
  },
  {
    // 6-8 weeks (a range needs no preposition); 3 months (only as the answer to the question)
    pattern: new RegExp(
      `\\b(?:(${COUNT})\\s*(?:-|to|or)\\s*)?(half an?|a half|${COUNT})\\s+(${UNIT_PATTERN})\\b`,
      'g',
    ),
    resolve: (m, today, options) => {
      if (m[1] === undefined && options.expecting !== true) return undefined;
      const unit = UNIT_WORDS[m[3] ?? ''];
      const count = /half/.test(m[2] ?? '') ? 0.5 : parseCount(m[2] ?? '');
      if (unit === undefined || count === undefined || count <= 0 || count > 120) return undefined;
      return addUnits(today, unit, count);
    },
  },
  {
    // "jan/feb", "March or April", "May-June": the window ends with the later month.
    pattern: new RegExp(
      `\\b(${MONTH_PATTERN})\\s*(?:\\/|-|–|or|to|and|oder|bis|o|a|ou)\\s*(${MONTH_PATTERN})\\b(?:\\s+(\\d{4}))?`,
      'g',
    ),
    resolve: (m, today) => {
      const first = MONTHS[m[1] ?? ''];
      const last = MONTHS[m[2] ?? ''];
      if (first === undefined || last === undefined || first === last) return undefined;
      const year = m[3] === undefined ? undefined : Number(m[3]);
      const start = nextMonthEnd(today, first, year);
      // "Nov/Dec" said in November is this year's; "Dec/Jan" runs into the next.
      return endOfMonth(last >= first ? start.y : start.y + 1, last);
    },
  },
  {
    pattern: new RegExp(`\\b(${MONTH_PATTERN})\\b(?:\\s+(\\d{4}))?`, 'g'),
    resolve: (m, today, options, folded) => {
      const name = m[1] ?? '';
      const month = MONTHS[name];
      if (month === undefined) return undefined;
      const lead =
        MONTH_LEAD.test(folded.slice(Math.max(0, m.index - 20), m.index)) ||
        // "march not april": set against another month, a month name is one.
        CONTRASTED_MONTH.test(folded.slice(m.index + m[0].length, m.index + m[0].length + 30));
      const alone = options.expecting === true && folded.trim().split(/\s+/).length <= 3;
      if (!lead && !alone && (AMBIGUOUS_MONTHS.has(name) || name.length <= 3) && m[2] === undefined)
        return undefined;
      return nextMonthEnd(today, month, m[2] === undefined ? undefined : Number(m[2]));
    },
  },
  {
    pattern:
      /\b(?:asap|a\.s\.a\.p\.?|as (?:soon|fast|quickly|early) as (?:possible|we can|you can)|right away|immediately|straight away|(?:it'?s|is|very|quite|pretty|super) urgent|urgently|sofort|so schnell wie moglich|schnellstmoglich|umgehend|lo antes posible|cuanto antes|inmediatamente|lo mas pronto posible|des que possible|au plus vite|immediatement|tout de suite)\b/g,
    resolve: (_m, today) => addDays(today, ASAP_DAYS),
  },
  {
    // "we needed it yesterday", or "yesterday" as the answer to "when?": as soon as possible
    pattern: /\b(needed (?:it|this|that) )?yesterday\b/g,
    resolve: (m, today, options) =>
      m[1] !== undefined || options.expecting === true ? addDays(today, ASAP_DAYS) : undefined,
  },
  {
    pattern: /\b(today|tomorrow|heute|morgen|hoy|manana|aujourd'hui|demain)\b/g,
    resolve: (m, today) =>
      addDays(today, ['today', 'heute', 'hoy', "aujourd'hui"].includes(m[1] ?? '') ? 0 : 1),
  },
];

const CONTRASTED_MONTH = new RegExp(
  `^\\s*,?\\s*(?:not|instead of|rather than|nicht|no|pas)\\s+(?:in\\s+|by\\s+)?(?:${MONTH_PATTERN})\\b`,
);
const DAY_LEAD =
  /\b(?:by|before|until|till|due|on|no later than|bis(?: zum)?|vor dem|am|avant le|le|d'ici le|antes del?|hasta el|para el|el|ate|ate o dia)\s+(?:the\s+)?$/;

function ordinalWord(raw: string | undefined): string {
  return (
    ({ '1st': 'first', '2nd': 'second', '3rd': 'third', '4th': 'fourth' } as Record<string, string>)[
      raw ?? ''
    ] ??
    raw ??
    ''
  );
}

function date(y: number, m: number, d: number): Ymd | undefined {
  return isValidDate(y, m, d) ? { y, m, d } : undefined;
}

function toIso(date: Ymd): string {
  return toIsoDate(date);
}
