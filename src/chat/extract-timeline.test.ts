import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { addMonths, toIsoDate, ymdOf } from './dates.ts';
import { extractTimeline } from './extract-timeline.ts';

// Saturday 28 November 2026, 10:00 UTC.
const now = Date.UTC(2026, 10, 28, 10);
const dates = (text: string, extra: { locale?: string; expecting?: boolean } = {}) =>
  extractTimeline(text, { now, ...extra }).map((m) => m.value.byDate);

describe('extractTimeline', () => {
  it('resolves named periods to their last day', () => {
    assert.deepEqual(dates('next quarter'), ['2027-03-31']);
    assert.deepEqual(dates('this quarter'), ['2026-12-31']);
    assert.deepEqual(dates('next month'), ['2026-12-31']);
    assert.deepEqual(dates('by the end of the year'), ['2026-12-31']);
    assert.deepEqual(dates('next year'), ['2027-12-31']);
    assert.deepEqual(dates('next week'), ['2026-12-06']);
  });

  it('resolves durations from today', () => {
    assert.deepEqual(dates('in 3 months'), ['2027-02-28']);
    assert.deepEqual(dates('within six weeks'), ['2027-01-09']);
    assert.deepEqual(dates('in a couple of weeks'), ['2026-12-12']);
    assert.deepEqual(dates('in the next 2-3 months'), ['2027-02-28']);
    assert.deepEqual(dates('90 days from now'), ['2027-02-26']);
  });

  it('resolves month names to the end of their next occurrence', () => {
    assert.deepEqual(dates('by March'), ['2027-03-31']);
    assert.deepEqual(dates('by the end of November'), ['2026-11-30']);
    assert.deepEqual(dates('early March'), ['2027-03-31']);
  });

  it('does not read the modal verb "may" or the verb "march" as months', () => {
    assert.deepEqual(dates('we may need a few people'), []);
    assert.deepEqual(dates('we march on'), []);
    assert.deepEqual(dates('May', { expecting: true }), ['2027-05-31']);
  });

  it('reads quarters, halves and parts of a year', () => {
    assert.deepEqual(dates('by Q2'), ['2027-06-30']);
    assert.deepEqual(dates('end of Q3 2027'), ['2027-09-30']);
    assert.deepEqual(dates('Q4'), ['2026-12-31']);
    assert.deepEqual(dates('H1 next year'), ['2027-06-30']);
    assert.deepEqual(dates('early next year'), ['2027-03-31']);
    assert.deepEqual(dates('mid next year'), ['2027-06-30']);
    assert.deepEqual(dates('sometime in 2027'), ['2027-12-31']);
  });

  it('reads "as soon as possible" as within 30 days', () => {
    assert.deepEqual(dates('ASAP'), ['2026-12-28']);
    assert.deepEqual(dates('lo antes posible'), ['2026-12-28']);
    assert.deepEqual(dates('honestly we needed it yesterday'), ['2026-12-28']);
    assert.deepEqual(dates('yesterday', { expecting: true }), ['2026-12-28']);
    assert.deepEqual(dates('I spoke to your sales team yesterday'), []);
  });

  it('reads explicit dates, day-first unless the locale is en-US', () => {
    assert.deepEqual(dates('2027-02-15'), ['2027-02-15']);
    assert.deepEqual(dates('by 30.04.2027'), ['2027-04-30']);
    assert.deepEqual(dates('03/04/2027'), ['2027-04-03']);
    assert.deepEqual(dates('03/04/2027', { locale: 'en-US' }), ['2027-03-04']);
    assert.deepEqual(dates('January 15th'), ['2027-01-15']);
    assert.deepEqual(dates('by 1 March 2027'), ['2027-03-01']);
  });

  it('reads German, Spanish and French phrases', () => {
    assert.deepEqual(dates('bis Ende März'), ['2027-03-31']);
    assert.deepEqual(dates('nächstes Quartal'), ['2027-03-31']);
    assert.deepEqual(dates('in den nächsten 3 Monaten'), ['2027-02-28']);
    assert.deepEqual(dates('el próximo trimestre'), ['2027-03-31']);
    assert.deepEqual(dates('dentro de 6 meses'), ['2027-05-28']);
    assert.deepEqual(dates('le trimestre prochain'), ['2027-03-31']);
    assert.deepEqual(dates("d'ici juin"), ['2027-06-30']);
  });

  it('needs a preposition for a bare duration unless the timeline was asked for', () => {
    assert.deepEqual(dates('we have 3 months of data'), []);
    assert.deepEqual(dates('3 months', { expecting: true }), ['2027-02-28']);
    assert.deepEqual(dates('6-8 weeks'), ['2027-01-23']);
  });

  it('never throws on arbitrary text and returns valid ISO dates', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 160 }), (text) => {
        for (const match of extractTimeline(text, { now }))
          assert.match(match.value.byDate, /^\d{4}-\d{2}-\d{2}$/);
      }),
      { numRuns: 300 },
    );
  });

  it('resolves "in N months" to the same day N months on, for any day of the year', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3650 }), fc.integer({ min: 1, max: 24 }), (day, months) => {
        const at = Date.UTC(2025, 0, 1) + day * 86_400_000;
        const [match] = extractTimeline(`in ${months} months`, { now: at });
        assert.equal(match?.value.byDate, toIsoDate(addMonths(ymdOf(at), months)));
      }),
      { numRuns: 200 },
    );
  });
});
