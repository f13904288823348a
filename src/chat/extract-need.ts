import { contentWords, fold, type Span } from './text.ts';

/** A need or pain statement found in a message. */
export interface NeedMatch extends Span {
  value: string;
  /** Found through a need phrase ("we need", "struggling with") rather than taken whole. */
  cued: boolean;
}

// The words after these phrases are the need ("we need [a CRM]").
const WANT_CUES = [
  "(?:we|i)(?:'re| are|'m| am)?\\s+(?:really |urgently |mainly |basically |mostly |desperately |just |also )?(?:need(?:s)?|want(?:s)?|wanna|would like|would love|are looking|'re looking|am looking|'m looking|are hoping|'re hoping|hope|plan|are planning|'re planning|are trying|'re trying|am trying|'m trying|aim|are aiming|have to|must)(?:\\s+(?:for|to|with|is))?",
  "(?:we|i)'d (?:like|love)(?:\\s+to)?",
  // The subject carried over from an earlier clause: "we have a budget of 50k and need a CRM".
  '(?:and|but|so)\\s+(?:really |urgently |also )?(?:need|want)(?:\\s+(?:for|to|with))?',
  '(?:main |biggest |key |big )?(?:challenge|problem|pain point|pain|issue)s?\\s*:',
  '(?:(?:we|i)\\s+)?(?:looking for|looking to|looking into|need help with|need a way to|help (?:us|me)(?: with)?|interested in|in the market for|searching for|evaluating|shopping for|trying to|hoping to|want to|need to|goal is to)',
  '(?:our|my|the)\\s+(?:main |biggest |big |key |core |current |real |number one |#1 |primary )?(?:problem|challenge|pain(?: point)?|issue|goal|priority|need|bottleneck|struggle|headache|use case|objective|focus)s?\\s+(?:is|are|right now is|at the moment is|would be|being)(?:\\s+that)?:?',
  "(?:it'?s|it is|that'?s)\\s+about",
  '(?:wir|ich)\\s+(?:brauchen|brauche|suchen|suche|mochten|mochte|wollen|will|benotigen)',
  '(?:unser|unsere|mein|meine)\\s+(?:(?:gro(?:ss|ß)|haupt)te[sn]?\\s+)?(?:problem|ziel|hauptproblem|anliegen|herausforderung)\\s+ist',
  '(?:necesitamos|necesito|buscamos|busco|queremos|quiero|estamos buscando)',
  '(?:nuestro|mi)\\s+(?:mayor\\s+)?(?:problema|objetivo|reto|desafio)\\s+es',
  "(?:nous avons besoin|on a besoin|j'ai besoin)\\s+(?:d'|de |du |des )?|(?:nous cherchons|je cherche|on cherche|nous voulons|on veut|je veux)",
  '(?:notre|mon)\\s+(?:plus grand\\s+)?(?:probleme|objectif|defi)\\s+est',
];
// These phrases are part of the need ("[we're losing leads because...]").
const PAIN_CUES = [
  "(?:we(?:'re| are)?|i(?:'m| am)?)\\s+(?:constantly |always |still )?(?:losing|wasting|missing|drowning in|spending too much|struggling|not able to|unable to|can'?t|cannot|have trouble|have a hard time|have problems|have issues|have difficulty)",
  "(?:it'?s|it is)\\s+(?:really |very |too )?(?:hard|difficult|painful|a pain|impossible|slow)\\s+to",
  'too much (?:time|money|manual work|effort)',
  '(?:wir|ich)\\s+(?:haben probleme|kampfen|verlieren|verschwenden)',
  '(?:tenemos problemas|perdemos|estamos perdiendo)',
  '(?:nous perdons|on perd|nous avons du mal)',
];
const WANT = new RegExp(`(?<![\\p{L}'])(?:${WANT_CUES.join('|')})(?![\\p{L}])\\s*`, 'gu');
const PAIN = new RegExp(`(?<![\\p{L}'])(?:${PAIN_CUES.join('|')})(?![\\p{L}])`, 'gu');

// Captures that only say when or how to buy, not what is needed ("we want to [go live] next quarter").
const GENERIC = new Set(
  (
    'go live start started launch buy purchase sign decide implement roll rollout out get started move forward ' +
    'spend invest have done it this something soon asap quickly fast begin kick off talk chat call meet speak ' +
    'demo know learn more find see check look around browse browsing pricing price cost costs quote everything ' +
    'solution tool software product help info information first possible stuff thing things get place ready ' +
    'running live up done set sorted budget actually closer timeline deadline role title company employees ' +
    'people team size around about roughly approximately maybe probably thanks thank cheers browsing evaluating ' +
    'options looking prices bye know curious'
  ).split(' '),
);
const SLOT_CLAUSE =
  /^(?:our |the |my )?(?:budget|timeline|deadline|time ?frame|i'?m |i am |my role|we'?re (?:a |an )?\d|we have (?:a |about )?\d|we are (?:a |an )?\d|as (?:a|the) |and (?:our |the )?budget)/;
const FILLER =
  /^(?:(?:hi|hello|hey|good (?:morning|afternoon|evening|day)|hi there|hello there|well|so|ok|okay|yeah|yes|sure|basically|honestly|mainly|mostly|mostly just|um+|uh+|hmm+|right|thanks|thank you|i guess|i think|i'd say|probably)[,.!\s]+)+/;

/** The character other extractors' spans are masked with. */
const CLAIMED = '\u0000';

function cleanCapture(
  original: string,
  folded: string,
  start: number,
  end: number,
  masked: string,
): NeedMatch | undefined {
  let stop = end;
  for (let i = start; i < end; i++) {
    if (masked[i] === CLAIMED) {
      stop = i;
      break;
    }
  }
  const clauses = folded.slice(start, stop).split(/(?=,\s*|\s+(?:and|but|so|because|since|while)\s+)/);
  let length = 0;
  for (const [index, clause] of clauses.entries()) {
    const body = clause.replace(/^,\s*|^\s+(?:and|but|so)\s+/, '');
    if (index > 0 && SLOT_CLAUSE.test(body)) break;
    length += clause.length;
  }
  let text = original.slice(start, start + length);
  text = text
    .replace(/[\s,;:.!?-]+$/u, '')
    .replace(/\s+(?:and|but|so|by|within|in|around|about|of|for|with|at|to|the|a|an|our|is)$/iu, '');
  text = text.replace(/^[\s,;:.!?-]+/u, '');
  const words = contentWords(text);
  if (words.length === 0 || words.every((w) => GENERIC.has(w))) return undefined;
  if (text.length > 200) text = `${text.slice(0, 200).replace(/\s+\S*$/u, '')}`;
  return { start, end: start + length, value: text, cued: true };
}

/**
 * Need and pain statements: the words after "we need", "we're looking for", "our biggest problem is"
 * or the pain phrase itself ("we're losing leads because..."), cut at the next sentence or at a
 * clause about something else (budget, role, timeline). `masked` marks with NUL the spans other
 * extractors claimed. With `expecting`, a message without such a phrase is taken whole.
 */
export function extractNeed(
  text: string,
  masked: string,
  expecting: boolean,
  minWords = 2,
): NeedMatch | undefined {
  const folded = fold(text);
  const candidates: NeedMatch[] = [];
  const sentenceEnd = (from: number) => {
    const rest = folded.slice(from).search(/[.!?;\n](?:\s|$)|[!?;\n]/);
    return rest < 0 ? folded.length : from + rest;
  };
  for (const m of folded.matchAll(WANT)) {
    const start = m.index + m[0].length;
    const found = cleanCapture(text, folded, start, sentenceEnd(start), masked);
    if (found !== undefined) candidates.push(found);
  }
  for (const m of folded.matchAll(PAIN)) {
    const found = cleanCapture(text, folded, m.index, sentenceEnd(m.index), masked);
    if (found !== undefined) candidates.push(found);
  }
  const best = candidates
    .filter((c) => contentWords(c.value).length >= Math.min(minWords, 2))
    .sort((a, b) => contentWords(b.value).length - contentWords(a.value).length)[0];
  if (best !== undefined) return best;
  if (!expecting) return undefined;
  const rest = masked.split(CLAIMED).join(' ').replace(/ {2,}/g, ' ').trim();
  if (/\?\s*$/.test(rest)) return undefined;
  const leading = FILLER.exec(fold(rest))?.[0].length ?? 0;
  const value = rest
    .slice(leading)
    .replace(/[\s,;:.!-]+$/u, '')
    .replace(/\s{2,}/g, ' ');
  const words = contentWords(value);
  if (words.length < minWords || words.every((w) => GENERIC.has(w))) return undefined;
  return { start: 0, end: text.length, value: value.slice(0, 200), cued: false };
}
