import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  applyCalibrator,
  chooseCalibrator,
  fitIsotonic,
  fitPlatt,
  recalibratedLogLoss,
} from './calibration.ts';
import { expectedCalibrationError, logLoss } from './metrics.ts';
import { createSeededRandom } from './random.ts';

function sample(n: number, seed: number, truth: (margin: number) => number) {
  const random = createSeededRandom(seed);
  const margins: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const m = (random() - 0.5) * 8;
    margins.push(m);
    labels.push(random() < truth(m) ? 1 : 0);
  }
  return { margins, labels };
}
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('calibration', () => {
  it('Platt scaling recovers a miscalibrated slope and offset', () => {
    const { margins, labels } = sample(20_000, 1, (m) => sigmoid(0.5 * m - 1));
    const c = fitPlatt(margins, labels);
    assert.equal(c.method, 'platt');
    if (c.method !== 'platt') return;
    assert.ok(Math.abs(c.a - 0.5) < 0.05 && Math.abs(c.b + 1) < 0.08, `a=${c.a} b=${c.b}`);
  });

  it('judges margins recalibrated on the outcomes themselves, so only how they rank and separate counts', () => {
    const { margins, labels } = sample(5000, 3, (m) => sigmoid(m));
    const platt = fitPlatt(margins, labels);
    const direct = logLoss(
      margins.map((m) => applyCalibrator(platt, m)),
      labels,
    );
    assert.equal(recalibratedLogLoss('platt', margins, labels), direct);
    // A model off by a scale and a shift (a stale calibrator) is judged the same...
    const shifted = margins.map((m) => 0.3 * m + 2);
    assert.ok(Math.abs(recalibratedLogLoss('platt', shifted, labels) - direct) < 1e-6);
    // ...and one that ranks worse is judged worse.
    const noisy = margins.map((m, i) => m + 3 * Math.sin(i * 12.9898));
    assert.ok(recalibratedLogLoss('platt', noisy, labels) > direct + 0.02);
  });

  it('isotonic calibration is monotone, within (0, 1), and interpolates between blocks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: -5, max: 5, noNaN: true }), fc.boolean()), {
          minLength: 1,
          maxLength: 80,
        }),
        (pairs) => {
          const c = fitIsotonic(
            pairs.map(([m]) => m),
            pairs.map(([, y]) => (y ? 1 : 0)),
          );
          let previous = 0;
          for (let m = -6; m <= 6; m += 0.25) {
            const p = applyCalibrator(c, m);
            assert.ok(p > 0 && p < 1 && p >= previous - 1e-12);
            previous = p;
          }
        },
      ),
    );
  });

  it('picks isotonic for a shape no sigmoid fits, and refits it on all rows', () => {
    // Probability is a step: 5% below margin 0, 60% above.
    const { margins, labels } = sample(6000, 2, (m) => (m < 0 ? 0.05 : 0.6));
    const choice = chooseCalibrator(margins, labels);
    assert.equal(choice.calibrator.method, 'isotonic');
    assert.ok(choice.crossValidatedLogLoss.isotonic < choice.crossValidatedLogLoss.none);
    const calibrated = margins.map((m) => applyCalibrator(choice.calibrator, m));
    assert.ok(expectedCalibrationError(calibrated, labels) < 0.02);
  });

  it('keeps the model as it is when it is already calibrated', () => {
    const { margins, labels } = sample(4000, 3, sigmoid);
    const choice = chooseCalibrator(margins, labels);
    assert.notEqual(choice.calibrator.method, 'isotonic');
  });

  it('never returns NaN, 0 or 1, whatever the margin', () => {
    const { margins, labels } = sample(500, 4, sigmoid);
    for (const c of [fitPlatt(margins, labels), fitIsotonic(margins, labels), { method: 'none' as const }]) {
      for (const m of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e300, -1e300, 0]) {
        const p = applyCalibrator(c, m);
        assert.ok(p > 0 && p < 1, `${c.method}(${m}) = ${p}`);
      }
    }
  });

  it('keeps Platt finite on separable data', () => {
    const c = fitPlatt([-3, -2, -1, 1, 2, 3], [0, 0, 0, 1, 1, 1]);
    assert.equal(c.method, 'platt');
    if (c.method === 'platt') assert.ok(Number.isFinite(c.a) && Number.isFinite(c.b));
  });
});
