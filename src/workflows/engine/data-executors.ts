import { assertNever } from '../../core/index.ts';
import { extractHtml } from '../actions/html-extract.ts';
import { htmlToMarkdown, htmlToText, markdownToHtml } from '../actions/markup.ts';
import { renderTemplate } from '../actions/templates.ts';
import type { StepOf } from '../dsl/index.ts';
import { resolveRef, templateView } from './evaluate.ts';
import { go, type StepOutcome, type StepRuntime } from './executor-kit.ts';

/** Executors of the steps that only shape run data: `collect`, `render` and `html_extract`. */

const DEFAULT_MAX_ITEMS = 1000;

/**
 * Appends each reference's value to its list. The lists live in run variables, which are rebuilt
 * from the stored outputs on resume, so the step's output carries the whole list (bounded by
 * `maxItems`) rather than the one value appended.
 */
export function collectStep(step: StepOf<'collect'>, rt: StepRuntime): StepOutcome {
  const max = step.maxItems ?? DEFAULT_MAX_ITEMS;
  const restart = step.loop !== undefined && rt.scope.loop[step.loop]?.index === 0;
  const vars: Record<string, unknown[]> = {};
  let dropped = 0;
  for (const [name, ref] of Object.entries(step.append)) {
    const previous = rt.scope.vars[name];
    const list = !restart && Array.isArray(previous) ? [...previous] : [];
    const value = resolveRef(rt.scope, ref);
    if (list.length < max) list.push(value === undefined ? null : value);
    else dropped += 1;
    vars[name] = list;
  }
  return go(step.next, {
    vars,
    counts: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, v.length])),
    ...(dropped > 0 ? { dropped } : {}),
  });
}

/** Renders the template, converts its markup, and keeps the result under `vars.<saveAs>`. */
export function renderStep(step: StepOf<'render'>, rt: StepRuntime): StepOutcome {
  const view = templateView(rt.scope);
  const escaped = step.format === 'html';
  const text = renderTemplate(step.template, view, escaped ? 'html' : 'text');
  let result: string;
  switch (step.format) {
    case 'text':
    case 'html':
      result = text;
      break;
    case 'markdown_to_html':
      result = markdownToHtml(text);
      break;
    case 'html_to_markdown':
      result = htmlToMarkdown(text);
      break;
    case 'html_to_text':
      result = htmlToText(text);
      break;
    default:
      return assertNever(step.format, 'render format');
  }
  return go(step.next, { saveAs: step.saveAs, response: result, format: step.format, length: result.length });
}

/**
 * Extracts values from the HTML at `source` into `vars.<key>`. A source that is not a string
 * (absent, or JSON) extracts nothing: every key is null, and the output says why.
 */
export function htmlExtractStep(step: StepOf<'html_extract'>, rt: StepRuntime): StepOutcome {
  const source = resolveRef(rt.scope, step.source);
  const html = typeof source === 'string' ? source : '';
  const { values, errors } = extractHtml(html, step.extract, {
    ...(step.trim !== undefined ? { trim: step.trim } : {}),
    ...(step.cleanUpText !== undefined ? { cleanUpText: step.cleanUpText } : {}),
  });
  return go(step.next, {
    vars: values,
    htmlLength: html.length,
    ...(typeof source !== 'string' ? { sourceMissing: true } : {}),
    ...(errors.length > 0 ? { errors } : {}),
  });
}
