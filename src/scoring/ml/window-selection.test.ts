import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeadloopError } from '../../core/index.ts';
import type { ContinuousLearnerOptions } from './continuous-learning.ts';
import { createContinuousLearner } from './continuous-learning.ts';
import type { ColumnReader, LeadRecord } from './dataset.ts';
import { recordSource } from './dataset.ts';
import type { FeatureSpec } from './feature-spec.ts';
import type { ContinuousLearner, ModelVersion } from './learner-types.ts';
import { createSeededRandom } from './random.ts';
import { lowestLoss, MIN_SELECTION_OUTCOMES, selectAmongWindows } from './window-selection.ts';

/** A learner that predicts what it is told and logs what happens to it. */
function stubLearner(window: number, predict: (read: ColumnReader) => number, log: string[]) {
  const versions: ModelVersion[] = [];
  const learner: ContinuousLearner = {
    get champion(): never {
      throw new Error('not used');
    },
    window,
    versions,
    score: () => {
      throw new Error('not used');
    },
    probability: (read) => {
      log.push(`${window} scores ${read('id')}`);
      return predict(read);
    },
    observe: (read) => {
      log.push(`${window} learns ${read('id')}`);
    },
    retrain: (reason) => {
      const entry: ModelVersion = {
        version: versions.length + 1,
        trainedAt: new Date(0).toISOString(),
        kind: 'logistic',
        rows: window,
        window,
        status: 'champion',
        reason,
      };
      versions.push(entry);
      return entry;
    },
    rollback: () => {
      throw new LeadloopError('conflict', 'nothing to roll back to');
    },
  };
  return learner;
}

const row =
  (id: number): ColumnReader =>
  (column) =>
    column === 'id' ? id : undefined;

describe('window selection', () => {
  it('scores every outcome with every member before any member learns it', () => {
    const log: string[] = [];
    const selector = selectAmongWindows(
      [stubLearner(100, () => 0.5, log), stubLearner(10, () => 0.5, log)],
      20,
    );
    selector.observe(row(1), true);
    assert.deepEqual(log, ['100 scores 1', '10 scores 1', '100 learns 1', '10 learns 1']);
  });

  it('serves the member with the lower log-loss on the latest outcomes, and only after enough of them', () => {
    // Outcomes alternate in runs; "long" always says 0.3, "short" says what the last run was.
    const outcomes = [...new Array(200).fill(1), ...new Array(400).fill(0)];
    let last = 0;
    const members = [stubLearner(1000, () => 0.3, []), stubLearner(100, () => (last ? 0.9 : 0.1), [])];
    const selector = selectAmongWindows(members, 100);
    const serving: number[] = [];
    outcomes.forEach((y, i) => {
      serving.push(selector.window);
      selector.observe(row(i), y === 1);
      last = y;
    });
    // The short member was better from the start, but the first serves until the minimum.
    assert.equal(serving[MIN_SELECTION_OUTCOMES - 1], 1000);
    assert.equal(serving[MIN_SELECTION_OUTCOMES], 100);
    assert.equal(serving.at(-1), 100);
    const [longLoss, shortLoss] = selector.recentLogLoss;
    assert.ok(Math.abs(longLoss! + Math.log(0.7)) < 1e-9, `long ${longLoss}`);
    assert.ok(Math.abs(shortLoss! + Math.log(0.9)) < 1e-9, `short ${shortLoss}`);
  });

  it('forgets outcomes older than the selection window', () => {
    // "a" is right early and wrong late; "b" the reverse. Over all outcomes "a" would lead.
    let i = 0;
    const a = stubLearner(1000, () => (i < 600 ? 0.9 : 0.4), []);
    const b = stubLearner(100, () => (i < 600 ? 0.4 : 0.9), []);
    const selector = selectAmongWindows([a, b], 100);
    for (; i < 800; i++) selector.observe(row(i), true);
    assert.equal(selector.window, 100);
  });

  it('retrains every member and rolls back the serving one', () => {
    const selector = selectAmongWindows(
      [stubLearner(1000, () => 0.5, []), stubLearner(100, () => 0.5, [])],
      10,
    );
    const entry = selector.retrain('scheduled');
    assert.equal(entry.window, 1000);
    assert.deepEqual(
      selector.versions.map((v) => v.window),
      [1000, 100],
    );
    assert.throws(
      () => selector.rollback(),
      (e) => e instanceof LeadloopError && e.code === 'conflict',
    );
  });

  it('chooses the lowest loss, and the first member on a tie or against an undefined loss', () => {
    assert.equal(lowestLoss([0.31, 0.29, 0.3]), 1);
    assert.equal(lowestLoss([0.3, 0.3]), 0, 'a shorter window must be better to be chosen');
    assert.equal(lowestLoss([0.3, 0.3 - 1e-12]), 0, 'rounding is no reason to switch');
    assert.equal(lowestLoss([0.3, Number.NaN]), 0);
    assert.equal(lowestLoss([0.4]), 0);
  });

  it('rejects an empty member list and a selection window below one outcome', () => {
    assert.throws(() => selectAmongWindows([], 10), LeadloopError);
    assert.throws(() => selectAmongWindows([stubLearner(1, () => 0.5, [])], 0), LeadloopError);
  });
});

const SPEC: FeatureSpec = {
  features: ['a', 'b'].map((name) => ({
    name,
    kind: 'numeric' as const,
    source: { op: 'column' as const, column: name },
  })),
};

function turningStream(n: number, turnAt: number, seed: number) {
  const random = createSeededRandom(seed);
  const records: LeadRecord[] = [];
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const a = random() * 4 - 2;
    const b = random() * 4 - 2;
    // The market turns: what predicted conversion now predicts the opposite.
    const z = (i < turnAt ? 1.5 : -1.5) * a + 0.5 * b - 1;
    records.push({ a, b });
    labels[i] = random() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { records, labels };
}

describe('continuous learner with short windows', () => {
  const options: ContinuousLearnerOptions = {
    spec: SPEC,
    retrainEvery: 200,
    windowSize: 6000,
    shortWindows: [800],
    selectionWindow: 300,
    recalibrateEvery: 10,
    calibrationWindow: 500,
    training: { candidates: ['logistic'] },
  };

  it('hands serving to the short window after the market turns', () => {
    const data = turningStream(8000, 6000, 21);
    const learner = createContinuousLearner(options, {
      source: recordSource(data.records.slice(0, 6000)),
      labels: data.labels.slice(0, 6000),
    });
    assert.equal(learner.window, 6000);
    for (let i = 6000; i < 8000; i++) {
      const r = data.records[i]!;
      learner.observe((c) => r[c], data.labels[i] === 1);
    }
    assert.equal(learner.window, 800);
    const windows = new Set(learner.versions.map((v) => v.window));
    assert.deepEqual(
      [...windows].sort((x, y) => x - y),
      [800, 6000],
    );
    // The serving model has learnt the turn: a high "a" now means a low probability.
    const high = learner.probability((c) => (c === 'a' ? 2 : 0));
    const low = learner.probability((c) => (c === 'a' ? -2 : 0));
    assert.ok(high < low, `p(a=2) ${high} vs p(a=-2) ${low}`);
  });

  it('is a single learner when no short window is given', () => {
    const data = turningStream(1000, 1000, 22);
    const learner = createContinuousLearner(
      { ...options, shortWindows: [] },
      { source: recordSource(data.records), labels: data.labels },
    );
    assert.equal(learner.versions.length, 1);
    assert.equal(learner.versions[0]!.window, 6000);
  });
});
