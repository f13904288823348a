import type { CompanySizeValue } from './slot-values.ts';
import { fold, NUMBER_WORD_PATTERN, parseCount, parseNumber, type Span } from './text.ts';

/** A head count found in a message. */
export interface CompanySizeMatch extends Span {
  value: CompanySizeValue;
  /** Said with a company word (employees, people, a 50-person company); not a bare number. */
  clear: boolean;
}

const NUM = `\\d{1,3}(?:[,.' ]\\d{3})+|\\d+(?:[.,]\\d+)?\\s?k|\\d+|${NUMBER_WORD_PATTERN}`;
const PEOPLE =
  '(?:full[- ]time )?(?:employees|employes|people|persons|staff|staffers|ftes?|headcount|heads|folks|workers|colleagues|team members|people on staff|mitarbeiter(?:innen|inne|n)?|mitarbeitende[n]?|angestellte[n]?|beschaftigte[n]?|leute|personen|kollegen|empleados|personas|trabajadores|colaboradores|salaries|employes|personnes|collaborateurs)';
const APPROX =
  '(?:about|around|roughly|approximately|approx\\.?|nearly|almost|close to|over|more than|some|~|ca\\.?|circa|etwa|rund|ungefahr|knapp|uber|unos|unas|cerca de|mas de|alrededor de|environ|pres de|plus de)';
const PATTERNS: RegExp[] = [
  // 50-100 employees, between 50 and 100 people
  new RegExp(
    `\\b(?:between\\s+|from\\s+|zwischen\\s+|entre\\s+)?(${NUM})\\s*(?:-|–|to|and|bis|und|y|a|et)\\s*(${NUM})\\s+${PEOPLE}\\b`,
    'g',
  ),
  // about 200 employees, 1.5k staff, 200+ people
  new RegExp(`\\b(?:${APPROX}\\s+)?(${NUM})\\+?\\s+(?:(?:[\\p{L}-]+)\\s+)?${PEOPLE}\\b`, 'gu'),
  // a team of 15, company of 200, headcount of 300, we are 40 people strong
  new RegExp(
    `\\b(?:team|company|startup|business|firm|agency|organi[sz]ation|org|headcount|staff|workforce|unternehmen|firma|team|empresa|equipo|plantilla|entreprise|equipe|societe|effectif)\\s+(?:of|is|size is|of about|of around|von|mit|de|con|d'environ)\\s+(?:${APPROX}\\s+)?(${NUM})\\b`,
    'g',
  ),
  // a 50-person company, 200-strong team, 30 person startup
  new RegExp(`\\b(${NUM})[- ](?:person|people|man|employee|member|strong|head|mitarbeiter|personen)\\b`, 'g'),
];
const SOLO =
  /\b(?:just me|only me|one[- ]person (?:company|business|shop)|solo (?:founder|business|entrepreneur)|solopreneur|i work alone|ich bin allein|solo yo|je suis seul)\b/g;

function count(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const cleaned = raw.trim();
  const k = /^(\d+(?:[.,]\d+)?)\s?k$/.exec(cleaned);
  if (k?.[1] !== undefined) return Math.round(Number(k[1].replace(',', '.')) * 1000);
  if (/^\d/.test(cleaned)) {
    const n = parseNumber(cleaned.replace(/'/g, ''));
    return n === undefined ? undefined : Math.round(n);
  }
  return parseCount(cleaned);
}

/**
 * Company size: `about 200 employees`, `a team of 15`, `50-100 people`, `a 30-person startup`,
 * `just me`. With `expecting`, a bare number is read as a head count too.
 */
export function extractCompanySize(text: string, expecting = false): CompanySizeMatch[] {
  const folded = fold(text);
  const found: CompanySizeMatch[] = [];
  const push = (
    start: number,
    end: number,
    min: number | undefined,
    max: number | undefined,
    clear: boolean,
  ) => {
    if (min === undefined || max === undefined || min < 1 || max > 10_000_000) return;
    if (found.some((f) => f.start < end && start < f.end)) return;
    found.push({ start, end, value: { min: Math.min(min, max), max: Math.max(min, max) }, clear });
  };
  PATTERNS.forEach((pattern, index) => {
    for (const m of folded.matchAll(pattern)) {
      const a = count(m[1]);
      const b = index === 0 ? count(m[2]) : a;
      push(m.index, m.index + m[0].length, a, b, true);
    }
  });
  for (const m of folded.matchAll(SOLO)) push(m.index, m.index + m[0].length, 1, 1, true);
  if (expecting && found.length === 0) {
    const bare = new RegExp(
      `(?:^|\\s)(?:${APPROX}\\s+)?(\\d[\\d,.']*)(?:\\s*(?:-|to)\\s*(\\d[\\d,.']*))?\\+?(?=\\s*(?:[.!]|$))`,
      'g',
    );
    for (const m of folded.matchAll(bare)) {
      const a = count(m[1]);
      push(m.index, m.index + m[0].length, a, m[2] === undefined ? a : count(m[2]), false);
    }
  }
  return found.sort((x, y) => x.start - y.start);
}
