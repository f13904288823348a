import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { extractNeed } from './extract-need.ts';

const need = (text: string, expecting = false) => extractNeed(text, text, expecting)?.value;

describe('extractNeed', () => {
  it('takes the whole clause that holds a need phrase, up to the end of the sentence', () => {
    assert.equal(
      need('Hi. We need a better way to route inbound leads. Thanks!'),
      'We need a better way to route inbound leads',
    );
    assert.equal(
      need("I'm looking for a CRM that my reps will use"),
      "I'm looking for a CRM that my reps will use",
    );
    assert.equal(
      need('Our biggest problem is lead-to-account matching'),
      'Our biggest problem is lead-to-account matching',
    );
  });

  it('never keeps role fragments: a clause naming the visitor is left out, not cut up', () => {
    const masked = (text: string, claimed: string) => text.replace(claimed, '\u0000'.repeat(claimed.length));
    const text =
      'Head of Growth here, reporting to the CMO. I am the owner of a car dealership and we lose internet leads because nobody calls back quickly';
    const found = extractNeed(text, masked(masked(text, 'Head of Growth'), 'owner'), true)?.value;
    assert.equal(found, 'we lose internet leads because nobody calls back quickly');
    const title = 'Director of Demand Generation';
    assert.equal(extractNeed(title, masked(title, title), true), undefined);
    const quotes = 'Procurement specialist, gathering quotes for our CMO';
    assert.equal(extractNeed(quotes, masked(quotes, 'Procurement specialist'), true), undefined);
  });

  it('every need it returns is a contiguous span of the message', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.constantFrom(
            'we need',
            'a CRM',
            'budget 5k',
            ',',
            '.',
            'and',
            'hi',
            'our reps',
            'lose leads',
            'by Q3',
          ),
          { maxLength: 12 },
        ),
        fc.boolean(),
        (parts, expecting) => {
          const text = parts.join(' ');
          const found = extractNeed(text, text, expecting);
          if (found !== undefined) assert.ok(text.includes(found.value));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps pain statements whole', () => {
    assert.equal(
      need("We're losing leads because follow-up is slow"),
      "We're losing leads because follow-up is slow",
    );
  });

  it('stops at a clause about another slot', () => {
    assert.equal(need('we need lead scoring, budget around 50k'), 'we need lead scoring');
  });

  it('ignores captures that only say when to buy', () => {
    assert.equal(need('we want to go live soon'), undefined);
  });

  it('takes a plain answer whole only when the need was asked for', () => {
    assert.equal(need('lead routing for our sales team'), undefined);
    assert.equal(need('lead routing for our sales team', true), 'lead routing for our sales team');
    assert.equal(need('Good morning!', true), undefined);
    assert.equal(need('what is this?', true), undefined);
  });

  it('never throws and returns at most 200 characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.boolean(), (text, expecting) => {
        const found = extractNeed(text, text, expecting);
        if (found !== undefined) assert.ok(found.value.length <= 200 && found.value.length > 0);
      }),
      { numRuns: 300 },
    );
  });
});
