import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { extractOffline } from './offline-extractor.ts';
import type { ExtractionField } from './slot-extractor.ts';
import { BANT_FIELDS, bantContext as context } from './testing/extraction.ts';

describe('extractOffline', () => {
  it('reads several slots from one message', () => {
    const result = extractOffline(
      "I'm the CTO of a 200-person company. We need a better way to route inbound leads, budget around $50k and we want to go live next quarter.",
      context('need'),
    );
    assert.deepEqual(result.slots, {
      timeline: { byDate: '2027-03-31' },
      budget: { min: 50_000, max: 50_000, currency: 'USD', period: 'one_off' },
      authority: 'executive',
      need: 'We need a better way to route inbound leads',
    });
  });

  it('marks corrections and keeps the earlier currency', () => {
    const result = extractOffline(
      'actually our budget is closer to 20k',
      context('timeline', { filled: { budget: { min: 50_000, max: 50_000, currency: 'EUR' } } }),
    );
    assert.equal(result.correction, true);
    assert.deepEqual(result.anchored, ['budget']);
    assert.deepEqual(result.slots, {
      budget: { min: 20_000, max: 20_000, currency: 'EUR', period: 'one_off' },
    });
  });

  it('drops the value a visitor takes back ("by April, not February")', () => {
    const result = extractOffline('sorry, I meant by April, not February', context('budget'));
    assert.deepEqual(result.slots.timeline, { byDate: '2027-04-30' });
  });

  it('takes the later amount after a contrast', () => {
    const result = extractOffline(
      'our annual tooling budget is 200k but for this maybe 30k',
      context('budget'),
    );
    assert.deepEqual(result.slots.budget, { min: 30_000, max: 30_000, currency: 'USD', period: 'one_off' });
  });

  it('reads bare answers only for the slot just asked', () => {
    assert.deepEqual(extractOffline('about 15000', context('budget')).slots, {
      budget: { min: 15_000, max: 15_000, currency: 'USD', period: 'one_off' },
    });
    assert.deepEqual(extractOffline('about 15000', context('need')).slots, {});
    assert.deepEqual(extractOffline('Head of Sales', context('authority')).slots, { authority: 'director' });
  });

  it('does not take a skip, a greeting or a question as a free-text answer', () => {
    assert.deepEqual(extractOffline('not sure yet', context('need')).slots, {});
    assert.deepEqual(extractOffline('hello there', context('need')).slots, {});
    assert.deepEqual(extractOffline('what is the weather like?', context('need')).slots, {});
  });

  it('shares values among several fields of one type by their keywords', () => {
    const fields: ExtractionField[] = [
      { slot: 'setup_budget', type: 'money', keywords: ['setup', 'one-off'], defaultCurrency: 'USD' },
      {
        slot: 'yearly_budget',
        type: 'money',
        keywords: ['per year', 'yearly', 'annual'],
        defaultCurrency: 'USD',
      },
    ];
    const result = extractOffline('annual budget is $40k and the setup 5k', context(null, { fields }));
    assert.deepEqual(result.slots, {
      yearly_budget: { min: 40_000, max: 40_000, currency: 'USD', period: 'year' },
      setup_budget: { min: 5_000, max: 5_000, currency: 'USD', period: 'one_off' },
    });
  });

  it('picks enum options by synonyms, short ones only when asked', () => {
    const fields: ExtractionField[] = [
      {
        slot: 'industry',
        type: 'enum',
        keywords: [],
        options: [
          { value: 'saas', words: ['saas', 'software'] },
          { value: 'ecommerce', words: ['ecommerce', 'online shop'] },
        ],
      },
    ];
    assert.deepEqual(extractOffline('we run an online shop', context(null, { fields })).slots, {
      industry: 'ecommerce',
    });
    assert.deepEqual(extractOffline('saas', context(null, { fields })).slots, {});
    assert.deepEqual(extractOffline('saas', context('industry', { fields })).slots, { industry: 'saas' });
  });

  it('takes no deadline from a description of the problem', () => {
    const slots = (text: string) => extractOffline(text, context('need')).slots;
    assert.equal(
      slots('We keep losing leads because nobody calls them back within a day').timeline,
      undefined,
    );
    assert.equal(slots('we need to see which accounts visited the pricing page today').timeline, undefined);
    assert.equal(slots('I want to understand why our cost per lead doubled this year').timeline, undefined);
    assert.deepEqual(slots('we want it live by end of February').timeline, { byDate: '2027-02-28' });
  });

  it('reads the end of the work, not its start, as the deadline', () => {
    const result = extractOffline(
      'we would like to start in January and be done by end of February',
      context('timeline'),
    );
    assert.deepEqual(result.slots.timeline, { byDate: '2027-02-28' });
  });

  it('takes no budget from money spent on something else', () => {
    const result = extractOffline(
      'we spend maybe 800 a month on ads and the front desk misses web enquiries',
      context('need'),
    );
    assert.equal(result.slots.budget, undefined);
    assert.equal(result.slots.need, 'the front desk misses web enquiries');
  });

  it('reads a correction of a filled slot as an answer, with its period', () => {
    const result = extractOffline(
      'sorry, I meant 3000 per month, not in total',
      context(null, { filled: { budget: { min: 3000, max: 3000, currency: 'USD', period: 'one_off' } } }),
    );
    assert.equal(result.correction, true);
    assert.deepEqual(result.slots.budget, { min: 3000, max: 3000, currency: 'USD', period: 'month' });
  });

  it('leaves what the visitor takes back out of a corrected need', () => {
    const result = extractOffline(
      'sorry, not a CRM — we need to get leads from our website chat into the CRM we already have',
      context('authority'),
    );
    assert.equal(result.correction, true);
    assert.equal(
      result.slots.need,
      'we need to get leads from our website chat into the CRM we already have',
    );
  });

  it('never throws on arbitrary text, whatever is expected', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.constantFrom(null, 'need', 'authority', 'timeline', 'budget'),
        (text, expecting) => {
          const result = extractOffline(text, context(expecting));
          for (const slot of Object.keys(result.slots)) assert.ok(BANT_FIELDS.some((f) => f.slot === slot));
        },
      ),
      { numRuns: 300 },
    );
  });
});
