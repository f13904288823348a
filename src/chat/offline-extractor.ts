import { extractCompanySize } from './extract-company.ts';
import { extractContact } from './extract-contact.ts';
import { extractMoney } from './extract-money.ts';
import { extractNeed, wholeAnswer } from './extract-need.ts';
import { extractPerson } from './extract-person.ts';
import { extractRoles, type RoleMatch, selfAuthority } from './extract-role.ts';
import { extractTimeline, type TimelineMatch } from './extract-timeline.ts';
import { detectIntents, type Intent } from './intents.ts';
import type { Extraction, ExtractionContext, ExtractionField, SlotExtractor } from './slot-extractor.ts';
import { type AuthorityLevel, isMoney, type SlotType, type SlotValue } from './slot-values.ts';
import { fold, mask, type Span } from './text.ts';

const CORRECTION =
  /(?:^(?:sorry|no|nope|oops)[,.!]?\s+not\b|^(?:sorry|oops|my bad)\b(?![,.!]?\s+(?:i|we)\s+(?:don'?t|do not|can'?t|cannot)\b)|,\s*not\s+(?:in\s+|by\s+|the\s+)?\w+(?:\s+\w+)?\s*(?:[—–,.;!-]|$)|(?:^|[.!?,;]\s*)actually\b|\bactually,|\bactually (?:our|my|the|it'?s|its|we|i|make|more|closer|nearer|about|around|\d)|\b(?:correction|sorry,? (?:i|we) meant|i meant|i mean|make that|make it|or rather|scratch that|wait(?=,)|oops|quick update|update(?=:)|(?:has|have|it'?s|plans?) changed|changed (?:my mind|it)|change of plans?|revised|more like|closer to|to be (?:precise|exact)|not \S+ but|instead|eigentlich|korrektur|ich meinte|doch eher|en realidad|perdon|quise decir|mas bien|en fait|plutot|je voulais dire)\b)/;

const CONTRAST = /\b(?:but|however|though|although|whereas|aber|jedoch|pero|sin embargo|mais|cependant)\b/;
const NEGATED_BEFORE =
  /\b(?:not|instead of|rather than|nicht|statt|no|pas|plutot que)\s+(?:by|in|at|around|about|bis|im|en|para)?\s*$/;

const NOT_AN_ANSWER = new Set<Intent>(['skip', 'no', 'greeting', 'thanks', 'bot_question', 'handoff', 'bye']);

const DEFAULT_KEYWORDS: Partial<Record<SlotType, readonly string[]>> = {
  money: ['budget', 'spend', 'afford', 'invest', 'price', 'presupuesto'],
  timeline: ['timeline', 'deadline', 'go live', 'launch', 'start', 'by when', 'zeitplan', 'plazo', 'delai'],
  company_size: ['employees', 'people', 'team', 'company', 'headcount'],
};

interface Candidate extends Span {
  value: SlotValue;
  clear: boolean;
}

/**
 * How far (in characters) the nearest keyword of the field is from the value: 45 characters
 * before it or 12 after count. The type's default keywords count only when `withDefaults`.
 */
function keywordDistance(folded: string, span: Span, field: ExtractionField, withDefaults: boolean): number {
  const words = [
    ...field.keywords,
    field.slot.replace(/_/g, ' '),
    ...(withDefaults ? (DEFAULT_KEYWORDS[field.type] ?? []) : []),
  ];
  const from = Math.max(0, span.start - 45);
  const before = folded.slice(from, span.start);
  const after = folded.slice(span.end, Math.min(folded.length, span.end + 12));
  let best = Number.POSITIVE_INFINITY;
  for (const raw of words) {
    const word = fold(raw);
    if (word.length < 2) continue;
    const b = before.lastIndexOf(word);
    if (b >= 0) best = Math.min(best, before.length - b - word.length);
    const a = after.indexOf(word);
    if (a >= 0) best = Math.min(best, a);
  }
  return best;
}

function anchoredTo(folded: string, span: Span, field: ExtractionField): boolean {
  return keywordDistance(folded, span, field, true) < Number.POSITIVE_INFINITY;
}

/**
 * Shares candidates of one type among the fields of that type: a keyword next to the value picks
 * the field, then the field just asked about, then the first one still open. With a correction
 * the last candidate wins, otherwise the first.
 */
function assign(
  type: SlotType,
  candidates: Candidate[],
  context: ExtractionContext,
  folded: string,
  correction: boolean,
  out: Extraction,
): void {
  const fields = context.fields.filter((f) => f.type === type);
  if (fields.length === 0 || candidates.length === 0) return;
  // "by April, not February": a negated value is what the visitor takes back.
  let kept = candidates.filter((c) => !NEGATED_BEFORE.test(folded.slice(Math.max(0, c.start - 16), c.start)));
  // "200k for tooling, but for this maybe 30k": after a contrast, the later value is the answer.
  const contrast = kept.findLastIndex(
    (c, i) => i > 0 && CONTRAST.test(folded.slice(kept[i - 1]?.end ?? 0, c.start)),
  );
  if (contrast > 0) kept = kept.slice(contrast);
  // "march not april" with "march" unread: what is taken back is never the answer.
  if (kept.length === 0 && correction) return;
  const pool = kept.length > 0 ? kept : candidates;
  const ordered = correction ? [...pool].reverse() : pool;
  if (fields.length === 1) {
    const field = fields[0] as ExtractionField;
    const anchored = contrast > 0 ? undefined : ordered.find((c) => anchoredTo(folded, c, field));
    const pick = anchored ?? ordered.find((c) => c.clear || context.expecting === field.slot);
    if (pick === undefined) return;
    out.slots[field.slot] = pick.value;
    if (anchored !== undefined) out.anchored.push(field.slot);
    return;
  }
  const taken = new Set<string>();
  for (const candidate of ordered) {
    const byKeyword = fields
      .filter((f) => !taken.has(f.slot))
      .map((f) => ({ f, distance: keywordDistance(folded, candidate, f, false) }))
      .filter((x) => x.distance < Number.POSITIVE_INFINITY)
      .sort((x, y) => x.distance - y.distance)[0]?.f;
    const field =
      byKeyword ??
      fields.find((f) => !taken.has(f.slot) && f.slot === context.expecting) ??
      fields.find((f) => !taken.has(f.slot) && context.filled[f.slot] === undefined && candidate.clear);
    if (field === undefined) continue;
    taken.add(field.slot);
    out.slots[field.slot] = candidate.value;
    if (byKeyword !== undefined) out.anchored.push(field.slot);
  }
}

// Yes/no/maybe words answer the question just asked; unasked they answer another one ("not sure how we'd
// measure it" is no "maybe" to championing).
const BARE_ANSWER =
  /^(?:yes|yeah|yep|sure|of course|definitely|absolutely|certainly|happy to|no|nope|not really|never|maybe|perhaps|possibly|not sure|unsure|depends|it depends|probably|probably not|can't|cannot|won't|not me|claro|por supuesto|com certeza|bien sur|quizas|tal vez|talvez|peut-etre)$/;

function matchEnum(folded: string, field: ExtractionField, expecting: boolean): string | undefined {
  let best: { value: string; at: number } | undefined;
  for (const option of field.options ?? []) {
    for (const word of option.words) {
      const w = fold(word).trim();
      if (w.length === 0 || (!expecting && (w.length < 5 || BARE_ANSWER.test(w)))) continue;
      const at = folded.search(
        new RegExp(`(?<![\\p{L}\\p{N}])${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}])`, 'u'),
      );
      if (at >= 0 && (best === undefined || at < best.at)) best = { value: option.value, at };
    }
  }
  return best?.value;
}

// "start in January and be done by end of February": the start of the work is not its deadline.
const START_BEFORE =
  /\b(?:starts?|starting|started|begins?|beginning|kicks? ?off|kicking off|from)\b[^,.;!?]{0,12}$/;
// Deadline words at the start of a phrase: "by", "before", "within the next", "end of"...
const DEADLINE_FORM = /^(?:by|before|until|till|no later than|within|in the next|end of|the end of|asap)\b/;
// "our cost doubled this year": a time in a statement about the past is no deadline.
const PAST_VERB_BEFORE =
  /\b(?!(?:need|want|plann|schedul|expect|hop|aim|intend|requir|target|budget|approv|allocat)ed\b)[a-z]{3,}ed\s+(?:(?:in|over|during|since)\s+)?$/;
const DAY_MS = 86_400_000;
// Nobody asked: a day within the week ("leads that come in on Friday wait until Monday", "nobody calls
// back within a day") describes the problem; no one buys and rolls out a tool in less.
const UNSOLICITED_MIN_DAYS = 7;

/**
 * The time phrases of a message that state when the visitor wants the thing. Unless a timeline is
 * the answer expected, a phrase inside a description of the problem is none: within a week of
 * now ("nobody calls back within a day", "visited today") or after a verb in the past ("doubled
 * this year"). Of several, one said as the start of the work ("start in January") gives way.
 */
function deadlinesOf(
  folded: string,
  found: TimelineMatch[],
  context: ExtractionContext,
  answer: boolean,
): TimelineMatch[] {
  let kept = found;
  if (!answer) {
    kept = found.filter((t) => {
      const text = folded.slice(t.start, t.end);
      if (Date.parse(t.value.byDate) - context.now < UNSOLICITED_MIN_DAYS * DAY_MS) return false;
      return (
        DEADLINE_FORM.test(text) || !PAST_VERB_BEFORE.test(folded.slice(Math.max(0, t.start - 30), t.start))
      );
    });
  }
  // "new title since October", "last March": a time in the past is no deadline, asked or not.
  kept = kept.filter((t) => !SINCE_BEFORE.test(folded.slice(Math.max(0, t.start - 20), t.start)));
  // "as soon as possible, at most in 3 weeks": the window named says more than the hurry.
  const named = kept.filter((t) => !HURRY.test(folded.slice(t.start, t.end)));
  if (named.length > 0) kept = named;
  const ends = kept.filter((t) => !START_BEFORE.test(folded.slice(Math.max(0, t.start - 30), t.start)));
  return ends.length > 0 ? ends : kept;
}

const SINCE_BEFORE = /\b(?:since|last|seit|desde|depuis|back in|earlier in)\s+(?:the\s+)?$/;
const HURRY =
  /^(?:asap|a\.s\.a\.p|(?:it'?s|is|very|quite|pretty|super) urgent|urgently|as (?:soon|fast|quickly|early) as|right away|immediately|straight away|sofort|so schnell|schnellstmoglich|umgehend|lo antes|cuanto antes|inmediatamente|lo mas pronto|des que|au plus vite|immediatement|tout de suite|o quanto antes|o mais rapido)/;

// "we spend 800 a month on ads": money that goes to something else is no budget for this.
const SPENT_ON =
  /^\s*(?:(?:a|an|per|each|every)\s+(?:month|year|week|quarter)\s+)?on\s+(?!(?:this|it|that|a (?:tool|solution|platform)|the (?:tool|solution|platform))\b)/;
function spentElsewhere(folded: string, money: Span): boolean {
  return SPENT_ON.test(folded.slice(money.end, money.end + 40));
}

const RANK: Record<AuthorityLevel, number> = { individual: 0, manager: 1, director: 2, vp: 3, executive: 4 };
const SIGN_WORDS =
  /\b(?:sign(?:s|ed|ing)?|approv(?:e|es|ed|al|ing)|decides?|decided|budget (?:holder|owner)|holds? the budget|final (?:say|word)|entscheidet|genehmigt|unterschreibt|decide|firma|aprueba|valide|signe|aprova|assina)\b/;

/** A sign-off word in the role's own sentence, just before or after it ("signed off by our CFO"). */
function signs(folded: string, role: Span): boolean {
  const before =
    folded
      .slice(Math.max(0, role.start - 30), role.start)
      .split(/[.;!?]/)
      .at(-1) ?? '';
  const after = folded.slice(role.end, role.end + 40).split(/[.;!?]/)[0] ?? '';
  return (
    SIGN_WORDS.test(before) || SIGN_WORDS.test(after) || SIGN_WORDS.test(folded.slice(role.start, role.end))
  );
}

/** Reads every slot the playbook knows out of one message, without a model. Never throws. */
export function extractOffline(text: string, context: ExtractionContext): Extraction {
  const expecting = context.fields.find((f) => f.slot === context.expecting);
  const out: Extraction = { slots: {}, anchored: [], correction: false, contact: {}, malformedEmail: false };
  const folded = fold(text);
  out.correction = CORRECTION.test(folded);
  const claimed: Span[] = [];

  const contact = extractContact(text, expecting?.type === 'phone');
  out.malformedEmail = contact.malformedEmail;
  const email = contact.emails[0];
  const phone = contact.phones[0];
  if (email !== undefined) out.contact.email = email.value;
  if (phone !== undefined) out.contact.phone = phone.value;
  claimed.push(...contact.emails, ...contact.phones);
  const person = extractPerson(text, context.contactPending === true ? 'contact' : undefined);
  if (person.name !== undefined) out.contact.name = person.name;
  if (person.company !== undefined) out.contact.company = person.company;
  for (const field of context.fields) {
    if (field.type === 'email' && email !== undefined) out.slots[field.slot] = email.value;
    if (field.type === 'phone' && phone !== undefined) out.slots[field.slot] = phone.value;
  }

  // A correction re-opens the slots it names: "sorry, I meant 3000 per month" reads as an answer.
  const reopens = (type: SlotType) =>
    expecting?.type === type ||
    (out.correction && context.fields.some((f) => f.type === type && context.filled[f.slot] !== undefined));
  const timelines = deadlinesOf(
    folded,
    extractTimeline(mask(text, claimed), {
      now: context.now,
      expecting: reopens('timeline'),
      ...(context.locale ? { locale: context.locale } : {}),
    }),
    context,
    reopens('timeline'),
  );
  assign(
    'timeline',
    timelines.map((t) => ({ ...t, clear: true })),
    context,
    folded,
    out.correction,
    out,
  );
  claimed.push(...timelines);

  const moneyField = expecting?.type === 'money' ? expecting : context.fields.find((f) => f.type === 'money');
  if (moneyField !== undefined) {
    const previous = context.filled[moneyField.slot];
    const money = extractMoney(mask(text, claimed), {
      defaultCurrency: isMoney(previous) ? previous.currency : (moneyField.defaultCurrency ?? 'USD'),
      expecting: reopens('money'),
      language: context.language,
    });
    const answer = reopens('money');
    const budgets = answer
      ? money.map((m) => ({ ...m, clear: true }))
      : money.filter((m) => !spentElsewhere(folded, m));
    assign('money', budgets, context, folded, out.correction, out);
    claimed.push(...money);
  }

  if (context.fields.some((f) => f.type === 'company_size')) {
    const sizes = extractCompanySize(mask(text, claimed), expecting?.type === 'company_size');
    assign('company_size', sizes, context, folded, out.correction, out);
    claimed.push(...sizes);
  }

  const roles = extractRoles(mask(text, claimed));
  for (const field of context.fields.filter((f) => f.type === 'role')) {
    const pending = context.expecting === field.slot;
    // Unasked, "who signs" takes only a role said to sign ("the board signs off", "I approve the budget"):
    // "our AEs waste demos" or the visitor's own title names no buyer.
    const candidates = field.subject === 'any' && !pending ? roles.filter((r) => signs(folded, r)) : roles;
    // "Who signs off?" answered with several people ("the CMO and the finance director"): the highest.
    const pick =
      field.subject === 'any'
        ? candidates.reduce<RoleMatch | undefined>(
            (best, r) => (best === undefined || RANK[r.level] > RANK[best.level] ? r : best),
            undefined,
          )
        : selfAuthority(roles, pending || roles.every((r) => r.subject === 'bare'));
    if (pick !== undefined && (pending || pick.subject === 'self' || field.subject === 'any')) {
      out.slots[field.slot] = pick.level;
      claimed.push(pick);
    }
  }
  // A role said about someone else ("help for our sales reps") may be part of the need.
  claimed.push(...roles.filter((role) => role.subject === 'self'));

  for (const field of context.fields.filter((f) => f.type === 'enum')) {
    const value = matchEnum(fold(mask(text, claimed)), field, context.expecting === field.slot);
    if (value !== undefined) out.slots[field.slot] = value;
  }

  const nulMasked = mask(text, claimed, '\u0000');
  // A whole message is a free-text answer only if it is a statement, not a skip, a greeting or a question.
  const statement = !/\?\s*$/.test(text) && !detectIntents(text).some((intent) => NOT_AN_ANSWER.has(intent));
  for (const field of context.fields.filter((f) => f.type === 'text')) {
    const pending = context.expecting === field.slot;
    if (field.cue !== 'need' && !(pending && statement)) continue;
    const need =
      field.cue === 'need'
        ? extractNeed(text, nulMasked, pending && statement, field.minWords ?? 2)
        : wholeAnswer(text.trim(), field.minWords ?? 2);
    if (need !== undefined && (need.cued || pending)) out.slots[field.slot] = need.value;
  }
  return out;
}

/** The offline extractor as a {@link SlotExtractor}: rules and patterns, no network, deterministic. */
export function createOfflineExtractor(): SlotExtractor {
  return {
    name: 'offline',
    extract: async (text, context, signal) => {
      signal?.throwIfAborted();
      return extractOffline(text, context);
    },
  };
}
