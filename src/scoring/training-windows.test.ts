import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createManualClock } from '../core/index.ts';
import type { FeatureSpec, LeadRecord } from './ml/index.ts';
import { createSeededRandom, recordSource, STREAM_DEFAULTS } from './ml/index.ts';
import { LONG_WINDOW, SELECTION_WINDOW, trainOnWindows } from './training-windows.ts';

const SHORT = STREAM_DEFAULTS.shortWindows?.[0] ?? 0;
const REGIONS = Array.from({ length: 60 }, (_, i) => Math.sin(i * 2.3));
const SPEC: FeatureSpec = {
  features: [
    { name: 'a', kind: 'numeric', source: { op: 'column', column: 'a' } },
    { name: 'b', kind: 'numeric', source: { op: 'column', column: 'b' } },
    { name: 'region', kind: 'categorical', source: { op: 'column', column: 'region' } },
  ],
  minCategoryCount: 5,
};

/** Outcomes in time order; from `turnAt` on, `a` predicts the opposite of what it did. */
function stream(n: number, turnAt: number, seed: number) {
  const random = createSeededRandom(seed);
  const records: LeadRecord[] = [];
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const a = random() * 2 - 1;
    const b = random() * 2 - 1;
    const region = Math.floor(random() * REGIONS.length);
    const z = (i < turnAt ? 1.5 : -1.5) * a + 0.8 * b + REGIONS[region]! - 1.2;
    records.push({ a, b, region: `r${region}` });
    labels[i] = random() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { source: recordSource(records), labels };
}

const clock = createManualClock(Date.UTC(2026, 10, 28));
const count = (n: number) => n.toLocaleString('en-US');

describe('training windows', () => {
  it('trains one model, validated on its latest 20%, while the workspace has no more outcomes than the short window', () => {
    const { source, labels } = stream(SHORT, SHORT, 1);
    const result = trainOnWindows({ source, labels, spec: SPEC, clock });
    assert.deepEqual(result.window, { size: LONG_WINDOW, rows: SHORT, selection: null });
    assert.equal(result.reason, null);
    assert.equal(result.offset, 0);
    assert.equal(result.trained.validation.rows.length, SHORT * 0.2);
    assert.equal(result.trained.validation.rows[0], SHORT * 0.8);
  });

  it('trains the short window beside the long one, both judged on the same latest outcomes, and keeps the long one when nothing drifts', () => {
    const n = 5000;
    const { source, labels } = stream(n, n, 2);
    const result = trainOnWindows({ source, labels, spec: SPEC, clock });
    const [long, short] = result.window.selection?.candidates ?? [];
    assert.deepEqual([long?.size, long?.rows, short?.size, short?.rows], [LONG_WINDOW, n, SHORT, SHORT]);
    assert.ok(long!.logLoss < short!.logLoss, `${long!.logLoss} vs ${short!.logLoss}`);
    assert.equal(result.window.size, LONG_WINDOW);
    assert.equal(result.window.selection?.outcomes, SELECTION_WINDOW);
    assert.equal(result.offset, 0);
    assert.deepEqual(
      Array.from(result.trained.validation.rows),
      Array.from({ length: SELECTION_WINDOW }, (_, i) => n - SELECTION_WINDOW + i),
    );
    assert.equal(result.trained.model.metadata.trainingRows, n, 'refitted on its whole window');
    assert.equal(
      result.reason,
      `trained on all ${count(n)} outcomes; the ${count(SHORT)}-outcome model did not have a lower log-loss on the latest ${count(SELECTION_WINDOW)} (${short!.logLoss.toFixed(4)} vs ${long!.logLoss.toFixed(4)})`,
    );
  });

  it('chooses the short window once the relation of a feature has turned, and maps its validation rows back', () => {
    const n = 7500;
    const { source, labels } = stream(n, 5000, 3);
    const result = trainOnWindows({ source, labels, spec: SPEC, clock });
    const [long, short] = result.window.selection?.candidates ?? [];
    assert.ok(short!.logLoss < long!.logLoss, `${short!.logLoss} vs ${long!.logLoss}`);
    assert.deepEqual({ size: result.window.size, rows: result.window.rows }, { size: SHORT, rows: SHORT });
    assert.equal(result.offset, n - SHORT);
    assert.equal(result.trained.model.metadata.trainingRows, SHORT);
    const rows = Array.from(result.trained.validation.rows, (r) => r + result.offset);
    assert.deepEqual(
      rows,
      Array.from({ length: SELECTION_WINDOW }, (_, i) => n - SELECTION_WINDOW + i),
    );
    assert.deepEqual(
      Array.from(result.trained.validation.labels),
      Array.from(labels.subarray(n - SELECTION_WINDOW)),
    );
    assert.equal(
      result.reason,
      `trained on the latest ${count(SHORT)} outcomes; lower log-loss than the ${count(n)}-outcome model on the latest ${count(SELECTION_WINDOW)} (${short!.logLoss.toFixed(4)} vs ${long!.logLoss.toFixed(4)})`,
    );
  });

  it('keeps the long window, and says why, when the short one has too few conversions to train on', () => {
    const n = 5000;
    const { source, labels } = stream(n, n, 4);
    // Six conversions in the short window, all among the latest outcomes: enough for the long
    // window to validate, too few for the short one to learn from.
    for (let i = n - SHORT; i < n; i++) labels[i] = 0;
    for (let k = 1; k <= 6; k++) labels[n - 100 * k] = 1;
    const result = trainOnWindows({ source, labels, spec: SPEC, clock });
    assert.deepEqual(result.window, { size: LONG_WINDOW, rows: n, selection: null });
    assert.match(
      result.reason ?? '',
      new RegExp(
        `^trained on all ${count(n)} outcomes; the ${count(SHORT)}-outcome window could not be trained \\(cannot train: outcomes include only 6 conversions`,
      ),
    );
  });
});
