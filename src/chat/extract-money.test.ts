import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { extractMoney, formatMoneyAmount, type MoneyOptions } from './extract-money.ts';

const loose: MoneyOptions = { defaultCurrency: 'USD', expecting: false };
const asked: MoneyOptions = { defaultCurrency: 'USD', expecting: true };
// One-off is the default period; the assertions below name a period only when one was stated.
const values = (text: string, options = loose) =>
  extractMoney(text, options).map(({ value: { period, ...rest } }) =>
    period === 'one_off' ? rest : { ...rest, period },
  );

describe('extractMoney', () => {
  it('reads a bound said after the amount or as a ceiling, weekly amounts as the year they make', () => {
    assert.deepEqual(values('10 000 € maximum', asked), [{ min: 0, max: 10_000, currency: 'EUR' }]);
    assert.deepEqual(values('tender ceiling is 90k EUR'), [{ min: 0, max: 90_000, currency: 'EUR' }]);
    assert.deepEqual(values('we could pay 100 dollars a week'), [
      { min: 5_200, max: 5_200, currency: 'USD', period: 'year' },
    ]);
    assert.deepEqual(values('up to 6000 dollars for the year'), [
      { min: 0, max: 6_000, currency: 'USD', period: 'year' },
    ]);
    assert.deepEqual(values('around 60 000 zloty'), [{ min: 60_000, max: 60_000, currency: 'PLN' }]);
  });

  it('reads shorthands with and without currency symbols', () => {
    assert.deepEqual(values('around 50k'), [{ min: 50_000, max: 50_000, currency: 'USD' }]);
    assert.deepEqual(values('$1.2M for the whole programme'), [
      { min: 1_200_000, max: 1_200_000, currency: 'USD' },
    ]);
    assert.deepEqual(values('£40k'), [{ min: 40_000, max: 40_000, currency: 'GBP' }]);
    assert.deepEqual(values('USD 45K'), [{ min: 45_000, max: 45_000, currency: 'USD' }]);
    assert.deepEqual(values('about 20 grand'), [{ min: 20_000, max: 20_000, currency: 'USD' }]);
    assert.deepEqual(values('fifty thousand dollars'), [{ min: 50_000, max: 50_000, currency: 'USD' }]);
  });

  it('reads European thousands separators and decimal commas', () => {
    assert.deepEqual(values('€15.000'), [{ min: 15_000, max: 15_000, currency: 'EUR' }]);
    assert.deepEqual(values('15.000 €'), [{ min: 15_000, max: 15_000, currency: 'EUR' }]);
    assert.deepEqual(values('1,5 Mio €'), [{ min: 1_500_000, max: 1_500_000, currency: 'EUR' }]);
    assert.deepEqual(values("CHF 60'000"), [{ min: 60_000, max: 60_000, currency: 'CHF' }]);
    assert.deepEqual(values('30 000 euro'), [{ min: 30_000, max: 30_000, currency: 'EUR' }]);
  });

  it('reads ranges, sharing a multiplier written only on the upper bound', () => {
    assert.deepEqual(values('between 10 and 20 thousand euros'), [
      { min: 10_000, max: 20_000, currency: 'EUR' },
    ]);
    assert.deepEqual(values('10-20k'), [{ min: 10_000, max: 20_000, currency: 'USD' }]);
    assert.deepEqual(values('$5-10k'), [{ min: 5_000, max: 10_000, currency: 'USD' }]);
    assert.deepEqual(values('zwischen 10 und 20 Tausend Euro'), [
      { min: 10_000, max: 20_000, currency: 'EUR' },
    ]);
    assert.deepEqual(values('around 40k, maybe up to 60k'), [{ min: 40_000, max: 60_000, currency: 'USD' }]);
  });

  it('reads upper bounds as starting from zero', () => {
    assert.deepEqual(values('up to €80k'), [{ min: 0, max: 80_000, currency: 'EUR' }]);
    assert.deepEqual(values('less than $5k'), [{ min: 0, max: 5_000, currency: 'USD' }]);
  });

  it('keeps amounts as stated for their period', () => {
    assert.deepEqual(values('about 2k a month'), [
      { min: 2_000, max: 2_000, currency: 'USD', period: 'month' },
    ]);
    assert.deepEqual(values('between 1 and 2 thousand dollars a month'), [
      { min: 1_000, max: 2_000, currency: 'USD', period: 'month' },
    ]);
    assert.deepEqual(values('budget is maybe 500 euros a month'), [
      { min: 500, max: 500, currency: 'EUR', period: 'month' },
    ]);
    assert.deepEqual(values('$60k per year'), [
      { min: 60_000, max: 60_000, currency: 'USD', period: 'year' },
    ]);
    assert.deepEqual(values('annual budget of about 40k'), [
      { min: 40_000, max: 40_000, currency: 'USD', period: 'year' },
    ]);
    assert.deepEqual(values('10k per quarter'), [
      { min: 10_000, max: 10_000, currency: 'USD', period: 'quarter' },
    ]);
    assert.deepEqual(values('€25 per user per month'), [
      { min: 25, max: 25, currency: 'EUR', period: 'month', unit: 'seat' },
    ]);
  });

  it('reads "mil" as thousand in Spanish and lakh as 100,000', () => {
    assert.deepEqual(values('unos 15 mil euros', { ...loose, language: 'es' }), [
      { min: 15_000, max: 15_000, currency: 'EUR' },
    ]);
    assert.deepEqual(values('around 2 lakh rupees'), [{ min: 200_000, max: 200_000, currency: 'INR' }]);
  });

  it('applies the one currency named anywhere in the message', () => {
    assert.deepEqual(values('about 20 grand, in pounds'), [{ min: 20_000, max: 20_000, currency: 'GBP' }]);
  });

  it('ignores bare numbers unless money was asked for or a budget word is near', () => {
    assert.deepEqual(values('we are 200 people and need it in 3 months'), []);
    assert.deepEqual(values('we started in 2019'), []);
    assert.deepEqual(values('our budget is 20000'), [{ min: 20_000, max: 20_000, currency: 'USD' }]);
    assert.deepEqual(values('about 15000', asked), [{ min: 15_000, max: 15_000, currency: 'USD' }]);
    assert.deepEqual(values('3 months', asked), []);
  });

  it('uses the default currency for amounts written without one', () => {
    assert.deepEqual(values('closer to 20k', { defaultCurrency: 'EUR', expecting: false }), [
      { min: 20_000, max: 20_000, currency: 'EUR' },
    ]);
  });

  it('never throws and always returns ordered, non-negative ranges', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.boolean(), (text, expecting) => {
        for (const match of extractMoney(text, { defaultCurrency: 'USD', expecting })) {
          assert.ok(match.value.min >= 0 && match.value.min <= match.value.max);
          assert.ok(match.start >= 0 && match.end <= text.length && match.start < match.end);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reads back any whole amount formatted as en-US currency', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50_000_000 }),
        fc.constantFrom('USD', 'EUR', 'GBP'),
        (amount, currency) => {
          const text = `our budget is ${formatMoneyAmount(amount, currency)}`;
          assert.deepEqual(values(text), [{ min: amount, max: amount, currency }]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reads back any k-shorthand range', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 900 }), fc.integer({ min: 1, max: 900 }), (a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        assert.deepEqual(values(`${low}k-${high}k`), [
          { min: low * 1000, max: high * 1000, currency: 'USD' },
        ]);
      }),
      { numRuns: 200 },
    );
  });
});
