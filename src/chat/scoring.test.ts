import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILT_IN_PLAYBOOKS } from './builtin-playbooks.ts';
import { budgetInScoringCurrency, decideOutcome, scoreSlots } from './scoring.ts';

const bant = BUILT_IN_PLAYBOOKS.bant;
const now = Date.UTC(2026, 10, 28);

describe('scoring', () => {
  it('gives points per slot with the reason and the maximum', () => {
    const score = scoreSlots(
      bant,
      {
        need: 'lead routing',
        authority: 'vp',
        timeline: { byDate: '2027-01-31' },
        budget: { min: 40_000, max: 60_000, currency: 'USD' },
      },
      now,
    );
    assert.deepEqual(
      score.lines.map((l) => [l.slot, l.points, l.max]),
      [
        ['need', 20, 20],
        ['authority', 20, 25],
        ['timeline', 25, 25],
        ['budget', 30, 30],
      ],
    );
    assert.equal(score.total, 95);
    assert.equal(score.max, 100);
  });

  it('scores unanswered slots zero and says so', () => {
    const score = scoreSlots(bant, {}, now);
    assert.equal(score.total, 0);
    assert.ok(score.lines.every((l) => l.reason === 'not answered'));
  });

  it('converts budgets in other currencies with the built-in or pinned rates', () => {
    assert.equal(budgetInScoringCurrency({ min: 0, max: 10_000, currency: 'EUR' }, bant), 10_800);
    assert.equal(
      budgetInScoringCurrency(
        { min: 0, max: 10_000, currency: 'EUR' },
        { ...bant, scoring: { currency: 'USD', exchangeRates: { EUR: 1.5 } } },
      ),
      15_000,
    );
    assert.equal(budgetInScoringCurrency({ min: 0, max: 10_000, currency: 'XAU' }, bant), undefined);
  });

  it('applies the first rule that holds', () => {
    const input = (slots: Parameters<typeof scoreSlots>[1]) => ({
      slots,
      contact: {},
      points: scoreSlots(bant, slots, now).total,
      now,
    });
    const full = {
      need: 'x y',
      authority: 'executive',
      timeline: { byDate: '2026-12-31' },
      budget: { min: 50_000, max: 50_000, currency: 'USD' },
    } as const;
    assert.equal(decideOutcome(bant, input(full)), 'qualified');
    assert.equal(
      decideOutcome(bant, input({ ...full, budget: { min: 500, max: 500, currency: 'USD' } })),
      'disqualified',
    );
    assert.equal(decideOutcome(bant, input({ need: 'x y', authority: 'manager' })), 'nurture');
    assert.equal(decideOutcome(bant, input({})), 'disqualified');
  });
});
