import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractMoney, type MoneyOptions } from './extract-money.ts';
import { extractRoles, selfAuthority } from './extract-role.ts';
import { extractTimeline } from './extract-timeline.ts';
import { detectIntents } from './intents.ts';
import { EXTRACTION_NOW as now, bantSlots as slots } from './testing/extraction.ts';

// Phrasings of the kinds dev set 6 collects (ranges that start like a year, periods written the
// non-native way, sign-offs, names one letter from a month), written for these tests.
const asked: MoneyOptions = { defaultCurrency: 'USD', expecting: true };
const money = (text: string, options = asked) => extractMoney(text, options).map((m) => m.value);

describe('budgets as visitors nobody tuned against write them', () => {
  it('reads a range whose low end looks like a year', () => {
    assert.deepEqual(money('somewhere between 2000 and 2500 pounds a month'), [
      { min: 2000, max: 2500, currency: 'GBP', period: 'month' },
    ]);
    // Two years are still no range of money.
    assert.deepEqual(money('we grew a lot between 2019 and 2024', { ...asked, expecting: false }), []);
  });

  it('reads "2k leads a month" as a count of leads, and finds the budget said after it', () => {
    assert.deepEqual(slots('we get ~3k signups a month and can spend 4-6k/month', 'budget').budget, {
      min: 4000,
      max: 6000,
      currency: 'USD',
      period: 'month',
    });
  });

  it('reads a range of number words that share one multiplier', () => {
    assert.deepEqual(money('between four and six thousand euros'), [
      { min: 4000, max: 6000, currency: 'EUR', period: 'one_off' },
    ]);
  });

  it('keeps periods written "at month", "one year", "per quater"', () => {
    assert.equal(money('max 300 euro at month')[0]?.period, 'month');
    assert.equal(money('budget 12000 USD one year')[0]?.period, 'year');
    assert.equal(money('4k per quater')[0]?.period, 'quarter');
  });

  it('reads a bound said after the period, and the real as a currency', () => {
    assert.deepEqual(money('50 dollars a month max'), [
      { min: 0, max: 50, currency: 'USD', period: 'month' },
    ]);
    assert.equal(money('R$ 8.000 por mes')[0]?.currency, 'BRL');
  });
});

describe('roles in sign-offs and self-introductions', () => {
  const unasked = (text: string) => selfAuthority(extractRoles(text), false)?.level;
  it('reads the title after the visitor’s own name as theirs', () => {
    assert.equal(unasked('Good morning, myself Anil, Director of Sales at a logistics firm.'), 'director');
    assert.equal(unasked('We want faster replies. Kind regards, Maria Lopez, VP Marketing, Acme'), 'vp');
    assert.equal(unasked('Thanks, Tom Baker, Head of Sales'), 'director');
  });

  it('reads "responsible of" a function as "responsible for" it', () => {
    assert.equal(unasked('I am responsible of sales in a furniture company'), 'director');
  });

  it('reads a title in the possessive, or of someone the visitor works for, as someone else’s', () => {
    assert.equal(unasked("I am the CFO's assistant"), 'individual');
    assert.equal(unasked('I work for the CRO'), undefined);
    // "it's" after a title ending in "IT" is no possessive.
    assert.equal(unasked("I'm a freelancer, it's just me"), 'individual');
  });

  it('still reads a title after someone else’s name as nobody’s', () => {
    assert.equal(unasked('We met Maria, our VP Marketing, last week'), undefined);
  });
});

describe('time phrases', () => {
  it('reads no deadline in a name one letter from a month, but repairs a misspelt month after a lead-in', () => {
    assert.deepEqual(extractTimeline('Hi, this is Marco from Ristoro', { now }), []);
    assert.equal(extractTimeline('latest by febuary', { now })[0]?.value.byDate, '2027-02-28');
  });

  it('takes the end of the work, not its start, as the deadline', () => {
    assert.deepEqual(
      slots('the rollout starts in January and must be live by end of April', 'timeline').timeline,
      {
        byDate: '2027-04-30',
      },
    );
  });

  it('reads weekdays in a description of the problem as no deadline, and keeps the need', () => {
    const got = slots('Requests that arrive on Saturday morning sit untouched until Tuesday', 'need');
    assert.equal(got.timeline, undefined);
    assert.equal(got.need, 'Requests that arrive on Saturday morning sit untouched until Tuesday');
  });
});

describe('the need', () => {
  it('keeps the last word of a clause that ends on its own, and drops the one left before a date', () => {
    assert.equal(slots('Our referrals are drying up', 'need').need, 'Our referrals are drying up');
    // "…that" points back: the clause it points at is part of the need, as one span of the message.
    assert.equal(
      slots('Trial users never hear from sales. We want to change that.', 'need').need,
      'Trial users never hear from sales. We want to change that',
    );
    assert.equal(
      slots('we need lead scoring in place by March', 'need').need,
      'we need lead scoring in place',
    );
  });
});

describe('declining a budget question', () => {
  it('reads "haven’t set a budget" as no answer rather than something to re-ask', () => {
    for (const text of ["haven't set a budget", 'we did not define a budget yet', "we don't have a budget"])
      assert.ok(detectIntents(text).includes('skip'), text);
  });
});
