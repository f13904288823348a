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
  | 'closing';

/** A bot message as the engine sends it. */
export interface Reply {
  kind: ReplyKind;
  text: string;
  /** Answers the widget can offer as buttons (enum options, yes/no). */
  quickReplies?: string[];
  /** The meeting link, when the reply offers one. */
  link?: string;
}

/** What a phraser may see: the language, the session (for variety) and what it may mention. */
export interface PhrasingContext {
  language: Language;
  sessionId: string;
  turn: number;
  /** The only URLs and email addresses a reply may contain. */
  allowed: { urls: readonly string[]; emails: readonly string[] };
}

/**
 * The port that words a reply. The engine drafts every reply from templates; a model-backed
 * phraser may rephrase them (wrap it in {@link createGuardedPhraser}). The disclosure and the
 * consent question are never rephrased: their wording is fixed by law and versioned.
 */
export interface ReplyPhraser {
  readonly name: string;
  phrase(draft: Reply, context: PhrasingContext, signal?: AbortSignal): Promise<string>;
}

/** The default phraser: the template text as is. */
export const templatePhraser: ReplyPhraser = {
  name: 'template',
  phrase: async (draft) => draft.text,
};

/** Kinds whose text must reach the visitor exactly as drafted. */
export const FIXED_KINDS: readonly ReplyKind[] = ['disclosure', 'consent'];

const LEAK_MARKERS =
  /\b(?:system prompt|my instructions|i was instructed|i am instructed|as an ai language model|playbook|minPoints|qualification rules?|lead score|points)\b|[{}]|```/i;

/** Why a phrased reply was thrown away, or undefined when it may be sent. */
export function rejectPhrasing(text: string, draft: Reply, context: PhrasingContext): string | undefined {
  const trimmed = text.trim();
  if (trimmed.length === 0) return 'empty';
  if (trimmed.length > Math.max(600, draft.text.length * 3)) return 'too long';
  if (LEAK_MARKERS.test(trimmed)) return 'mentions internals';
  for (const url of trimmed.match(/https?:\/\/\S+/g) ?? []) {
    if (!context.allowed.urls.some((allowed) => url.startsWith(allowed))) return 'unknown link';
  }
  for (const email of trimmed.match(/[^\s@]+@[^\s@]+\.[^\s@]+/g) ?? []) {
    if (!context.allowed.emails.includes(email.toLowerCase().replace(/[.,;:!?)]+$/, '')))
      return 'unknown email';
  }
  if (draft.link !== undefined && !trimmed.includes(draft.link)) return 'dropped the link';
  return undefined;
}

/** The model phraser to guard and how long it may take. */
export interface GuardedPhraserOptions {
  primary: ReplyPhraser;
  /** Milliseconds the primary may take per reply (default 1,500). */
  timeoutMs?: number;
  onFallback?: (reason: string, cause: unknown) => void;
}

/**
 * Lets a model rephrase replies, keeping the template text when it fails, times out, or answers
 * with something that may leak (internals, links or addresses that are not this session's).
 */
export function createGuardedPhraser(options: GuardedPhraserOptions): ReplyPhraser {
  const timeoutMs = options.timeoutMs ?? 1_500;
  return {
    name: `${options.primary.name}+template`,
    async phrase(draft, context, signal) {
      if (FIXED_KINDS.includes(draft.kind)) return draft.text;
      signal?.throwIfAborted();
      const controller = new AbortController();
      const onAbort = () => controller.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const error = new LeadloopError('unavailable', `phrasing took longer than ${timeoutMs} ms`, {
            retryable: true,
          });
          controller.abort(error);
          reject(error);
        }, timeoutMs);
      });
      try {
        const text = await Promise.race([
          options.primary.phrase(draft, context, controller.signal),
          timedOut,
        ]);
        const rejected = typeof text === 'string' ? rejectPhrasing(text, draft, context) : 'not text';
        if (rejected === undefined) return text.trim();
        options.onFallback?.(rejected, text);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        options.onFallback?.(controller.signal.aborted ? 'timeout' : 'error', error);
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      }
      return draft.text;
    },
  };
}
