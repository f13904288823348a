import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { extractHtml } from './html-extract.ts';

const PAGE = `<html><head><script>document.title = 'never run'</script></head><body>
  <h1 class="name">  Ann   Example
  </h1>
  <p class="bio">Founder <span class="badge">PRO</span> at Initech</p>
  <a class="link" href="https://a.example">A</a><a class="link" href="https://b.example">B</a>
  <form><input name="email" value="ann@example.com"></form>
</body></html>`;

describe('HTML extraction by CSS selector', () => {
  test('returns text, inner HTML, attributes and form values, first match or all', () => {
    const { values, errors } = extractHtml(PAGE, [
      { key: 'name', selector: 'h1.name', value: 'text' },
      { key: 'bio', selector: '.bio', value: 'html' },
      { key: 'links', selector: 'a.link', value: 'attribute', attribute: 'href', all: true },
      { key: 'first', selector: 'a.link', value: 'attribute', attribute: 'href' },
      { key: 'email', selector: 'input[name=email]', value: 'value' },
      { key: 'missing', selector: '.nothing', value: 'text' },
      { key: 'none', selector: '.nothing', value: 'text', all: true },
    ]);
    assert.deepEqual(errors, []);
    assert.deepEqual(values, {
      name: 'Ann   Example',
      bio: 'Founder <span class="badge">PRO</span> at Initech',
      links: ['https://a.example', 'https://b.example'],
      first: 'https://a.example',
      email: 'ann@example.com',
      missing: null,
      none: [],
    });
  });

  test('skips descendants before taking text, cleans up white space, and keeps it untrimmed when asked', () => {
    const rules = [
      { key: 'bio', selector: '.bio', value: 'text' as const, skip: '.badge' },
      { key: 'name', selector: 'h1', value: 'text' as const },
    ];
    assert.deepEqual(extractHtml(PAGE, rules, { cleanUpText: true }).values, {
      bio: 'Founder at Initech',
      name: 'Ann Example',
    });
    assert.match(String(extractHtml(PAGE, rules, { trim: false }).values.name), /^\s+Ann/);
    assert.equal(extractHtml(PAGE, rules).values.bio, 'Founder  at Initech', 'skip in one rule only');
  });

  test('a selector that does not parse nulls its key and names it, the others still extract', () => {
    const { values, errors } = extractHtml(PAGE, [
      { key: 'bad', selector: 'a[', value: 'text' },
      { key: 'name', selector: 'h1', value: 'text' },
    ]);
    assert.equal(values.bad, null);
    assert.equal(values.name, 'Ann   Example');
    assert.match(errors[0] ?? '', /^bad: /);
  });

  test('never throws on arbitrary HTML and selectors', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 300 }),
        fc.string({ minLength: 1, maxLength: 30 }),
        (html, selector) => {
          const out = extractHtml(html, [{ key: 'k', selector, value: 'text', all: true }]);
          assert.ok(Array.isArray(out.values.k));
        },
      ),
      { numRuns: 300 },
    );
  });
});
