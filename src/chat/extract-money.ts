import type { BudgetPeriod } from '../leads/index.ts';
import type { MoneyValue } from './slot-values.ts';
import { fold, NUMBER_WORD_PATTERN, parseCount, parseNumber, type Span } from './text.ts';

/** One amount or range of money found in a message. */
export interface MoneyMatch extends Span {
  value: MoneyValue;
  /** The currency was written (`$`, `euros`, `CHF`) rather than defaulted. */
  explicitCurrency: boolean;
  /** Clearly money: a currency or a multiplier (`50k`) or a budget word close by. */
  clear: boolean;
}

/** How to read amounts in one message. */
export interface MoneyOptions {
  /** Used when the message names no currency (the slot's default, or the previous answer's). */
  defaultCurrency: string;
  /** The visitor was just asked about money, so a bare number is an amount. */
  expecting: boolean;
  /** `mil` means a thousand in Spanish and a million in English slang. */
  language?: string;
}

const CURRENCY_SYMBOLS: Record<string, string> = {
  us$: 'USD',
  c$: 'CAD',
  ca$: 'CAD',
  a$: 'AUD',
  au$: 'AUD',
  $: 'USD',
  '€': 'EUR',
  '£': 'GBP',
  '¥': 'JPY',
  '₹': 'INR',
  r$: 'BRL',
};
const CURRENCY_CODES =
  'usd eur gbp jpy chf cad aud nzd sek nok dkk pln czk inr brl mxn sgd hkd cny zar'.split(' ');
const CURRENCY_WORDS: Record<string, string> = {
  dollars: 'USD',
  dollar: 'USD',
  dolares: 'USD',
  dolar: 'USD',
  bucks: 'USD',
  euros: 'EUR',
  euro: 'EUR',
  pounds: 'GBP',
  pound: 'GBP',
  quid: 'GBP',
  sterling: 'GBP',
  yen: 'JPY',
  francs: 'CHF',
  franc: 'CHF',
  franken: 'CHF',
  rupees: 'INR',
  rupee: 'INR',
  pesos: 'MXN',
  'pesos mexicanos': 'MXN',
  'pesos argentinos': 'ARS',
  'pesos colombianos': 'COP',
  'pesos chilenos': 'CLP',
  reais: 'BRL',
  reales: 'BRL',
  zloty: 'PLN',
  zlotys: 'PLN',
  zlotych: 'PLN',
  złoty: 'PLN',
  złotych: 'PLN',
  zł: 'PLN',
  yuan: 'CNY',
  rmb: 'CNY',
  rand: 'ZAR',
};
const DOLLAR_QUALIFIERS: Record<string, string> = {
  canadian: 'CAD',
  australian: 'AUD',
  'new zealand': 'NZD',
  singapore: 'SGD',
  'hong kong': 'HKD',
  us: 'USD',
};

const escapeRegex = (s: string) => s.replace(/[$.*+?()[\]{}|^\\]/g, '\\$&');
const byLength = (a: string, b: string) => b.length - a.length;
const PREFIX = [...Object.keys(CURRENCY_SYMBOLS), ...CURRENCY_CODES]
  .sort(byLength)
  .map(escapeRegex)
  .join('|');
const SUFFIX = [...Object.keys(CURRENCY_SYMBOLS), ...CURRENCY_CODES, ...Object.keys(CURRENCY_WORDS)]
  .sort(byLength)
  .map(escapeRegex)
  .join('|');
const MULTIPLIER =
  'lakhs?|lacs?|crores?|k|thousand|grand|tsd\\.?|tausend|mil|mille|millions?|millionen|millones|millon|mio\\.?|mm|mn|m|billions?|bn|b|mrd\\.?|milliards?';
const NUMBER = "\\d{1,3}(?:[ \\u00a0\\u202f]\\d{3})+(?!\\d)|\\d[\\d.,']*\\d|\\d";

// "between five and ten thousand": the first number of a range borrows the second's multiplier.
const WORD_RANGE_TO_MULTIPLIER = `(?:and|to|or|-)\\s+(?:${NUMBER_WORD_PATTERN})\\s+(?:thousand|grand|million)\\b`;
const WORD_RANGE_AFTER = new RegExp(`^\\s*${WORD_RANGE_TO_MULTIPLIER}`, 'u');
const AMOUNT = new RegExp(
  `(?<![\\p{L}\\d.,$€£])(?:(?<pre>${PREFIX})\\s?)?(?:(?<num>${NUMBER})|(?<word>half a|${NUMBER_WORD_PATTERN})\\s+(?=(?:thousand|grand|million|k)\\b|${WORD_RANGE_TO_MULTIPLIER}))` +
    `(?:\\s?(?<mult>${MULTIPLIER})(?![\\p{L}\\d]))?(?:\\s?(?<post>${SUFFIX})(?![\\p{L}]))?`,
  'gu',
);

const NOT_MONEY_AFTER =
  /^\s*(?:%|percent|per ?cent|months?|monate?n?|mes(?:es)?|mois|weeks?|wochen?|semanas?|semaines?|days?|tage?n?|dias?|jours?|years?|yrs?|jahren?|anos?|ans?|employees|people|persons?|staff|users?|seats?|licen[cs]es|leads|calls|emails|hours?|hrs?|minutes?|mins?|times|x\b|mitarbeiter\w*|angestellte|personen|leute|empleados|personas|trabajadores|salaries|employes|personnes|reps|engineers|developers|agents|people|sales ?reps|members|customers|clients|accounts|locations|offices|countries|st\b|nd\b|rd\b|th\b|pm\b|am\b|o'?clock|uhr)(?![\p{L}])/u;
const MONTHLY_AFTER =
  /^\s*(?:(?:per|a|an|each|every|at|by|in a|\/)\s*(?:month|mo)\b|\/\s*(?:mo|mois|mes|monat|mon)\b|monthly|pro monat|im monat|monatlich|al mes|por mes|ao mes|mensuales?|mensais?|mensalmente|par mois|mensuels?)/u;
const QUARTERLY_AFTER =
  /^\s*(?:(?:per|a|an|each|every|at|by|in a|\/)\s*(?:quarter|quater|qtr|q)\b|quarterly|pro quartal|im quartal|por trimestre|al trimestre|par trimestre|trimestriel)/u;
const YEARLY_AFTER =
  /^\s*(?:(?:per|a|an|one|each|every|by|in a|\/)\s*(?:year|yr|annum|anno)\b|\/\s*(?:y|an|ano|jahr|j)\b|annual(?:ly)?|yearly|p\.?\s?a\.?(?![\p{L}])|pro jahr|im jahr|jahrlich|al ano|por ano|ao ano|anuales?|anuais|par an\b|annuels?|for (?:the|a|one|the whole|the full|the entire) year\b)/u;
const PERIOD_AFTER = new RegExp(
  [MONTHLY_AFTER, QUARTERLY_AFTER, YEARLY_AFTER].map((pattern) => `(?:${pattern.source})`).join('|'),
  'u',
);
// No budget period is shorter than a month: a weekly amount is kept as the year it makes.
const WEEKLY_AFTER =
  /^\s*(?:(?:per|a|an|each|every|\/)\s*(?:week|wk)\b|weekly|pro woche|por semana|par semaine)/u;
const WEEKS_PER_YEAR = 52;
// "a monthly budget of 2k", "annual spend around 50k": the period named before the amount.
const PERIOD_BEFORE =
  /\b(?:(monthly|per month|a month|monatlich\w*|mensual\w*|mensuel\w*)|(quarterly|per quarter)|(annual|yearly|per year|a year|jahrlich\w*|jahres\w*|anual\w*|annuel\w*))\b[^.;!?\d]{0,25}$/u;
const PER_SEAT_AFTER = /^\s*(?:per|a|each|\/)\s*(?:user|seat|head|license|licence|agent|rep)s?\b/u;
const PER_UNIT_AFTER =
  /^\s*(?:per|a|each|\/)\s*(?:user|seat|head|license|licence|lead|contact|employee)s?\b/u;
const BUDGET_WORDS =
  /\b(?:budget\w*|spend\w*|afford|invest\w*|allocat\w*|set aside|pay|paying|price range|ballpark|presupuesto|etat|kosten|ausgeben|gastar|depenser|cost\w*)\b/u;
const UPPER_BOUND =
  /(?:up to|upto|under|below|less than|no more than|not more than|not exceeding|max(?:imum)?|at most|(?:ceiling|cap|limit|upper limit)(?: is| of|:)?|bis zu|hochstens|maximal|unter|hasta|menos de|como maximo|jusqu'?a|moins de|au plus|au maximum)\s*$/u;
const CURRENCY_ANYWHERE = new RegExp(
  `(?<![\\p{L}])(?:${[...CURRENCY_CODES, ...Object.keys(CURRENCY_WORDS)].sort(byLength).join('|')})(?![\\p{L}])`,
  'gu',
);
// "10 000 € maximum", "15k tops": the bound said after the amount.
const UPPER_BOUND_AFTER =
  /^\s*(?:max(?:imum)?\b|max\.|tops\b|at (?:the )?most\b|or less\b|at the outside\b)/u;
const RANGE_LINK = /^\s*(?:-|–|—|to|and|or|bis|und|oder|a|y|o|et|ou)\s*$/u;
// "40k, maybe up to 60k", "30k, could stretch to 45k"
const STRETCH_LINK =
  /^\s*,?\s*(?:(?:and|but|or|maybe|possibly|perhaps|potentially|probably|could|can|we could|we can|might)\s+)*(?:even\s+)?(?:go\s+|stretch\s+|be\s+)?(?:up to|as much as|max(?:imum)?|at most|to|stretching to|going up to|vielleicht bis zu|bis zu|hasta|jusqu'?a)\s*$/u;

interface Token extends Span {
  amount: number;
  period: BudgetPeriod;
  perSeat: boolean;
  multiplier: number | undefined;
  currency: string | undefined;
  clear: boolean;
}

function multiplierValue(
  raw: string | undefined,
  base: number,
  options: MoneyOptions,
  clearContext: boolean,
  iberian: boolean,
) {
  if (raw === undefined) return undefined;
  const m = raw.replace(/\.$/, '');
  if (['k', 'thousand', 'grand', 'tsd', 'tausend', 'mille'].includes(m)) return 1_000;
  if (/^(?:lakh|lac)s?$/.test(m)) return 100_000;
  if (/^crores?$/.test(m)) return 10_000_000;
  if (m === 'mil')
    return options.language === 'es' || options.language === 'pt' || iberian
      ? 1_000
      : base < 10
        ? 1_000_000
        : 1_000;
  if (['b', 'bn', 'billion', 'billions', 'mrd', 'milliard', 'milliards'].includes(m)) {
    return clearContext ? 1_000_000_000 : undefined;
  }
  if (m === 'm' || m === 'mm' || m === 'mn') return clearContext ? 1_000_000 : undefined;
  return 1_000_000;
}

function currencyOf(pre: string | undefined, post: string | undefined, before: string): string | undefined {
  const raw = pre ?? post;
  if (raw === undefined) return undefined;
  const symbol = CURRENCY_SYMBOLS[raw];
  if (symbol !== undefined) return symbol;
  if (CURRENCY_CODES.includes(raw)) return raw.toUpperCase();
  const word = CURRENCY_WORDS[raw];
  if (word === 'USD') {
    for (const [qualifier, code] of Object.entries(DOLLAR_QUALIFIERS)) {
      if (before.endsWith(`${qualifier} `)) return code;
    }
  }
  return word;
}

const IBERIAN_CURRENCIES = new Set(['BRL', 'MXN', 'ARS', 'COP', 'CLP', 'PEN', 'UYU']);
const IBERIAN_WORDS =
  /(?<![\p{L}])(?:por|al|ao|mes|ano|anual|mensal|mensual|reais|real|pesos|soles|unos|unas|uns|umas|alrededor|cerca|aproximadamente|presupuesto|orcamento|euros)(?![\p{L}])/u;

// "we get 500 a month", "we book 40 a week": a count of things that come in, not money.
const COUNT_VERB_BEFORE =
  /\b(?:get|gets|getting|receive|receives|handle|handles|see|sees|generate|generates|process|processes|book|books|close|closes|sign|signs|send|sends|leads?|calls?|demos?|enquiries|inquiries|requests?|visitors?|orders?|deals?)\s+(?:(?:about|around|roughly|maybe|like|some|over|almost|nearly)\s+)?$/u;

/** "maybe 500 a month" in a message about buying: an amount said per month or year is a price. */
function pricedPerPeriod(folded: string, start: number, end: number): boolean {
  const after = folded.slice(end);
  if (!MONTHLY_AFTER.test(after) && !YEARLY_AFTER.test(after)) return false;
  return !COUNT_VERB_BEFORE.test(folded.slice(Math.max(0, start - 30), start));
}

function tokenize(folded: string, options: MoneyOptions): Token[] {
  const tokens: Token[] = [];
  for (const match of folded.matchAll(AMOUNT)) {
    const groups = match.groups ?? {};
    const start = match.index;
    let end = start + match[0].length;
    while (end > start && /\s/.test(folded[end - 1] ?? '')) end--;
    const base = groups.num !== undefined ? parseNumber(groups.num) : wordAmount(groups.word);
    if (base === undefined) continue;
    const before = folded.slice(Math.max(0, start - 40), start);
    const after = folded.slice(end);
    // Lakhs and crores are counted in rupees.
    const currency =
      currencyOf(groups.pre, groups.post, before) ??
      (/^(?:lakh|lac|crore)/.test(groups.mult ?? '') ? 'INR' : undefined);
    const anchored = BUDGET_WORDS.test(before) || /^\s*(?:budget|presupuesto)\b/u.test(after);
    const multiplier = multiplierValue(
      groups.mult,
      base,
      options,
      currency !== undefined || anchored || options.expecting,
      // "R$ 4 mil", "2 mil reais por mes": Spanish or Portuguese words around make "mil" a thousand.
      IBERIAN_CURRENCIES.has(currency ?? '') || IBERIAN_WORDS.test(folded),
    );
    if (groups.mult !== undefined && multiplier === undefined) {
      end = start + match[0].indexOf(groups.mult, (groups.pre?.length ?? 0) + (groups.num?.length ?? 0));
      while (end > start && /\s/.test(folded[end - 1] ?? '')) end--;
    }
    if (groups.word !== undefined && multiplier === undefined && !WORD_RANGE_AFTER.test(folded.slice(end)))
      continue;
    // "2k leads a month", "40 hours": a count of something else, whatever its multiplier.
    if (currency === undefined && NOT_MONEY_AFTER.test(folded.slice(end))) continue;
    const perSeat = PER_SEAT_AFTER.test(folded.slice(end)) && currency !== undefined;
    if (PER_UNIT_AFTER.test(folded.slice(end)) && groups.mult === undefined && !perSeat) continue;
    const yearLike = groups.num !== undefined && /^(19|20)\d\d$/.test(groups.num);
    // "between 2000 and 3000 euros": a range's low end, not a year.
    const rangeStart =
      /^\s*(?:-|–|to|and)\s*(?!(?:19|20)\d\d\b)\d/u.test(after) || /\bbetween\s*$/u.test(before);
    if (yearLike && currency === undefined && multiplier === undefined && !anchored && !rangeStart) continue;
    const weekly = WEEKLY_AFTER.test(folded.slice(end).replace(PER_SEAT_AFTER, ''));
    const amount = base * (multiplier ?? 1) * (weekly ? WEEKS_PER_YEAR : 1);
    tokens.push({
      start,
      end,
      amount,
      period: weekly ? 'year' : periodOf(folded, start, end),
      perSeat,
      multiplier: groups.mult === undefined ? undefined : multiplier,
      currency,
      clear:
        currency !== undefined ||
        groups.mult !== undefined ||
        anchored ||
        pricedPerPeriod(folded, start, end),
    });
  }
  return tokens;
}

/** The period stated after the amount ("2k a month", "€20 per seat per month") or before it. */
function periodOf(folded: string, start: number, end: number): BudgetPeriod {
  // Skip a per-seat phrase: "$30 per user per month".
  const after = folded.slice(end).replace(PER_SEAT_AFTER, '');
  if (MONTHLY_AFTER.test(after)) return 'month';
  if (QUARTERLY_AFTER.test(after)) return 'quarter';
  if (YEARLY_AFTER.test(after)) return 'year';
  const before = PERIOD_BEFORE.exec(folded.slice(Math.max(0, start - 45), start));
  if (before?.[1] !== undefined) return 'month';
  if (before?.[2] !== undefined) return 'quarter';
  if (before?.[3] !== undefined) return 'year';
  return 'one_off';
}

function wordAmount(word: string | undefined): number | undefined {
  if (word === undefined) return undefined;
  if (word.replace(/\s+/g, ' ') === 'half a') return 0.5;
  return parseCount(word);
}

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * Amounts and ranges of money: `50k`, `$1.2M`, `€15.000`, `between 10 and 20 thousand euros`,
 * `up to 30k` (0 to 30,000), `2k a month` (2,000 per `month`: amounts stay as stated for their period). Bare numbers count only when the visitor
 * was asked about money or a budget word is close by.
 */
export function extractMoney(text: string, options: MoneyOptions): MoneyMatch[] {
  const folded = fold(text);
  const tokens = tokenize(folded, options);
  // "about 20 grand, in pounds": one currency named anywhere applies to amounts written without one.
  const named = new Set(tokens.flatMap((t) => (t.currency === undefined ? [] : [t.currency])));
  for (const word of folded.match(CURRENCY_ANYWHERE) ?? []) {
    const code = currencyOf(undefined, word, '');
    if (code !== undefined) named.add(code);
  }
  if (named.size === 1) {
    const only = [...named][0];
    for (const token of tokens) {
      if (token.currency === undefined && token.clear) token.currency = only;
    }
  }
  const out: MoneyMatch[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const a = tokens[i];
    if (a === undefined) continue;
    const b = tokens[i + 1];
    const link = b === undefined ? '' : folded.slice(a.end, b.start);
    if (b !== undefined && (RANGE_LINK.test(link) || (STRETCH_LINK.test(link) && b.amount > a.amount))) {
      let low = a.amount;
      if (a.multiplier === undefined && b.multiplier !== undefined && a.amount * b.multiplier <= b.amount) {
        low = a.amount * b.multiplier;
      }
      // "2 to 3k a month": the period said after the range is the range's.
      const period = b.period !== 'one_off' ? b.period : a.period;
      const currency = a.currency ?? b.currency;
      const clear = a.clear || b.clear;
      if (clear || options.expecting) {
        out.push({
          start: a.start,
          end: b.end,
          value: {
            min: round(Math.min(low, b.amount)),
            max: round(Math.max(low, b.amount)),
            currency: currency ?? options.defaultCurrency,
            period,
            ...(a.perSeat || b.perSeat ? { unit: 'seat' as const } : {}),
          },
          explicitCurrency: currency !== undefined,
          clear,
        });
      }
      i++;
      continue;
    }
    if (!a.clear && !options.expecting) continue;
    const upper =
      UPPER_BOUND.test(folded.slice(Math.max(0, a.start - 20), a.start)) ||
      // "20 dollars a month max": the bound may follow the amount's period.
      UPPER_BOUND_AFTER.test(
        folded
          .slice(a.end, a.end + 40)
          .replace(PER_SEAT_AFTER, '')
          .replace(PERIOD_AFTER, ''),
      );
    out.push({
      start: a.start,
      end: a.end,
      value: {
        min: upper ? 0 : round(a.amount),
        max: round(a.amount),
        currency: a.currency ?? options.defaultCurrency,
        period: a.period,
        ...(a.perSeat ? { unit: 'seat' as const } : {}),
      },
      explicitCurrency: a.currency !== undefined,
      clear: a.clear,
    });
  }
  // "zero, it's for university": asked about money, a budget of nothing is a budget.
  const zero =
    options.expecting && out.length === 0 ? /^\W*(?:zero|cero|nil|null)(?![\p{L}])/u.exec(folded) : null;
  if (zero !== null) {
    const start = zero[0].length - zero[0].trimStart().length;
    const value = { min: 0, max: 0, currency: options.defaultCurrency, period: 'one_off' as const };
    out.push({ start, end: zero[0].length, value, explicitCurrency: false, clear: true });
  }
  return out;
}

/** Formats an amount the way the extractor reads it back (`$50,000`), for property tests and replies. */
export function formatMoneyAmount(amount: number, currency: string, locale = 'en-US'): string {
  return new Intl.NumberFormat(locale, { style: 'currency', currency, maximumFractionDigits: 0 }).format(
    amount,
  );
}
