import type { HTMLElement } from 'node-html-parser';
import { lazyModule } from '../../core/index.ts';

// Loaded with the first extraction: only imported n8n workflows use it (core/lazy-module.ts).
const htmlParser = lazyModule<typeof import('node-html-parser')>('node-html-parser');

/**
 * CSS-selector extraction from HTML, the way n8n's HTML node "Extract HTML Content" does it:
 * per key a selector and what to return (text, inner HTML, an attribute, a form field's value),
 * the first match or all of them. node-html-parser builds a DOM without running scripts or
 * fetching anything; its selector engine is css-select (the one cheerio uses).
 */

export interface ExtractionRule {
  key: string;
  selector: string;
  value: 'text' | 'html' | 'attribute' | 'value';
  attribute?: string;
  all?: boolean;
  skip?: string;
}

/** Longest HTML parsed; past it the rest is cut (pages bigger than this are not lead data). */
const MAX_HTML_CHARS = 5_000_000;

function elementValue(
  element: HTMLElement,
  rule: ExtractionRule,
  trim: boolean,
  cleanUp: boolean,
): string | null {
  let raw: string | undefined;
  switch (rule.value) {
    case 'text': {
      if (rule.skip) for (const skipped of element.querySelectorAll(rule.skip)) skipped.remove();
      raw = element.text;
      break;
    }
    case 'html':
      raw = element.innerHTML;
      break;
    case 'attribute':
      raw = element.getAttribute(rule.attribute ?? '');
      break;
    case 'value':
      raw = element.getAttribute('value');
      break;
  }
  if (raw === undefined) return null;
  let out = raw;
  if (cleanUp && rule.value === 'text') out = out.replace(/\s+/g, ' ');
  return trim ? out.trim() : out;
}

/**
 * Values by key. A selector that does not parse is reported in `errors` (its key is null) rather
 * than thrown, so one bad rule does not lose the others.
 */
export function extractHtml(
  html: string,
  rules: readonly ExtractionRule[],
  options: { trim?: boolean; cleanUpText?: boolean } = {},
): { values: Record<string, string | null | (string | null)[]>; errors: string[] } {
  const trim = options.trim ?? true;
  const cleanUp = options.cleanUpText ?? false;
  const values: Record<string, string | null | (string | null)[]> = {};
  const errors: string[] = [];
  for (const rule of rules) {
    // Each rule gets its own tree: `skip` removes nodes, which must not change other rules' matches.
    const root = htmlParser().parse(html.slice(0, MAX_HTML_CHARS), { comment: false });
    try {
      if (rule.all) {
        values[rule.key] = root
          .querySelectorAll(rule.selector)
          .map((e) => elementValue(e, rule, trim, cleanUp));
      } else {
        const first = root.querySelector(rule.selector);
        values[rule.key] = first ? elementValue(first, rule, trim, cleanUp) : null;
      }
    } catch (error) {
      values[rule.key] = rule.all ? [] : null;
      errors.push(`${rule.key}: ${(error as Error).message.slice(0, 200)}`);
    }
  }
  return { values, errors };
}
