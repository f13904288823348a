import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bantSlots as slots } from './testing/extraction.ts';

// Messages written from issue 18's description (titles first, non-native English, typos), not taken
// from any evaluation set: what a visitor nobody tuned against might write.

describe('extraction on phrasings nobody tuned against', () => {
  it('keeps the need of a message that opens with a title, whatever question was asked', () => {
    for (const expecting of [null, 'authority', 'need']) {
      const got = slots(
        'Director of Demand Generation. We lose internet leads because nobody calls back quickly',
        expecting,
      );
      assert.equal(got.authority, 'director', String(expecting));
      assert.equal(got.need, 'We lose internet leads because nobody calls back quickly', String(expecting));
    }
  });

  it('reads non-native need phrases as the visitor’s whole clause', () => {
    assert.equal(
      slots('I am responsable for sales, we search a tool for qualifying the leads automaticaly').need,
      'we search a tool for qualifying the leads automaticaly',
    );
    assert.equal(
      slots('we are searching a tool for qualifying leads', 'authority').need,
      'we are searching a tool for qualifying leads',
    );
    assert.equal(
      slots('we waste hours copying leads into the CRM').need,
      'we waste hours copying leads into the CRM',
    );
  });

  it('reads misspelt titles, and not inflected verbs as titles', () => {
    assert.equal(slots('Im the cheif marketing officer').authority, 'executive');
    assert.equal(slots('I am sales manger').authority, 'manager');
    assert.equal(slots('direcor of marketing here').authority, 'director');
    assert.equal(slots('My boss is CEO, I am the assistent of him').authority, 'individual');
    assert.equal(slots('Me is the owner of the shop', 'authority').authority, 'executive');
    assert.equal(slots('I managed the project alone').authority, undefined);
    assert.equal(slots('we owned three shops').authority, undefined);
    // Someone else's misspelt title is not the visitor's.
    assert.equal(slots('our cheif executive decides').authority, undefined);
  });

  it('reads several slots with typos in one message; "we need to go live" states no need', () => {
    assert.deepEqual(
      slots('we need to go live by next quater, budjet is arround 20k eur, I am the VP Marketing'),
      {
        timeline: { byDate: '2027-03-31' },
        budget: { min: 20_000, max: 20_000, currency: 'EUR', period: 'one_off' },
        authority: 'vp',
      },
    );
  });
});
