import { LeadloopError } from '../core/index.ts';
import type { Language } from './playbook-schema.ts';

/** What a bot message is for; the widget may style by kind, the phraser may not rephrase some. */
export type ReplyKind =
  | 'disclosure'
  | 'question'
  | 'reask'
  | 'ack'
  | 'chitchat'
  | 'refusal'
  | 'handoff'
  | 'consent'
  | 'outcome'
  | 'closing'
  | 'answer';

/** A passage of the workspace's content an answer may be written from; `id` names it in citations. */
export interface GroundingPassage {
  id: string;
  heading: string;
  text: string;
}

/** A bot message as the engine sends it. */
export interface Reply {
  kind: ReplyKind;
  text: string;
  /** Answers the widget can offer as buttons (enum options, yes/no). */
  quickReplies?: string[];
  /** The meeting link, when the reply offers one. */
  link?: string;
  /** For an `answer`: the section of the workspace's content it was taken from. */
  source?: { file: string; heading: string };
  /**
   * The visitor's question and the passages retrieved for it: a model phraser writes the answer from
   * these passages only (citing them), or declines with `decline`; `text` stays the offline answer.
   */
  grounding?: { question: string; passages: readonly GroundingPassage[]; decline: string };
}

/**
 * Which path produced a bot message, kept in the transcript: the configured model (`provider:model`,
 * and the passages an answer cited), or the offline template and why the model was not used.
 */
export type ReplyOrigin =
  | { path: 'model'; model: string; cited?: string[]; declined?: boolean }
  | { path: 'offline'; reason: string };

/** What a phraser may see: the language, the session (for variety) and what it may mention. */
export interface PhrasingContext {
  language: Language;
  sessionId: string;
  turn: number;
  /** The only URLs and email addresses a reply may contain. */
  allowed: { urls: readonly string[]; emails: readonly string[] };
  /** The visitor's message this turn answers (data for the model, never instructions). */
  visitorText?: string;
}

/** Per-reply options: cancellation, and where streamed text goes as the model writes it. */
interface PhrasingOptions {
  signal?: AbortSignal;
  /** Text to show now; the concatenation of all deltas is a prefix of (usually equal to) the final text. */
  onDelta?: (text: string) => void;
}

/** A worded reply and the path that worded it (absent for the plain template phraser). */
interface PhrasedReply {
  text: string;
  origin?: ReplyOrigin;
}

/**
 * The port that words a reply. The engine drafts every reply from templates; a model-backed
 * phraser may rephrase them (wrap it in {@link createGuardedPhraser}). The disclosure and the
 * consent question are never rephrased: their wording is fixed by law and versioned.
 */
export interface ReplyPhraser {
  readonly name: string;
  phrase(draft: Reply, context: PhrasingContext, options?: PhrasingOptions): Promise<PhrasedReply>;
}

/** The default phraser: the template text as is. */
export const templatePhraser: ReplyPhraser = {
  name: 'template',
  phrase: async (draft) => ({ text: draft.text }),
};

/** Kinds whose text must reach the visitor exactly as drafted. */
// Answers quote the workspace's own content: a phraser must not reword (or embellish) them, unless
// it writes them from the retrieved passages (`grounding`), held to those passages.
const FIXED_KINDS: readonly ReplyKind[] = ['disclosure', 'consent', 'answer'];

const LEAK_MARKERS =
  /\b(?:system prompt|my instructions|i was instructed|i am instructed|as an ai language model|playbook|minPoints|qualification rules?|lead score|points)\b|[{}]|```/i;

// Commercial terms a reworded message may not bring up unless its source text does: the bot must
// never promise what sales has not agreed (prices, discounts, trials, contract terms).
const TERMS =
  /\b(?:discount\w*|free|refund\w*|guarantee\w*|contract\w*|commitment|cancel\w*|trial\w*|cheap\w*|lifetime|money[- ]back|waive\w*|rebate\w*|coupon\w*|promo\w*|price[- ]match\w*|per (?:seat|user|month|year))\b/giu;
const NUMBERS = /[$€£¥%]|\d+(?:[.,]\d+)*/gu;

/** What the model may not say beyond its source (the draft, or the passages an answer is written from). */
function novelTerms(text: string, source: string): string | undefined {
  const known = source.toLowerCase();
  for (const term of text.toLowerCase().match(TERMS) ?? [])
    if (!known.includes(term)) return 'promises terms';
  for (const number of text.match(NUMBERS) ?? []) if (!source.includes(number)) return 'adds figures';
  return undefined;
}

const questionMarks = (text: string) => (text.match(/[?？¿]/gu) ?? []).length;

/** Citation markers the model writes (`[1]`, `[1, 3]`): kept in the origin, never shown. */
const CITATIONS = /\s*\[(\d{1,2}(?:\s*,\s*\d{1,2})*)\]/gu;
const NO_ANSWER = 'NO_ANSWER';

/** The text the visitor sees: citation markers removed. */
const visibleText = (text: string) => text.replace(CITATIONS, '');

/**
 * Why a phrased reply was thrown away, or undefined when it may be sent. `partial` checks a prefix
 * while it streams: only what cannot become acceptable by more text.
 */
function rejectPhrasing(
  raw: string,
  draft: Reply,
  context: PhrasingContext,
  partial = false,
): string | undefined {
  const trimmed = visibleText(raw).trim();
  if (!partial && trimmed.length === 0) return 'empty';
  const source = draft.grounding
    ? `${draft.text}\n${draft.grounding.passages.map((p) => `${p.heading}\n${p.text}`).join('\n')}`
    : draft.text;
  if (trimmed.length > Math.max(600, draft.text.length * 3)) return 'too long';
  if (LEAK_MARKERS.test(trimmed)) return 'mentions internals';
  for (const url of trimmed.match(/https?:\/\/\S+/g) ?? []) {
    if (!context.allowed.urls.some((allowed) => url.startsWith(allowed))) return 'unknown link';
  }
  for (const email of trimmed.match(/[^\s@]+@[^\s@]+\.[^\s@]+/g) ?? []) {
    if (!context.allowed.emails.includes(email.toLowerCase().replace(/[.,;:!?)]+$/, '')))
      return 'unknown email';
  }
  const terms = novelTerms(trimmed, source);
  if (terms !== undefined) return terms;
  // An answer asks nothing; a reworded message asks no more than its draft (the playbook's question).
  if (questionMarks(trimmed) > (draft.grounding ? 0 : questionMarks(draft.text))) return 'adds a question';
  if (partial) return undefined;
  if (draft.link !== undefined && !trimmed.includes(draft.link)) return 'dropped the link';
  if (draft.grounding) {
    const cited = citedIndexes(raw);
    if (cited.length === 0) return 'cites no passage';
    if (cited.some((i) => i < 1 || i > (draft.grounding?.passages.length ?? 0)))
      return 'cites an unknown passage';
  }
  return undefined;
}

function citedIndexes(raw: string): number[] {
  const indexes = new Set<number>();
  for (const match of raw.matchAll(CITATIONS))
    for (const n of (match[1] ?? '').split(',')) indexes.add(Number(n.trim()));
  return [...indexes];
}

/**
 * The part of streamed text that can be checked and shown: up to the last whitespace, never inside
 * an open citation bracket, and nothing while an answer may still turn out to be `NO_ANSWER`.
 */
function stablePrefix(raw: string, grounded: boolean): string {
  if (grounded && NO_ANSWER.startsWith(raw.trimStart().slice(0, NO_ANSWER.length))) return '';
  let end = Math.max(raw.lastIndexOf(' '), raw.lastIndexOf('\n'));
  const open = raw.lastIndexOf('[');
  if (open > raw.lastIndexOf(']') && open < end) end = open;
  return end <= 0 ? '' : raw.slice(0, end);
}

/** The model phraser to guard and how long it may take. */
export interface GuardedPhraserOptions {
  primary: ReplyPhraser;
  /** Milliseconds until the first streamed text (or the whole reply when not streamed); default 1,500. */
  timeoutMs?: number;
  /** Milliseconds the whole reply may take; default 15,000. */
  totalTimeoutMs?: number;
  onFallback?: (reason: string, cause: unknown) => void;
}

const offline = (reason: string): ReplyOrigin => ({ path: 'offline', reason });

/** Why a failed primary call fell back, for the transcript. */
function failureReason(error: unknown): string {
  if (error instanceof LeadloopError && error.code === 'rate_limited') return 'over_budget';
  return 'error';
}

/**
 * Lets a model word replies (and write answers from retrieved passages), keeping the template text
 * when it fails, times out, is over the workspace's token budget, or answers with something it may
 * not say: internals, links or addresses that are not this session's, commercial terms or figures
 * its source does not state, more questions than the playbook's, an answer citing no passage.
 * Streamed text is checked as it arrives and shown word by word; text failing a check stops the
 * stream, and the template replaces what was shown.
 */
export function createGuardedPhraser(options: GuardedPhraserOptions): ReplyPhraser {
  const timeoutMs = options.timeoutMs ?? 1_500;
  const totalTimeoutMs = options.totalTimeoutMs ?? 15_000;
  return {
    name: `${options.primary.name}+template`,
    async phrase(draft, context, phrasing = {}) {
      const { signal, onDelta } = phrasing;
      if (FIXED_KINDS.includes(draft.kind) && draft.grounding === undefined)
        return { text: draft.text, origin: offline('fixed wording') };
      signal?.throwIfAborted();
      const grounded = draft.grounding !== undefined;
      const controller = new AbortController();
      const onAbort = () => controller.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      let stopped: string | undefined;
      const { promise: halted, reject: halt } = Promise.withResolvers<never>();
      halted.catch(() => {});
      const stop = (reason: string) => {
        if (stopped !== undefined) return;
        stopped = reason;
        const error = new LeadloopError('unavailable', `phrasing stopped: ${reason}`, { retryable: true });
        controller.abort(error);
        halt(error);
      };
      const firstText = setTimeout(() => stop('timeout'), timeoutMs);
      const whole = setTimeout(() => stop('timeout'), totalTimeoutMs);
      let raw = '';
      let shown = '';
      const forward = (delta: string) => {
        if (stopped !== undefined) return;
        raw += delta;
        clearTimeout(firstText);
        const stable = stablePrefix(raw, grounded);
        if (stable === '') return;
        const rejected = rejectPhrasing(stable, draft, context, true);
        if (rejected !== undefined) return stop(rejected);
        const visible = visibleText(stable).trimStart();
        if (visible.length > shown.length && visible.startsWith(shown)) {
          onDelta?.(visible.slice(shown.length));
          shown = visible;
        }
      };
      let origin: ReplyOrigin;
      let text = draft.text;
      try {
        const result = await Promise.race([
          // Always streamed: the first-text clock stops at the model's first words, shown or not.
          options.primary.phrase(draft, context, { signal: controller.signal, onDelta: forward }),
          halted,
        ]);
        if (result.origin?.path === 'offline') origin = result.origin;
        else if (grounded && result.text.trim().startsWith(NO_ANSWER)) {
          text = draft.grounding?.decline ?? draft.text;
          origin = { path: 'model', model: modelOf(result, options.primary), declined: true };
        } else {
          const rejected = rejectPhrasing(result.text, draft, context);
          if (rejected === undefined) {
            text = visibleText(result.text).trim();
            // The words held back while they might still have grown: the deltas now spell the text.
            if (onDelta && shown !== '' && text.startsWith(shown) && text.length > shown.length)
              onDelta(text.slice(shown.length));
            origin = { path: 'model', model: modelOf(result, options.primary) };
            if (grounded)
              origin.cited = citedIndexes(result.text).map(
                (i) => draft.grounding?.passages[i - 1]?.id ?? String(i),
              );
          } else {
            options.onFallback?.(rejected, result.text);
            origin = offline(rejected);
          }
        }
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const reason = stopped ?? failureReason(error);
        options.onFallback?.(reason, error);
        origin = offline(reason);
      } finally {
        clearTimeout(firstText);
        clearTimeout(whole);
        signal?.removeEventListener('abort', onAbort);
      }
      return { text, origin };
    },
  };
}

function modelOf(result: PhrasedReply, primary: ReplyPhraser): string {
  return result.origin?.path === 'model' ? result.origin.model : primary.name;
}
