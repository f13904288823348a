import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractTimeline } from './extract-timeline.ts';

const at = (text: string, now = '2026-12-06T10:00:00Z') =>
  extractTimeline(text, { now: Date.parse(now), expecting: true })[0]?.value.byDate;

describe('time phrases resolve to the end of the window meant, never a day later', () => {
  it('reads holidays, seasons, the middle of the year and fiscal years', () => {
    assert.equal(at('we want it live before Christmas'), '2026-12-24');
    assert.equal(at('by Christmas would be great'), '2026-12-25');
    assert.equal(at('by mid year'), '2027-06-30');
    assert.equal(at('sometime in spring'), '2027-06-20');
    assert.equal(at('before summer'), '2027-06-20');
    assert.equal(at('by fall'), '2027-09-22');
    assert.equal(at('next fiscal year'), '2027-12-31');
    assert.equal(at('mid-January'), '2027-01-15');
  });

  it('takes "before X" as the end of the period before X', () => {
    assert.equal(at('before March'), '2027-02-28');
    assert.equal(at('before Q2'), '2027-03-31');
    assert.equal(at('before next year'), '2026-12-31');
  });

  it('keeps the windows of the label conventions', () => {
    assert.equal(at('within the next 3 months'), '2027-03-06');
    assert.equal(at('next month'), '2027-01-31');
    assert.equal(at('this quarter'), '2026-12-31');
    assert.equal(at('Q1'), '2027-03-31');
    assert.equal(at('ASAP'), '2027-01-05');
    assert.equal(at('next week'), '2026-12-13');
    assert.equal(at('ende des Jahres'), '2026-12-31');
    assert.equal(at('in spring', '2027-04-02T09:00:00Z'), '2027-06-20');
    assert.equal(at('by Christmas', '2026-12-28T09:00:00Z'), '2027-12-25');
  });
});
