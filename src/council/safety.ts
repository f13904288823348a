/**
 * Lead data is untrusted. Three defences live here:
 * 1. display text (a name, a company) is only ever quoted when it looks like one, so an
 *    instruction stuffed into a company name never reaches a drafted message;
 * 2. data for a real model is serialised so it cannot close its `<data>` fence;
 * 3. the final answer is checked for what must never leave: links, e-mail addresses, ids of
 *    workspaces or leads other than the question's own, and instruction-like text.
 */

const INJECTION_MARKERS: RegExp[] = [
  /\bignore\b.{0,40}\b(instructions?|rules?|prompts?|above|previous)\b/i,
  /\b(disregard|forget|override)\b.{0,40}\b(instructions?|rules?|prompts?|guidelines)\b/i,
  /\bsystem\s*(prompt|message|override)\b/i,
  /\byou are now\b/i,
  /\b(assistant|system|developer)\s*:/i,
  /\bnew instructions?\b/i,
  /\b(reveal|print|show|leak|output|repeat)\b.{0,40}\b(prompt|instructions|secret|api key|token|password)\b/i,
  /\b(call|use|invoke|run)\b.{0,30}\b(tool|function|getlead|getsegmentstats|getperformancemetrics|listworkflows|getscore|getconversation|getleadhistory)\b/i,
  /\b(workspace|tenant)[\s_-]*(id)?\s*[:=]/i,
  /\bws_[a-z0-9]+/i,
  /<\/?\s*(data|system|instructions?)\s*>/i,
  /```/,
  /\{\{|\}\}|<\|/,
];

/** `true` when text carries an instruction-like pattern (for flags and for refusing to quote it). */
function looksLikeInjection(text: string): boolean {
  return INJECTION_MARKERS.some((pattern) => pattern.test(text));
}

const DISPLAY_NAME = /^[\p{L}][\p{L}\p{M}' .-]{0,38}$/u;
const DISPLAY_COMPANY = /^[\p{L}\p{N}][\p{L}\p{M}\p{N}&'.,() -]{0,58}$/u;

/** A person's name fit for a greeting, or `null` (then the message greets without a name). */
export function safeDisplayName(raw: string | null | undefined): string | null {
  if (typeof raw !== 'string') return null;
  const value = raw.trim().replace(/\s+/g, ' ');
  if (!DISPLAY_NAME.test(value) || looksLikeInjection(value)) return null;
  return value.split(' ')[0] ?? null;
}

/** A company name fit to quote, or `null`. */
export function safeDisplayCompany(raw: string | null | undefined): string | null {
  if (typeof raw !== 'string') return null;
  const value = raw.trim().replace(/\s+/g, ' ');
  if (!DISPLAY_COMPANY.test(value) || looksLikeInjection(value)) return null;
  return value;
}

/**
 * JSON for a `<data>` block: `<`, `>` and `&` are escaped as `\u003c` and friends, so no field can
 * close the fence or open a tag the model might read as ours; the meaning of the JSON is unchanged.
 */
export function fenceJson(value: unknown): string {
  return JSON.stringify(value, null, 1)
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026');
}

/** What the output guard found. */
export interface GuardFinding {
  path: string;
  kind: 'link' | 'email' | 'foreign_id' | 'instruction' | 'prompt_leak';
}

const LINK = /\b(?:https?:\/\/|www\.)\S+|\b[a-z0-9-]+\.(?:com|net|org|io|ru|xyz|info|biz)\/\S*/i;
const EMAIL = /[^\s@]+@[^\s@]+\.[a-z]{2,}/i;
const ID = /\b(ws|lead|org|key|whs)_[A-Za-z0-9]+\b/g;

/** Fragments of system prompts to watch for: the first 40 characters of every line of 30 or more. */
export function promptFragments(prompts: readonly string[]): string[] {
  const fragments = new Set<string>();
  for (const prompt of prompts) {
    for (const line of prompt.split('\n')) {
      const trimmed = line.trim();
      if (trimmed.length >= 30) fragments.add(trimmed.slice(0, 40).toLowerCase());
    }
  }
  return [...fragments];
}

/**
 * Every string of an answer that carries a link, an e-mail address, an id other than the allowed
 * ones (the question's workspace and lead), instruction-like text, or a piece of a system prompt.
 */
export function inspectAnswer(
  answer: unknown,
  allowedIds: ReadonlySet<string>,
  forbiddenFragments: readonly string[] = [],
): GuardFinding[] {
  const findings: GuardFinding[] = [];
  const visit = (value: unknown, path: string) => {
    if (typeof value === 'string') {
      if (LINK.test(value)) findings.push({ path, kind: 'link' });
      if (EMAIL.test(value)) findings.push({ path, kind: 'email' });
      for (const match of value.matchAll(ID)) {
        if (!allowedIds.has(match[0])) {
          findings.push({ path, kind: 'foreign_id' });
          break;
        }
      }
      if (looksLikeInjection(value.replace(ID, ''))) findings.push({ path, kind: 'instruction' });
      const lower = value.toLowerCase();
      if (forbiddenFragments.some((fragment) => lower.includes(fragment)))
        findings.push({ path, kind: 'prompt_leak' });
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        visit(item, `${path}/${index}`);
      });
      return;
    }
    if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) visit(item, `${path}/${key}`);
    }
  };
  visit(answer, '');
  return findings;
}
