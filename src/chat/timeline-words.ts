/**
 * The words of time phrases: month names, units and periods in English, German, Spanish, French and
 * Portuguese,
 * the "next / this / end of" lead-ins the rules share, and the spelling repair for misspelt time words.
 */
import { createSpeller } from './spelling.ts';
import { NUMBER_WORD_PATTERN } from './text.ts';

export const MONTHS: Record<string, number> = {
  january: 1,
  jan: 1,
  januar: 1,
  enero: 1,
  janvier: 1,
  janeiro: 1,
  february: 2,
  feb: 2,
  februar: 2,
  febrero: 2,
  fevrier: 2,
  fevereiro: 2,
  march: 3,
  mar: 3,
  marz: 3,
  marzo: 3,
  mars: 3,
  marco: 3,
  april: 4,
  apr: 4,
  abril: 4,
  avril: 4,
  may: 5,
  mai: 5,
  maio: 5,
  mayo: 5,
  june: 6,
  jun: 6,
  juni: 6,
  junio: 6,
  juin: 6,
  junho: 6,
  july: 7,
  jul: 7,
  juli: 7,
  julio: 7,
  juillet: 7,
  julho: 7,
  august: 8,
  aug: 8,
  agosto: 8,
  aout: 8,
  september: 9,
  sep: 9,
  sept: 9,
  septiembre: 9,
  setiembre: 9,
  septembre: 9,
  setembro: 9,
  october: 10,
  oct: 10,
  oktober: 10,
  octubre: 10,
  octobre: 10,
  outubro: 10,
  november: 11,
  nov: 11,
  noviembre: 11,
  novembre: 11,
  novembro: 11,
  december: 12,
  dec: 12,
  dezember: 12,
  diciembre: 12,
  decembre: 12,
  dezembro: 12,
};
// Month names that are also common words need a preposition or a day next to them.
export const AMBIGUOUS_MONTHS = new Set([
  // "Marco" is also a name.
  'marco',
  'may',
  'march',
  'mar',
  'mai',
  'jun',
  'jan',
  'dec',
  'sep',
  'aug',
  'mars',
  'oct',
  'nov',
]);
export const MONTH_PATTERN = Object.keys(MONTHS)
  .sort((a, b) => b.length - a.length)
  .join('|');
export const MONTH_LEAD =
  /(?:by|in|before|until|till|end of|the end of|early|mid|mid-|late|around|from|starting|bis|im|ende|anfang|vor|en|para|antes de|a finales de|hasta|d'ici|fin|debut|avant|jusqu'en|ate|ate o fim de|ate o final de|fim de|final de|em|antes do|in early|in late|by early|by mid|by late|by the end of)\s*$/;

export const UNIT_WORDS: Record<string, 'day' | 'week' | 'month' | 'quarter' | 'year'> = {
  day: 'day',
  days: 'day',
  tag: 'day',
  tage: 'day',
  tagen: 'day',
  dia: 'day',
  dias: 'day',
  jour: 'day',
  jours: 'day',
  week: 'week',
  weeks: 'week',
  woche: 'week',
  wochen: 'week',
  semana: 'week',
  semanas: 'week',
  semaine: 'week',
  semaines: 'week',
  month: 'month',
  months: 'month',
  monat: 'month',
  monate: 'month',
  monaten: 'month',
  mes: 'month',
  meses: 'month',
  mois: 'month',
  quarter: 'quarter',
  quarters: 'quarter',
  quartal: 'quarter',
  quartale: 'quarter',
  quartalen: 'quarter',
  trimestre: 'quarter',
  trimestres: 'quarter',
  year: 'year',
  years: 'year',
  jahr: 'year',
  jahre: 'year',
  jahren: 'year',
  ano: 'year',
  anos: 'year',
  an: 'year',
  ans: 'year',
  annee: 'year',
  annees: 'year',
};
export const UNIT_PATTERN = Object.keys(UNIT_WORDS)
  .sort((a, b) => b.length - a.length)
  .join('|');
export const COUNT = `\\d{1,3}|${NUMBER_WORD_PATTERN}`;

export type Period = 'week' | 'month' | 'quarter' | 'year';
export const PERIOD_WORDS: Record<string, Period> = {
  week: 'week',
  woche: 'week',
  semana: 'week',
  semaine: 'week',
  month: 'month',
  monat: 'month',
  monats: 'month',
  mes: 'month',
  mois: 'month',
  quarter: 'quarter',
  quartal: 'quarter',
  quartals: 'quarter',
  trimestre: 'quarter',
  year: 'year',
  jahr: 'year',
  jahres: 'year',
  ano: 'year',
  annee: 'year',
};
export const PERIOD_PATTERN = Object.keys(PERIOD_WORDS).join('|');

export const NEXT =
  '(?:next|the next|the coming|coming|upcoming|nachste[nrs]?|im nachsten|proximo|proxima|el proximo|la proxima|siguiente)';
export const THIS = '(?:this|the current|current|diese[nrs]?|dieses|este|esta|ce|cette)';
export const END_OF =
  "(?:(?:by |before |until |at )?(?:the )?end of(?: the)?|ende (?:des|dieses|der)|fin(?:al)? de(?:l)?|fim d[eoa]|final d[eoa]|a finales del?|fin d[eu]l?'?|d'ici la fin d[eu]l?'?)";

// Misspelt time words ("next quater", "in 3 monts", "as soon as posible", "in 2 wks"). English only,
// and words that are common in their own right ("sprint", "match", "hours") are left as they are.
const PROTECTED = [
  'match',
  'matches',
  'mouth',
  'mouths',
  'sprint',
  'sprints',
  'string',
  'strings',
  'winner',
  'winners',
  'quartet',
  'hours',
];
export const repairSpelling = createSpeller(
  [
    ...Object.keys(MONTHS).filter((word) => word.length >= 5 && /^[a-z]+$/.test(word)),
    ...'months month weeks week years year days quarter quarters possible immediately within until beginning middle christmas summer spring autumn winter financial fiscal urgent urgently'.split(
      ' ',
    ),
  ],
  {
    mths: 'months',
    mnths: 'months',
    mos: 'months',
    mnth: 'month',
    wks: 'weeks',
    weks: 'weeks',
    wek: 'week',
    wk: 'week',
    yrs: 'years',
    yr: 'year',
    qtr: 'quarter',
    qtrs: 'quarters',
  },
  PROTECTED,
);
