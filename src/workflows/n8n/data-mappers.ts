import { FIELD_REF_PATTERN } from '../dsl/index.ts';
import { refFromExpression } from './expressions.ts';
import {
  type MapContext,
  type N8nNode,
  type NodeMapping,
  opaque,
  type Rec,
  rec,
  step,
  str,
  templater,
} from './mapper-kit.ts';

/**
 * Mappers of n8n's item and markup nodes: Split Out (→ a `loop` over the list whose items become
 * the current item's variables), Aggregate (→ `collect`; the importer closes the loop body on it),
 * Markdown and HTML templates (→ `render`), HTML extraction by CSS selector (→ `html_extract`),
 * Form pages, and the file and Drive nodes Leadloop reports instead of running, each with its reason.
 */

/** An n8n field name or path (`items`, `body.results`, `={{ $json.items }}`) as a field reference. */
function fieldRef(raw: string, ctx: MapContext): string | null {
  const expr = /^=?\s*\{\{\s*([\s\S]*?)\s*\}\}\s*$/.exec(raw);
  if (expr) return refFromExpression(expr[1] as string, ctx);
  const path = raw.replace(/^=/, '').trim();
  return refFromExpression(
    `$json${path
      .split('.')
      .map((s) => (/^[A-Za-z_$][\w$-]*$/.test(s) ? `.${s}` : `["${s}"]`))
      .join('')}`,
    ctx,
  );
}

export function splitOutNode(node: N8nNode, p: Rec, ctx: MapContext): NodeMapping {
  const reasons: string[] = [];
  const fields = String(p.fieldToSplitOut ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  const first = fields[0];
  const over = first ? fieldRef(first, ctx) : null;
  if (!first || !over) return opaque(node, `Split Out of "${first ?? ''}" (not a field Leadloop can name)`);
  if (fields.length > 1)
    reasons.push(`only the first field (${first}) is split out; ${fields.slice(1).join(', ')} are left out`);
  const destination = str(rec(p.options).destinationFieldName);
  const last = over.split('.').at(-1) as string;
  reasons.push(
    'the items are taken one at a time by a loop (at most 1,000); the steps after it run once per item',
  );
  return step(
    {
      type: 'loop',
      body: '',
      maxIterations: 1000,
      over,
      ...(destination && /^[A-Za-z0-9_-]{1,64}$/.test(destination)
        ? { as: destination }
        : { as: last, spread: true }),
    },
    reasons,
  );
}

export function aggregateNode(node: N8nNode, p: Rec, ctx: MapContext): NodeMapping {
  const reasons: string[] = [];
  const append: Record<string, string> = {};
  if (p.aggregate === 'aggregateAllItemData') {
    const into = str(p.destinationFieldName) ?? 'data';
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(into)) return opaque(node, `Aggregate into "${into}"`);
    append[into] = '';
    if (p.include && p.include !== 'allFields')
      reasons.push('every field of the item is kept (the include filter is left out)');
  } else {
    const list = (rec(p.fieldsToAggregate).fieldToAggregate ?? []) as Rec[];
    for (const f of list) {
      const field = str(f.fieldToAggregate);
      if (!field) continue;
      const ref = fieldRef(field, ctx);
      const name =
        (f.renameField === true ? str(f.outputFieldName) : undefined) ?? field.split('.').at(-1) ?? '';
      if (ref && /^[A-Za-z0-9_-]{1,64}$/.test(name)) append[name] = ref;
      else reasons.push(`the field ${field} is left out (not a name Leadloop can hold)`);
    }
    if (Object.keys(append).length === 0) return opaque(node, 'Aggregate without fields to aggregate');
  }
  reasons.push('values are appended to lists in run variables once per item of the loop before it');
  // An empty reference means "the whole item"; the importer replaces it with the loop's item.
  return step({ type: 'collect', append }, reasons);
}

export function markdownNode(_node: N8nNode, p: Rec, ctx: MapContext): NodeMapping {
  const { t, reasons } = templater(ctx);
  const toHtml = p.mode === 'markdownToHtml';
  const source = t(toHtml ? (p.markdown ?? '') : (p.html ?? ''), toHtml ? 'markdown' : 'html');
  const into = str(p.destinationKey) ?? 'data';
  if (Object.keys(rec(p.options)).length > 0) reasons.push('conversion options are left out');
  return step(
    {
      type: 'render',
      format: toHtml ? 'markdown_to_html' : 'html_to_markdown',
      template: source,
      saveAs: /^[A-Za-z0-9_-]{1,64}$/.test(into) ? into : 'data',
    },
    reasons,
  );
}

const RETURN_VALUES: Record<string, 'text' | 'html' | 'attribute' | 'value'> = {
  text: 'text',
  html: 'html',
  attribute: 'attribute',
  value: 'value',
};

/** A parameter's text when it holds no expression (an "=" prefix with no `{{ }}` is plain text). */
function staticText(v: unknown): string | undefined {
  const s = str(v);
  if (s === undefined || s.includes('{{')) return undefined;
  return (s.startsWith('=') ? s.slice(1) : s).trim() || undefined;
}

/** n8n's "Extract HTML Content" → `html_extract`, reading the HTML from the item's field. */
function htmlExtractNode(node: N8nNode, p: Rec): NodeMapping {
  if (p.sourceData === 'binary')
    return opaque(node, 'HTML extraction from a binary file: Leadloop runs carry JSON, not files');
  const field = staticText(p.dataPropertyName) ?? 'data';
  const source = `vars.${field}`;
  if (!FIELD_REF_PATTERN.test(source) || field.includes('.'))
    return opaque(node, `HTML extraction from the field "${field.slice(0, 100)}"`);
  const reasons: string[] = [];
  const extract: Rec[] = [];
  for (const v of (rec(p.extractionValues).values ?? []) as Rec[]) {
    const key = str(v.key);
    const selector = staticText(v.cssSelector);
    const value = RETURN_VALUES[str(v.returnValue) ?? 'text'];
    if (!key || !/^[A-Za-z0-9_-]{1,64}$/.test(key) || !selector || !value)
      return opaque(
        node,
        `HTML extraction rule ${JSON.stringify(v).slice(0, 200)} has no static key and selector`,
      );
    const attribute = str(v.attribute);
    if (value === 'attribute' && !attribute)
      return opaque(node, `HTML extraction of ${key}: attribute without a name`);
    const skip = str(v.skipSelectors);
    extract.push({
      key,
      selector: selector.slice(0, 500),
      value,
      ...(value === 'attribute' ? { attribute } : {}),
      ...(v.returnArray === true ? { all: true } : {}),
      ...(skip && value === 'text' ? { skip: skip.slice(0, 500) } : {}),
    });
  }
  if (extract.length === 0) return opaque(node, 'HTML extraction without extraction values');
  const options = rec(p.options);
  reasons.push(
    `the HTML is read from ${source} (the item's "${field}"): give the HTTP Request step that fetches the page \`saveAs: "${field}"\``,
  );
  return step(
    {
      type: 'html_extract',
      source,
      extract,
      ...(options.trimValues === false ? { trim: false } : {}),
      ...(options.cleanUpText === true ? { cleanUpText: true } : {}),
    },
    reasons,
  );
}

export function htmlNode(node: N8nNode, p: Rec, ctx: MapContext): NodeMapping {
  const op = str(p.operation) ?? 'generateHtmlTemplate';
  if (op === 'extractHtmlContent') return htmlExtractNode(node, p);
  if (op !== 'generateHtmlTemplate') return opaque(node, `HTML ${op} has no Leadloop step`);
  const { t, reasons } = templater(ctx);
  // The HTML node evaluates {{ }} in its template without the leading "=" of other parameters.
  const html = String(p.html ?? '');
  const template = t(html.startsWith('=') ? html : `=${html}`, 'template');
  return step({ type: 'render', format: 'text', template, saveAs: 'html' }, reasons);
}

export function formNode(_node: N8nNode, p: Rec): NodeMapping {
  if (str(p.operation) === 'completion') {
    const text = [str(p.completionTitle), str(p.completionMessage) ?? str(p.responseText)]
      .filter(Boolean)
      .join(' — ')
      .slice(0, 300);
    return step({ type: 'noop' }, [
      `the form's end screen is not shown: Leadloop's inbound webhook answers 202${text ? ` (n8n showed "${text}")` : ''}`,
    ]);
  }
  const fields = ((rec(p.formFields).values ?? []) as Rec[])
    .map((f) => str(f.fieldLabel))
    .filter((f): f is string => Boolean(f));
  return step({ type: 'noop' }, [
    `a further form page: the workflow's inbound webhook takes one submission, so its fields${
      fields.length > 0 ? ` (${fields.join(', ').slice(0, 300)})` : ''
    } belong in the form that posts to it`,
  ]);
}

/** Nodes reported, with the reason a user reads in the import report. */
export const REPORTED: Record<string, string> = {
  extractFromFile:
    'Leadloop runs carry JSON, not binary files: extract the file (CSV, PDF, spreadsheet) before it reaches the workflow',
};
