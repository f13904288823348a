import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractTimeline } from './extract-timeline.ts';
import { createSpeller } from './spelling.ts';

// Cases written from issue 18's list ("Q3", "by mid year", "ASAP", "end of next quarter", "in a couple
// of weeks", non-native phrasings, typos), not from any evaluation set. Saturday 28 November 2026.
const now = Date.UTC(2026, 10, 28, 10);
const first = (text: string, expecting = true) => extractTimeline(text, { now, expecting })[0]?.value.byDate;

const WINDOWS: Array<[string, string]> = [
  // The issue's own phrases: the last day of the window meant.
  ['Q3', '2027-09-30'],
  ['by mid year', '2027-06-30'],
  ['ASAP', '2026-12-28'],
  ['end of next quarter', '2027-03-31'],
  ['in a couple of weeks', '2026-12-12'],
  ['within the next 3 months', '2027-02-28'],
  // Non-native phrasings.
  ['in next 2 month', '2027-01-28'],
  ['until end of year', '2026-12-31'],
  ['till end of the year', '2026-12-31'],
  ['mid of next month', '2026-12-15'],
  ['mid of 2027', '2027-06-30'],
  ['in one month time', '2026-12-28'],
  ['within 3 month', '2027-02-28'],
  ['on next month', '2026-12-31'],
  ['maximum 2 months', '2027-01-28'],
  ['half a year', '2027-05-28'],
  ['as fast as possible', '2026-12-28'],
  ['latest by february', '2027-02-28'],
  // Typos and abbreviations.
  ['next quater', '2027-03-31'],
  ['in 3 monts', '2027-02-28'],
  ['whithin 6 weeks', '2027-01-09'],
  ['as soon as posible', '2026-12-28'],
  ['end of februrary', '2027-02-28'],
  ['in 3 mths', '2027-02-28'],
  ['in 2 wks', '2026-12-12'],
  // "Before" a day is the day before it.
  ['before 1 March', '2027-02-28'],
  ['before 15/03/2027', '2027-03-14'],
];

describe('time phrases of issue 18 resolve to the end of the window meant', () => {
  for (const [text, want] of WINDOWS) {
    it(`"${text}" → ${want}`, () => assert.equal(first(text), want));
  }

  it('finds them inside a longer message, at the offsets of the words as written', () => {
    const text = 'Hi, we need a CRM plug-in by next quater, budget is around 10k';
    const [match] = extractTimeline(text, { now });
    assert.equal(match?.value.byDate, '2027-03-31');
    assert.equal(text.slice(match?.start, match?.end), 'next quater');
    const monts = 'Looking to go live in 3 monts if possible';
    const [live] = extractTimeline(monts, { now });
    assert.equal(monts.slice(live?.start, live?.end), 'in 3 monts');
  });

  it('leaves common words that look like time words alone', () => {
    for (const text of [
      'I spent 2 hours on this',
      'we plan it for the next sprint',
      'a perfect match for us',
      'we have 3 sprints left',
      'the winner of 2 awards',
      'we have 500 euros a month',
      'I worked here for 3 yrs',
    ])
      assert.deepEqual(extractTimeline(text, { now }), [], text);
  });
});

describe('createSpeller', () => {
  const repair = createSpeller(['quarter', 'months', 'month', 'within'], { wks: 'weeks' });

  it('repairs one edit away, prefers the ending of the word, and maps offsets back', () => {
    const repaired = repair('next quater in 3 monts wks');
    assert.equal(repaired?.text, 'next quarter in 3 months weeks');
    const start = repaired?.text.indexOf('quarter') ?? -1;
    assert.equal(repaired?.start(start), 5);
    assert.equal(repaired?.end(start + 'quarter'.length), 11);
  });

  it('leaves known words, short words and words two edits away', () => {
    assert.equal(repair('the month within'), null);
    assert.equal(repair('mnth'), null);
    assert.equal(repair('quartzer'.replace('z', 'zz')), null);
  });
});
