import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { htmlToMarkdown, htmlToText, markdownToHtml } from '../actions/markup.ts';
import type { StepOf } from '../dsl/index.ts';
import { collectStep, renderStep } from './data-executors.ts';
import type { RunScope } from './evaluate.ts';
import type { StepRuntime } from './executor-kit.ts';
import { loopOutcome } from './run-scope.ts';

const scope = (over: Partial<RunScope> = {}): RunScope => ({
  lead: { name: 'Ann <b>' },
  trigger: {},
  vars: {},
  steps: {},
  loop: {},
  consent: null,
  ...over,
});
const rt = (s: RunScope) => ({ scope: s }) as unknown as StepRuntime;

describe('collect', () => {
  const step: StepOf<'collect'> = {
    id: 'gather',
    type: 'collect',
    append: { emails: 'vars.email' },
    loop: 'each',
    next: 'each',
  };

  test('appends the value to the list, and starts afresh on the loop’s first item', () => {
    const later = collectStep(
      step,
      rt(scope({ vars: { emails: ['a@x'], email: 'b@x' }, loop: { each: { index: 1, item: {} } } })),
    );
    assert.deepEqual(later.kind === 'continue' && later.output.vars, { emails: ['a@x', 'b@x'] });
    const first = collectStep(
      step,
      rt(scope({ vars: { emails: ['stale'], email: 'a@x' }, loop: { each: { index: 0, item: {} } } })),
    );
    assert.deepEqual(first.kind === 'continue' && first.output.vars, { emails: ['a@x'] });
  });

  test('keeps at most maxItems values and counts the ones dropped', () => {
    const out = collectStep(
      { ...step, loop: undefined, maxItems: 2 } as StepOf<'collect'>,
      rt(scope({ vars: { emails: [1, 2], email: 3 } })),
    );
    assert.deepEqual(out.kind === 'continue' && [out.output.vars, out.output.dropped], [
      { emails: [1, 2] },
      1,
    ]);
  });
});

describe('loop items as run variables', () => {
  const loop = (extra: Partial<StepOf<'loop'>>): StepOf<'loop'> => ({
    id: 'each',
    type: 'loop',
    body: 'b',
    maxIterations: 10,
    over: 'trigger.people',
    ...extra,
  });
  const people = [{ email: 'a@x', 'bad key!': 1 }, 'plain'];

  test('spread sets an object item’s fields as variables; any other item goes to vars.<as>', () => {
    const s = scope({ trigger: { people } });
    const first = loopOutcome(loop({ spread: true, as: 'person' }), [], s);
    assert.deepEqual(first.output.vars, { email: 'a@x' }, 'keys that are not variable names are left out');
    const row = { step_id: 'each', status: 'completed', output: JSON.stringify(first.output) };
    const second = loopOutcome(loop({ spread: true, as: 'person' }), [row] as never, s);
    assert.deepEqual(second.output.vars, { person: 'plain' });
  });

  test('without as or spread the loop sets no variables', () => {
    assert.equal(loopOutcome(loop({}), [], scope({ trigger: { people } })).output.vars, undefined);
  });
});

describe('render and markup', () => {
  test('html escapes values; markdown_to_html converts after rendering', () => {
    const html = renderStep(
      { id: 'r', type: 'render', format: 'html', template: '<p>{{lead.name}}</p>', saveAs: 'x' },
      rt(scope()),
    );
    assert.equal(html.kind === 'continue' && html.output.response, '<p>Ann &lt;b&gt;</p>');
    const md = renderStep(
      { id: 'r', type: 'render', format: 'markdown_to_html', template: '# Hi {{lead.name}}', saveAs: 'x' },
      rt(scope()),
    );
    assert.equal(md.kind === 'continue' && md.output.response, '<h1>Hi Ann &lt;b&gt;</h1>');
  });

  test('Markdown → HTML covers lists, emphasis, links, code; script links are neutralised', () => {
    assert.equal(
      markdownToHtml(
        'Hello **you** and _me_\n\n- [site](https://a.example)\n- `x < y`\n\n[bad](javascript:alert(1))',
      ),
      '<p>Hello <strong>you</strong> and <em>me</em></p>\n<ul><li><a href="https://a.example">site</a></li><li><code>x &lt; y</code></li></ul>\n<p><a href="#">bad</a>)</p>',
    );
  });

  test('HTML → Markdown and text drop scripts and keep structure', () => {
    const html =
      '<h2>Offer</h2><script>steal()</script><p>Save <b>20%</b> at <a href="https://s.example">our shop</a>&amp; more</p><ul><li>one</li><li>two</li></ul>';
    assert.equal(
      htmlToMarkdown(html),
      '## Offer\n\nSave **20%** at [our shop](https://s.example)& more\n\n- one\n- two',
    );
    assert.equal(htmlToText(html), 'Offer\n\nSave 20% at our shop (https://s.example)& more\n\none\ntwo');
  });

  test('no Markdown input yields a tag Leadloop did not write (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (md) => {
        const tags = markdownToHtml(md).match(/<\/?([a-z0-9]+)/gi) ?? [];
        for (const t of tags)
          assert.ok(/^<\/?(p|h[1-6]|ul|ol|li|em|strong|code|pre|a|img|blockquote|hr)$/i.test(t), t);
        assert.ok(!/href="javascript:/i.test(markdownToHtml(md)));
      }),
      { seed: 15, numRuns: 500 },
    );
  });
});
