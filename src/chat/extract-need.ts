import { contentWords, fold, type Span } from './text.ts';

/** A need or pain statement found in a message. */
export interface NeedMatch extends Span {
  value: string;
  /** Found through a need phrase ("we need", "struggling with") rather than taken whole. */
  cued: boolean;
}

// Phrases that state a want ("we need a CRM"): the clause holding one states the need.
const WANT_CUES = [
  "(?:we|i)(?:'re| are|'m| am)?\\s+(?:really |urgently |mainly |basically |mostly |desperately |just |also )?(?:need(?:s)?|want(?:s)?|wanna|would like|would love|are looking|'re looking|am looking|'m looking|are hoping|'re hoping|hope|plan|are planning|'re planning|are trying|'re trying|am trying|'m trying|aim|are aiming|have to|must)(?:\\s+(?:for|to|with|is))?",
  "(?:we|i)'d (?:like|love)(?:\\s+to)?",
  // Said for someone else: "she wants one place where…", "our reps need…", "the team needs…".
  '(?:she|he|they|my boss|our boss|the team|our team|(?:our|my|the) (?:[\\p{L}-]+ )?(?:team|reps|staff|agents|people|manager|boss|ceo|cfo|cmo|founder|owner))\\s+(?:really |urgently |just |also )?(?:needs?|wants?|would like)(?:\\s+(?:for|to|with))?',
  // Non-native forms: "we search a tool for…", "we are searching a CRM", "I look for a way to…".
  "(?:we|i)(?:'re| are|'m| am)?\\s+(?:search(?:ing)?|seek(?:ing)?|look(?:ing)? for)(?:\\s+for)?",
  // Terse, with no subject at all: "vp sales, need lead routing by march".
  '^\\s*(?:really |urgently |also |just )?(?:need|needs|want|wanna)(?=\\s+(?:a|an|to|some|more|better|help|lead|leads|our|the|[\\p{L}-]+ing)\\b)(?:\\s+(?:for|to|with))?',
  // The subject carried over from an earlier clause: "we have a budget of 50k and need a CRM".
  '(?:and|but|so)\\s+(?:really |urgently |also )?(?:need|want)(?:\\s+(?:for|to|with))?',
  "(?:main |biggest |key |big )?(?:challenge|problem|pain point|pain|issue)s?(?:\\s+(?:is|was|here is|here's)(?:\\s+(?:simple|easy|this|basically))?)?\\s*:",
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
// Phrases that state a pain ("we're losing leads because...").
const PAIN_CUES = [
  "(?:we(?:'re| are)?|i(?:'m| am)?)\\s+(?:constantly |always |still )?(?:losing|wasting|missing|drowning in|spending too much|struggling|lose|waste|miss|struggle|spend too much|keep losing|keep missing|not able to|unable to|can'?t|cannot|have trouble|have a hard time|have problems|have issues|have difficulty)",
  "(?:it'?s|it is)\\s+(?:really |very |too )?(?:hard|difficult|painful|a pain|impossible|slow)\\s+to",
  'too much (?:time|money|manual work|effort)',
  '(?:wir|ich)\\s+(?:haben probleme|kampfen|verlieren|verschwenden)',
  '(?:tenemos problemas|perdemos|estamos perdiendo)',
  '(?:nous perdons|on perd|nous avons du mal)',
];
const WANT = new RegExp(`(?<![\\p{L}'])(?:${WANT_CUES.join('|')})(?![\\p{L}])\\s*`, 'gu');
const PAIN = new RegExp(`(?<![\\p{L}'])(?:${PAIN_CUES.join('|')})(?![\\p{L}])`, 'gu');

// Clauses whose content words are all of these only say when or how to buy, not what is needed.
const GENERIC = new Set(
  (
    'go live start started launch buy purchase sign decide implement roll rollout out get started move forward ' +
    'spend invest have done it this something soon asap quickly fast begin kick off talk chat call meet speak ' +
    'demo know learn more find see check look around browse browsing pricing price cost costs quote everything ' +
    'solution tool software product help info information first possible stuff thing things get place ready ' +
    'running live up done set sorted budget actually closer timeline deadline role title company employees ' +
    'people team size around about roughly approximately maybe probably thanks thank cheers browsing evaluating ' +
    'options looking prices bye know curious need needs want wants like would love hope hoping plan planning ' +
    'trying try looking interested sorry meant mean got approved ok okay yes yeah sure hi hello hey need ' +
    'solved fixed sorted handled addressed done'
  ).split(' '),
);
const SLOT_CLAUSE =
  /^(?:our |the |my )?(?:budget|timeline|deadline|time ?frame|i'?m |i am |my role|my name|we'?re (?:a |an )?\d|we have (?:a |about )?\d|we are (?:a |an )?\d|as (?:a|the) |(?:and|with) (?:a |our |the )?budget|reporting to|report to|i report|(?:just |i'?m |i am )?(?:gathering|collecting|getting|comparing|requesting) (?:a few |some )?(?:quotes|offers|proposals|bids|info|information|prices|pricing|options)|on behalf of|researching)/;
const FILLER =
  /^(?:(?:hi|hello|hey|good (?:morning|afternoon|evening|day)|hi there|hello there|hola|buenos dias|buenas tardes|buenas|hallo|guten tag|guten morgen|moin|servus|bonjour|salut|bonsoir|ola|oi|bom dia|boa tarde|well|so|ok|okay|yeah|yes|sure|basically|honestly|mainly|mostly|mostly just|um+|uh+|hmm+|right|thanks|thank you|i guess|i think|i'd say|probably|and|but|also|plus|then)[,.!\s]+)+/;
const TAKEN_BACK = /^(?:sorry[,.!]?\s+|no[,.!]?\s+)?not (?:a |an |the |really |just )?\S/;
const QUESTION_START =
  /^(?:do|does|did|can|could|would|will|is|are|was|how|what|which|who|where|when|why|any|have you|has)\b/;
const TRAILING_CONNECTOR =
  /\s+(?:and|but|so|by|within|in|around|about|of|for|with|at|to|the|a|an|our|is|are|was|before|until|till|starting|from|on|maybe|roughly|approximately|under|over|up|budget)$/iu;

const TRAILING_CONJUNCTION = /\s+(?:and|but|so)$/iu;

/** The character other extractors' spans are masked with. */
const CLAIMED = '\u0000';

interface Clause extends Span {
  kind: 'need' | 'plain' | 'slot' | 'filler' | 'question';
  /** Where the need phrase starts, when the clause has one. */
  cue?: number;
}

function cueAt(folded: string, clause: Span): number | undefined {
  const text = folded.slice(clause.start, clause.end);
  let at: number | undefined;
  for (const pattern of [WANT, PAIN]) {
    pattern.lastIndex = 0;
    const match = pattern.exec(text);
    if (match !== null && (at === undefined || match.index < at)) at = match.index;
  }
  return at === undefined ? undefined : clause.start + at;
}

/** Cuts a sentence at commas, dashes, brackets and " and / but " into clauses, each classified. */
function clausesOf(folded: string, masked: string, sentence: Span, question: boolean): Clause[] {
  const out: Clause[] = [];
  const boundary = /\s*[,(){}[\]]\s*|\s+[-–—]\s+|\s+(?=(?:and|but|plus|also|then)\s)/gu;
  let from = sentence.start;
  const body = folded.slice(sentence.start, sentence.end);
  const cuts: Span[] = [];
  for (const m of body.matchAll(boundary))
    cuts.push({ start: sentence.start + m.index, end: sentence.start + m.index + m[0].length });
  cuts.push({ start: sentence.end, end: sentence.end });
  for (const cut of cuts) {
    const span = { start: from, end: cut.start };
    from = cut.end;
    if (span.end <= span.start) continue;
    const text = folded.slice(span.start, span.end).trim();
    const leading = FILLER.exec(`${text} `)?.[0].length ?? 0;
    const rest = text.slice(Math.min(leading, text.length));
    const cue = cueAt(folded, span);
    const claimed = masked.slice(span.start, span.end).includes(CLAIMED);
    const words = contentWords(rest.replaceAll(CLAIMED, ' '));
    let kind: Clause['kind'];
    if (cue === undefined && (claimed || SLOT_CLAUSE.test(rest))) kind = 'slot';
    // "sorry, not a CRM — we need…": what the visitor takes back is not part of the need.
    else if (cue === undefined && TAKEN_BACK.test(rest)) kind = 'filler';
    else if (words.every((w) => GENERIC.has(w))) kind = cue === undefined ? 'filler' : 'slot';
    else if (question && cue === undefined && QUESTION_START.test(rest)) kind = 'question';
    else kind = cue === undefined ? 'plain' : 'need';
    out.push({ ...span, kind, ...(cue !== undefined ? { cue } : {}) });
  }
  return out;
}

function sentencesOf(folded: string): Array<Span & { question: boolean }> {
  const out: Array<Span & { question: boolean }> = [];
  let from = 0;
  for (const m of folded.matchAll(/[.!?;\n]+(?=\s|$)|[!?;\n]+/g)) {
    if (m.index > from) out.push({ start: from, end: m.index, question: m[0].includes('?') });
    from = m.index + m[0].length;
  }
  if (from < folded.length) out.push({ start: from, end: folded.length, question: false });
  return out;
}

/** The readable span of a run of clauses: filler and connectors off the ends, cut before a claimed tail. */
function spanOf(original: string, folded: string, masked: string, run: Clause[]): NeedMatch | undefined {
  const first = run[0] as Clause;
  const last = run[run.length - 1] as Clause;
  let start = first.start;
  let end = last.end;
  // "As the CTO I need…": start at the need phrase when another slot's words come before it.
  const cue = run.find((c) => c.cue !== undefined)?.cue;
  const claimedBefore = cue !== undefined && masked.slice(start, cue).includes(CLAIMED);
  if (claimedBefore && cue !== undefined) start = cue;
  const firstClaim = masked.indexOf(CLAIMED, start);
  // Cut before another slot's words ("we need it by | March"): the word left dangling goes too. A
  // clause that ends on its own keeps its last word ("our pipeline is drying up", "follow up").
  const cut = firstClaim >= 0 && firstClaim < end;
  if (cut) end = firstClaim;
  let text = original.slice(start, end);
  const lead = FILLER.exec(`${fold(text)} `)?.[0].length ?? 0;
  text = text.slice(Math.min(lead, text.length));
  start += original.slice(start, end).length - text.length;
  let previous = '';
  while (previous !== text) {
    previous = text;
    text = text.replace(/[\s,;:.!?(–—-]+$/u, '').replace(cut ? TRAILING_CONNECTOR : TRAILING_CONJUNCTION, '');
  }
  text = text.replace(/^[\s,;:.!?)–—-]+/u, '');
  const words = contentWords(text);
  if (words.length === 0 || words.every((w) => GENERIC.has(w))) return undefined;
  if (text.length > 200) text = text.slice(0, 200).replace(/\s+\S*$/u, '');
  void folded;
  return { start, end: start + text.length, value: text, cued: run.some((c) => c.kind === 'need') };
}

/**
 * The visitor's own clause that states a need or pain, whole: "we lose internet leads because
 * nobody calls back quickly", never a fragment with words cut out. The message is cut into
 * sentences and clauses; clauses holding another slot's words (a role, a budget, a date: `masked`
 * marks them with NUL) or only greetings end a run, and the best run of clauses is returned as one
 * contiguous span of the message. A run with a need phrase ("we need", "struggling with") wins; with
 * `expecting`, the longest plain run counts too. Questions to the bot are never a need.
 */
export function extractNeed(
  text: string,
  masked: string,
  expecting: boolean,
  minWords = 2,
): NeedMatch | undefined {
  const folded = fold(text);
  const source = text.length > 0 ? text : masked.replaceAll(CLAIMED, ' ');
  const foldedSource = text.length > 0 ? folded : fold(source);
  const runs: Clause[][] = [];
  for (const sentence of sentencesOf(foldedSource)) {
    let run: Clause[] = [];
    for (const clause of clausesOf(foldedSource, masked, sentence, sentence.question)) {
      if (clause.kind === 'need' || clause.kind === 'plain') run.push(clause);
      else if (clause.kind === 'filler' && run.length === 0) continue;
      else {
        if (run.length > 0) runs.push(run);
        run = [];
      }
    }
    if (run.length > 0) runs.push(run);
  }
  const candidates = runs
    .map((run) => spanOf(source, foldedSource, masked, run))
    .filter((c): c is NeedMatch => c !== undefined && contentWords(c.value).length >= Math.min(minWords, 2));
  const byWords = (a: NeedMatch, b: NeedMatch) => contentWords(b.value).length - contentWords(a.value).length;
  const cued = candidates.filter((c) => c.cued).sort(byWords)[0];
  if (cued !== undefined) return withAntecedent(source, cued, candidates);
  if (!expecting) return undefined;
  const plain = candidates.filter((c) => contentWords(c.value).length >= minWords).sort(byWords)[0];
  return plain === undefined ? undefined : { ...plain, cued: false };
}

// "half are junk. Looking to fix that": the need phrase points back at the clause before it.
const POINTS_BACK = /\b(?:that|this|it|them|these|those)\s*$/iu;

/** A need phrase whose object is a pronoun, joined with the clause right before it when only punctuation parts them. */
function withAntecedent(source: string, need: NeedMatch, candidates: readonly NeedMatch[]): NeedMatch {
  if (!POINTS_BACK.test(need.value)) return need;
  // Where the need's words begin (its span may start at the punctuation before them).
  const start = source.indexOf(need.value, need.start);
  if (start < 0) return need;
  const before = candidates
    .filter((c) => c.end <= start && /^[\s,;:.!–—-]*$/u.test(source.slice(c.end, start)))
    .at(-1);
  if (before === undefined) return need;
  const end = start + need.value.length;
  return { ...need, start: before.start, end, value: source.slice(before.start, end) };
}

/** A free-text answer taken whole (less greetings and claimed words) when its question was asked. */
export function wholeAnswer(text: string, minWords = 2): NeedMatch | undefined {
  if (/\?\s*$/.test(text)) return undefined;
  const leading = FILLER.exec(fold(text))?.[0].length ?? 0;
  const value = text
    .slice(leading)
    .replace(/[\s,;:.!-]+$/u, '')
    .replace(/\s{2,}/g, ' ');
  const words = contentWords(value);
  if (words.length < minWords || words.every((w) => GENERIC.has(w))) return undefined;
  return { start: 0, end: text.length, value: value.slice(0, 200), cued: false };
}
