import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  auc,
  brierScore,
  evaluateProbabilities,
  expectedCalibrationError,
  liftAt,
  logLoss,
  normalQuantile,
  wilsonInterval,
} from './metrics.ts';

function pairwiseAuc(scores: number[], labels: number[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((s, i) => {
    if (labels[i] !== 1) return;
    scores.forEach((t, j) => {
      if (labels[j] !== 0) return;
      pairs++;
      wins += s > t ? 1 : s === t ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe('metrics', () => {
  it('computes AUC with ties counted half, as the pairwise definition does', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 1 })), {
          minLength: 2,
          maxLength: 60,
        }),
        (pairs) => {
          const scores = pairs.map(([s]) => s / 5);
          const labels = pairs.map(([, y]) => y);
          fc.pre(labels.includes(0) && labels.includes(1));
          assert.ok(Math.abs(auc(scores, labels) - pairwiseAuc(scores, labels)) < 1e-12);
        },
      ),
    );
  });

  it('returns NaN AUC when one class is absent', () => {
    assert.ok(Number.isNaN(auc([0.1, 0.2], [1, 1])));
  });

  it('measures calibration error per equal-width bin', () => {
    // Bin [0.1,0.2): predicted 0.15, observed 0.5 → gap 0.35 on half the rows; bin [0.9,1]: gap 0.05.
    const p = [0.15, 0.15, 0.95, 0.95];
    const y = [1, 0, 1, 1];
    assert.ok(Math.abs(expectedCalibrationError(p, y) - (0.5 * 0.35 + 0.5 * 0.05)) < 1e-12);
    assert.ok(expectedCalibrationError(new Array(10).fill(0.3), [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]) < 1e-12);
  });

  it('computes log-loss and Brier score, never infinite', () => {
    assert.ok(Math.abs(logLoss([0.5, 0.5], [1, 0]) - Math.log(2)) < 1e-12);
    assert.ok(Number.isFinite(logLoss([0, 1], [1, 0])));
    assert.equal(brierScore([1, 0, 0.5], [1, 0, 1]), 0.25 / 3);
  });

  it('computes top-decile lift and splits tied scores at the cut pro rata', () => {
    const scores = Array.from({ length: 100 }, (_, i) => i);
    const labels = scores.map((s) => (s >= 90 || s < 10 ? 1 : 0));
    assert.equal(liftAt(scores, labels, 0.1), 1 / 0.2);
    // All tied: the top decile holds the overall rate, lift 1.
    assert.equal(liftAt(new Array(50).fill(0.3), labels.slice(0, 50), 0.1), 1);
  });

  it('gives Wilson intervals that match published values and stay inside [0, 1]', () => {
    const zero = wilsonInterval(0, 10, 0.95);
    assert.equal(zero.lower, 0);
    assert.ok(Math.abs(zero.upper - 0.2775) < 1e-4);
    const half = wilsonInterval(50, 100, 0.95);
    assert.ok(Math.abs(half.lower - 0.4038) < 1e-4 && Math.abs(half.upper - 0.5962) < 1e-4);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.nat(), (n, k) => {
        const s = k % (n + 1);
        const i = wilsonInterval(s, n, 0.9);
        assert.ok(i.lower >= 0 && i.upper <= 1 && i.lower <= s / n + 1e-12 && i.upper >= s / n - 1e-12);
      }),
    );
  });

  it('inverts the normal CDF', () => {
    assert.ok(Math.abs(normalQuantile(0.975) - 1.959964) < 1e-6);
    assert.ok(Math.abs(normalQuantile(0.05) + 1.644854) < 1e-6);
    assert.equal(normalQuantile(0.5), 0);
  });

  it('summarises a set of predictions', () => {
    const m = evaluateProbabilities([0.9, 0.1, 0.8, 0.2], [1, 0, 1, 0]);
    assert.equal(m.auc, 1);
    assert.equal(m.rate, 0.5);
    assert.equal(m.meanPrediction, 0.5);
  });
});
