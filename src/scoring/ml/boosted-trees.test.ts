import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trainBoostedTrees } from './boosted-trees.ts';
import type { EncodedRows } from './feature-pipeline.ts';
import { boostedMargins, compileForest, forestContributions, forestMargin } from './forest.ts';
import { auc } from './metrics.ts';
import { createSeededRandom } from './random.ts';

/** Rows with pre-binned features: f0, f1 ordered (bin 0 = missing), f2 categorical. */
function binned(n: number, seed: number, label: (f0: number, f1: number, f2: number) => number) {
  const random = createSeededRandom(seed);
  const data: EncodedRows = {
    rows: n,
    slots: 0,
    designIndex: new Int32Array(0),
    designValue: new Float64Array(0),
    bins: new Uint8Array(n * 3),
    features: 3,
  };
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const f0 = 1 + Math.floor(random() * 20);
    const f1 = random() < 0.2 ? 0 : 1 + Math.floor(random() * 20);
    const f2 = Math.floor(random() * 6);
    data.bins.set([f0, f1, f2], i * 3);
    labels[i] = random() < label(f0, f1, f2) ? 1 : 0;
  }
  return { data, labels };
}
const BINS = [21, 21, 6];
const CATEGORICAL = [0, 0, 1];

describe('trainBoostedTrees', () => {
  it('learns an interaction a linear model cannot', () => {
    const xor = (f0: number, f1: number) => (f0 > 10 !== f1 > 10 ? 0.85 : 0.15);
    const train = binned(4000, 1, xor);
    const test = binned(2000, 2, xor);
    const model = trainBoostedTrees(train.data, train.labels, BINS, CATEGORICAL, {
      maxIterations: 60,
      learningRate: 0.2,
    });
    assert.ok(auc(boostedMargins(compileForest(model), test.data), test.labels) > 0.8);
  });

  it('sends missing values to the side that fits them', () => {
    // Missing f1 converts at 90%; present values at 10%.
    const rule = (_f0: number, f1: number) => (f1 === 0 ? 0.9 : 0.1);
    const { data, labels } = binned(3000, 3, rule);
    const forest = compileForest(
      trainBoostedTrees(data, labels, BINS, CATEGORICAL, { maxIterations: 30, learningRate: 0.3 }),
    );
    const missing = forest.baseScore + forestMargin(forest, Uint8Array.from([5, 0, 1]), 0);
    const present = forest.baseScore + forestMargin(forest, Uint8Array.from([5, 7, 1]), 0);
    assert.ok(missing > 1 && present < -1, `missing ${missing}, present ${present}`);
  });

  it('splits a categorical feature into subsets of categories', () => {
    // Categories 1, 3 and 4 convert; 0, 2 and 5 do not: no threshold on the codes separates them.
    const rule = (_f0: number, _f1: number, f2: number) => ([1, 3, 4].includes(f2) ? 0.8 : 0.05);
    const { data, labels } = binned(3000, 4, rule);
    const model = trainBoostedTrees(data, labels, BINS, CATEGORICAL, {
      maxIterations: 1,
      learningRate: 1,
      maxLeaves: 2,
    });
    const root = model.trees[0]!;
    assert.equal(root.feature[0], 2);
    const left = new Set(root.leftBins[0]);
    assert.ok(
      (left.has(1) && left.has(3) && left.has(4) && left.size === 3) ||
        (!left.has(1) && !left.has(3) && !left.has(4) && left.size === 3),
    );
  });

  it('explains each margin exactly with path contributions', () => {
    const { data, labels } = binned(
      2000,
      5,
      (f0, f1, f2) => (f0 > 12 ? 0.6 : 0.1) + (f1 === 0 ? 0.2 : 0) + f2 * 0.02,
    );
    const forest = compileForest(trainBoostedTrees(data, labels, BINS, CATEGORICAL, { maxIterations: 40 }));
    const out = new Float64Array(3);
    for (let i = 0; i < 50; i++) {
      out.fill(0);
      const bias = forestContributions(forest, data.bins, i * 3, out);
      const margin = forest.baseScore + forestMargin(forest, data.bins, i * 3);
      assert.ok(Math.abs(bias + out[0]! + out[1]! + out[2]! - margin) < 1e-9);
    }
  });

  it('stops early when validation loss stops improving and keeps the best trees', () => {
    const noise = () => 0.3;
    const train = binned(1500, 6, noise);
    const valid = binned(1500, 7, noise);
    const model = trainBoostedTrees(train.data, train.labels, BINS, CATEGORICAL, {
      maxIterations: 400,
      learningRate: 0.3,
      minSamplesLeaf: 5,
      earlyStoppingRounds: 10,
      validation: { data: valid.data, labels: valid.labels },
    });
    assert.ok(model.validationLoss.length < 400);
    const best = model.validationLoss.indexOf(Math.min(...model.validationLoss));
    assert.equal(model.trees.length, best + 1);
  });

  it('is reproducible with subsampling under the same seed', () => {
    const { data, labels } = binned(1000, 8, (f0) => f0 / 25);
    const run = (seed: number) =>
      trainBoostedTrees(data, labels, BINS, CATEGORICAL, {
        maxIterations: 10,
        subsample: 0.5,
        featureFraction: 0.7,
        random: createSeededRandom(seed),
      });
    assert.deepEqual(run(1), run(1));
    assert.notDeepEqual(run(1).trees, run(2).trees);
  });

  it('respects the minimum leaf size', () => {
    const { data, labels } = binned(500, 9, (f0) => f0 / 25);
    const model = trainBoostedTrees(data, labels, BINS, CATEGORICAL, {
      maxIterations: 5,
      minSamplesLeaf: 100,
    });
    const forest = compileForest(model);
    const counts = new Map<number, number>();
    for (let i = 0; i < 500; i++) {
      let node = forest.roots[0]!;
      while (forest.feature[node]! >= 0)
        node = forest.masks[forest.maskOffset[node]! + data.bins[i * 3 + forest.feature[node]!]!]
          ? forest.left[node]!
          : forest.right[node]!;
      counts.set(node, (counts.get(node) ?? 0) + 1);
    }
    assert.ok([...counts.values()].every((c) => c >= 100));
  });
});
