import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { extractNeed } from './extract-need.ts';

const need = (text: string, expecting = false) => extractNeed(text, text, expecting)?.value;

describe('extractNeed', () => {
  it('takes the words after a need phrase, up to the end of the sentence', () => {
    assert.equal(
      need('Hi. We need a better way to route inbound leads. Thanks!'),
      'a better way to route inbound leads',
    );
    assert.equal(need("I'm looking for a CRM that my reps will use"), 'a CRM that my reps will use');
    assert.equal(need('Our biggest problem is lead-to-account matching'), 'lead-to-account matching');
  });

  it('keeps pain statements whole', () => {
    assert.equal(
      need("We're losing leads because follow-up is slow"),
      "We're losing leads because follow-up is slow",
    );
  });

  it('stops at a clause about another slot', () => {
    assert.equal(need('we need lead scoring, budget around 50k'), 'lead scoring');
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
