import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeadloopError } from '../../core/index.ts';
import type { ContinuousLearnerOptions } from './continuous-learning.ts';
import { createContinuousLearner, fitShift } from './continuous-learning.ts';
import type { LeadRecord } from './dataset.ts';
import { recordSource } from './dataset.ts';
import type { FeatureSpec } from './feature-spec.ts';
import { type PrequentialOptions, runPrequential, streamReport } from './prequential.ts';
import { createSeededRandom } from './random.ts';

const SPEC: FeatureSpec = {
  features: ['a', 'b', 'c', 'd', 'e'].map((name) => ({
    name,
    kind: 'numeric' as const,
    source: { op: 'column' as const, column: name },
  })),
};
const WEIGHTS = [1.2, -0.8, 0.6, 0.5, -0.4];

/** Leads with five numeric fields; the log-odds are linear in them plus a level that may drift. */
function stream(
  n: number,
  seed: number,
  level: (i: number) => number = () => -1,
  flip = () => 1,
): { records: LeadRecord[]; labels: Uint8Array } {
  const random = createSeededRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const records: LeadRecord[] = [];
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const values = WEIGHTS.map(() => gaussian());
    const z = level(i) + flip() * values.reduce((s, v, k) => s + v * WEIGHTS[k]!, 0);
    records.push(Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((name, k) => [name, values[k]!])));
    labels[i] = random() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { records, labels };
}

const BASE: Omit<ContinuousLearnerOptions, 'spec'> = {
  retrainEvery: 1_000_000,
  windowSize: 5000,
  recalibrateEvery: 0,
  calibrationWindow: 500,
  training: { candidates: ['logistic'] },
};

function learnerOn(
  data: { records: LeadRecord[]; labels: Uint8Array },
  options: Partial<ContinuousLearnerOptions> = {},
) {
  return createContinuousLearner(
    { ...BASE, spec: SPEC, ...options },
    { source: recordSource(data.records), labels: data.labels },
  );
}

describe('continuous learner', () => {
  it('keeps the champion when training fails', () => {
    const learner = learnerOn(stream(1000, 1), { windowSize: 100 });
    const probe = stream(20, 2).records;
    const before = probe.map((r) => learner.probability((c) => r[c]));
    // A window of non-conversions only: the retrain cannot succeed.
    for (const r of stream(100, 3).records) learner.observe((c) => r[c], false);
    const attempt = learner.retrain('scheduled');
    assert.equal(attempt.status, 'failed');
    assert.match(attempt.reason, /training failed, champion kept: .*only 0 conversions/);
    assert.deepEqual(
      probe.map((r) => learner.probability((c) => r[c])),
      before,
    );
    assert.equal(learner.versions.filter((v) => v.status === 'champion').length, 1);
  });

  it('promotes a challenger only when it beats the champion on outcomes since the last training', () => {
    const learner = learnerOn(stream(3000, 4), {
      windowSize: 1000,
      promotion: 'better',
      training: { candidates: ['logistic'], validationFraction: 0.5 },
    });
    // A mislabelled import (coin-flip outcomes) followed by genuine ones: the challenger learns from
    // the junk and loses to the champion on the genuine outcomes.
    const random = createSeededRandom(5);
    const junk = stream(500, 5);
    junk.records.forEach((r) => {
      learner.observe((c) => r[c], random() < 0.3);
    });
    const genuine = stream(500, 6);
    genuine.records.forEach((r, i) => {
      learner.observe((c) => r[c], genuine.labels[i] === 1);
    });
    const rejected = learner.retrain('scheduled');
    assert.equal(rejected.status, 'rejected');
    assert.match(rejected.reason, /did not beat the champion's .* on the latest 500 outcomes/);
    // The market turns: every effect reverses; the challenger learns it and wins.
    const turned = stream(
      1000,
      7,
      () => -1,
      () => -1,
    );
    turned.records.forEach((r, i) => {
      learner.observe((c) => r[c], turned.labels[i] === 1);
    });
    const promoted = learner.retrain('scheduled');
    assert.equal(promoted.status, 'champion');
    assert.deepEqual(
      learner.versions.map((v) => v.status),
      ['retired', 'rejected', 'champion'],
    );
  });

  it('rolls back to the previous champion, and refuses when there is none', () => {
    const learner = learnerOn(stream(1000, 7));
    assert.throws(
      () => learner.rollback(),
      (e) => e instanceof LeadloopError && e.code === 'conflict',
    );
    const probe = stream(20, 8).records;
    const first = probe.map((r) => learner.probability((c) => r[c]));
    const turned = stream(
      1000,
      9,
      () => 0,
      () => -1,
    );
    turned.records.forEach((r, i) => {
      learner.observe((c) => r[c], turned.labels[i] === 1);
    });
    learner.retrain('new data');
    assert.notDeepEqual(
      probe.map((r) => learner.probability((c) => r[c])),
      first,
    );
    const restored = learner.rollback();
    assert.equal(restored.version, 1);
    assert.deepEqual(
      probe.map((r) => learner.probability((c) => r[c])),
      first,
    );
    assert.deepEqual(
      learner.versions.map((v) => v.status),
      ['champion', 'rolled-back'],
    );
  });

  it('follows a jump in the conversion rate by recalibrating between retrainings', () => {
    const learner = learnerOn(
      stream(2000, 10, () => -2.5),
      { recalibrateEvery: 10, shiftWindow: 150 },
    );
    const after = stream(600, 11, () => 0.5);
    const predicted: number[] = [];
    after.records.forEach((r, i) => {
      if (i >= 400) predicted.push(learner.probability((c) => r[c]));
      learner.observe((c) => r[c], after.labels[i] === 1);
    });
    const sum = (xs: Iterable<number>) => {
      let total = 0;
      for (const x of xs) total += x;
      return total;
    };
    const observedRate = sum(after.labels.slice(400)) / 200;
    assert.ok(
      Math.abs(sum(predicted) / 200 - observedRate) < 0.08,
      `predicted ${sum(predicted) / 200}, observed ${observedRate}`,
    );
    assert.equal(learner.versions.length, 1, 'no retraining happened');
  });

  it('fits the intercept shift that matches the observed rate', () => {
    const shift = fitShift(1, 0, new Array(100).fill(0), [
      ...new Array(30).fill(1),
      ...new Array(70).fill(0),
    ]);
    assert.ok(Math.abs(1 / (1 + Math.exp(-shift)) - 30.5 / 101) < 1e-6);
    assert.ok(Number.isFinite(fitShift(1, 0, [0, 0, 0], [0, 0, 0])));
  });
});

describe('prequential evaluation', () => {
  /** A drifting stream's run after its first 1000 rows: retrained every 500, recalibrated every 10. */
  const drifting = (data: ReturnType<typeof stream>, more: Partial<PrequentialOptions> = {}) =>
    runPrequential({
      source: recordSource(data.records),
      labels: data.labels,
      initialRows: 1000,
      learner: { ...BASE, spec: SPEC, retrainEvery: 500, recalibrateEvery: 10, shiftWindow: 150 },
      ...more,
    });

  it('scores a drifting stream test-then-train and retrains on schedule', () => {
    const data = stream(3000, 12, (i) => -2 + i / 1000);
    const result = drifting(data);
    assert.equal(result.probabilities.length, 2000);
    assert.deepEqual(result.labels, data.labels.slice(1000));
    assert.equal(result.versions.length, 1 + 4);
    assert.ok(result.report.overall.auc > 0.75);
    assert.ok(result.report.overall.ece < 0.05, `ECE ${result.report.overall.ece}`);
    assert.equal(result.report.blocks.length, 2);
  });

  it('checks its forecasts block by block against what happened', () => {
    const data = stream(3000, 14, (i) => -2 + i / 1500);
    const result = drifting(data, { forecast: { leads: 100, level: 0.9 } });
    const f = result.forecast!;
    assert.equal(f.windows, 20);
    assert.ok(f.coverage >= 0.8, `coverage ${f.coverage}`);
    assert.ok(f.meanWidth > 0 && f.meanExpected > 0);
  });

  it('finds no signal where there is none', () => {
    const random = createSeededRandom(13);
    const records = Array.from({ length: 2000 }, () => ({
      a: random(),
      b: random(),
      c: random(),
      d: random(),
      e: random(),
    }));
    const labels = Uint8Array.from(records, () => (random() < 0.3 ? 1 : 0));
    const result = runPrequential({
      source: recordSource(records),
      labels,
      initialRows: 500,
      learner: { ...BASE, spec: SPEC, retrainEvery: 100 },
    });
    assert.ok(Math.abs(result.report.overall.auc - 0.5) < 0.05, `AUC ${result.report.overall.auc}`);
  });

  it('reports per-block rates and AUC of a stream', () => {
    const report = streamReport([0.9, 0.1, 0.2, 0.8], [1, 0, 0, 1], 2);
    assert.deepEqual(
      report.blocks.map((b) => [b.from, b.to, b.rate, b.auc]),
      [
        [0, 2, 0.5, 1],
        [2, 4, 0.5, 1],
      ],
    );
  });
});
