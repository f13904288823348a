import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitStrength, learnedCall, learnedFindings, learnRates, ruleCall } from './learned-rates.ts';

const cell = (industry: string, units: [number, number][], selfIndex = 0) => ({
  industry,
  region: 'dach',
  dealBand: 'mid',
  units: units.map(([leads, conversions], i) => ({ self: i === selfIndex, leads, conversions })),
});

test('the prior strength is large when cells differ by noise only and small when they really differ', () => {
  const same = [0, 1, 2, 3, 4].map(() => ({ leads: 400, conversions: 40, mean: 0.1 }));
  assert.equal(fitStrength(same), 2000);
  const apart = [0.02, 0.3, 0.05, 0.4, 0.1].map((r) => ({
    leads: 400,
    conversions: Math.round(400 * r),
    mean: 0.174,
  }));
  assert.ok(fitStrength(apart) < 10, `strength ${fitStrength(apart)}`);
  assert.equal(fitStrength(same.slice(0, 2)), 20, 'too few groups: the default');
});

test('where units agree, a unit with few outcomes in a cell borrows its rate from its sister units', () => {
  const data = {
    windowDays: 365,
    cells: [
      cell('saas', [
        [8, 2],
        [300, 9],
      ]),
      cell('retail', [
        [400, 120],
        [400, 116],
      ]),
      cell('health', [
        [200, 20],
        [200, 22],
      ]),
    ],
  };
  const { rates } = learnRates(data);
  const saas = rates.find((r) => r.industry === 'saas');
  const retail = rates.find((r) => r.industry === 'retail');
  assert.ok(saas && retail);
  assert.ok(
    saas.rate < 0.125,
    `2 of 8 own conversions (25%) pulled toward the sister unit's 3%: ${saas.rate}`,
  );
  assert.ok(saas.ownWeight < 0.5, `own weight ${saas.ownWeight}`);
  assert.ok(Math.abs(retail.rate - 0.295) < 0.01, `retail stays at the organisation's rate: ${retail.rate}`);
  // When units really differ, a unit keeps more of its own data.
  const apart = learnRates({
    windowDays: 365,
    cells: [
      cell('saas', [
        [8, 2],
        [300, 9],
      ]),
      cell('retail', [
        [400, 40],
        [400, 200],
      ]),
      cell('health', [
        [200, 10],
        [200, 90],
      ]),
    ],
  }).rates.find((r) => r.industry === 'saas');
  assert.ok(apart && apart.ownWeight > saas.ownWeight && apart.rate > saas.rate);
  assert.equal(saas.pooled.leads, 308);
  assert.equal(saas.units, 2);
});

test('thin cells are left to the rules; thick ones are called against the same bars as the rules', () => {
  assert.equal(learnedCall({ low: 0, high: 0.05, pooled: { leads: 29, conversions: 0 } }), null);
  assert.equal(learnedCall({ low: 0, high: 0.05, pooled: { leads: 30, conversions: 0 } }), 'raise');
  assert.equal(learnedCall({ low: 0.26, high: 0.4, pooled: { leads: 90, conversions: 30 } }), 'lower');
  assert.equal(ruleCall({ leads: 29, conversions: 0 }), 'keep', 'the rule needs 30 leads');
  assert.equal(ruleCall({ leads: 60, conversions: 1 }), 'raise');
  const findings = learnedFindings(
    {
      windowDays: 365,
      cells: [
        cell('saas', [
          [12, 0],
          [200, 4],
        ]),
      ],
    },
    60,
  );
  assert.equal(findings.length, 1);
  assert.equal(findings[0]?.source, 'learned');
  assert.equal(findings[0]?.outcomes, 212);
  assert.equal(findings[0]?.target, 'routing threshold 60 for industry saas, region dach, deal band mid');
});
