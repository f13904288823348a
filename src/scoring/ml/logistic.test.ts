import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EncodedRows } from './feature-pipeline.ts';
import { logisticMargins, sigmoid, trainLogistic } from './logistic.ts';
import { createSeededRandom } from './random.ts';

/** Two dense standardised columns with known weights. */
function synthetic(n: number, seed: number, weights: [number, number], intercept: number) {
  const random = createSeededRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const rows: EncodedRows = {
    rows: n,
    slots: 2,
    designIndex: new Int32Array(n * 2),
    designValue: new Float64Array(n * 2),
    bins: new Uint8Array(0),
    features: 0,
  };
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const a = gaussian();
    const b = gaussian();
    rows.designIndex[2 * i] = 0;
    rows.designIndex[2 * i + 1] = 1;
    rows.designValue[2 * i] = a;
    rows.designValue[2 * i + 1] = b;
    labels[i] = random() < sigmoid(intercept + weights[0] * a + weights[1] * b) ? 1 : 0;
  }
  return { rows, labels };
}

describe('trainLogistic', () => {
  it('recovers the weights that generated the data', () => {
    const { rows, labels } = synthetic(20_000, 3, [1.5, -0.7], -1);
    const model = trainLogistic(rows, 2, labels, { l2: 1e-6 });
    assert.ok(Math.abs(model.coefficients[0]! - 1.5) < 0.08, `a = ${model.coefficients[0]}`);
    assert.ok(Math.abs(model.coefficients[1]! + 0.7) < 0.08, `b = ${model.coefficients[1]}`);
    assert.ok(Math.abs(model.intercept + 1) < 0.08, `intercept = ${model.intercept}`);
  });

  it('shrinks weights toward zero as the penalty grows', () => {
    const { rows, labels } = synthetic(3000, 4, [1.5, -0.7], 0);
    const weak = trainLogistic(rows, 2, labels, { l2: 1e-4 });
    const strong = trainLogistic(rows, 2, labels, { l2: 1 });
    assert.ok(Math.abs(strong.coefficients[0]!) < Math.abs(weak.coefficients[0]!) / 2);
  });

  it('is deterministic', () => {
    const { rows, labels } = synthetic(2000, 5, [1, 1], 0);
    assert.deepEqual(trainLogistic(rows, 2, labels), trainLogistic(rows, 2, labels));
  });

  it('counts weighted rows as repeated rows', () => {
    const { rows, labels } = synthetic(500, 6, [1, -1], 0.5);
    const doubled: EncodedRows = {
      ...rows,
      rows: 1000,
      designIndex: Int32Array.from([...rows.designIndex, ...rows.designIndex]),
      designValue: Float64Array.from([...rows.designValue, ...rows.designValue]),
    };
    const twice = trainLogistic(doubled, 2, Uint8Array.from([...labels, ...labels]), {
      l2: 1e-3,
      tolerance: 1e-9,
    });
    const weighted = trainLogistic(rows, 2, labels, {
      l2: 1e-3,
      tolerance: 1e-9,
      weights: new Float64Array(500).fill(2),
    });
    assert.ok(Math.abs(twice.coefficients[0]! - weighted.coefficients[0]!) < 1e-5);
  });

  it('produces finite margins for separable data', () => {
    const rows: EncodedRows = {
      rows: 4,
      slots: 1,
      designIndex: new Int32Array(4),
      designValue: Float64Array.from([-2, -1, 1, 2]),
      bins: new Uint8Array(0),
      features: 0,
    };
    const model = trainLogistic(rows, 1, [0, 0, 1, 1], { l2: 1e-3 });
    assert.ok(logisticMargins(model, rows).every(Number.isFinite));
    assert.ok(model.coefficients[0]! > 0);
  });
});
