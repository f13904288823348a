import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeadloopError } from '../../core/index.ts';
import { createSeededRandom } from './random.ts';
import type { ScoredOutcome } from './thresholds.ts';
import { chooseSegmentThresholds, profitPerLead, thresholdFor } from './thresholds.ts';

const logit = (p: number) => Math.log(p / (1 - p));
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Leads of a segment whose true log-odds exceed the model's by `offset`. */
function segment(name: string, n: number, offset: number, seed: number): ScoredOutcome[] {
  const random = createSeededRandom(seed);
  return Array.from({ length: n }, () => {
    const probability = 0.02 + 0.4 * random();
    return { segment: name, probability, converted: random() < sigmoid(logit(probability) + offset) };
  });
}

const MONEY = { valuePerConversion: 100, costPerLead: 10 };

describe('chooseSegmentThresholds', () => {
  it('qualifies at cost/value when the model is right for every segment', () => {
    const policy = chooseSegmentThresholds([...segment('a', 4000, 0, 1), ...segment('b', 4000, 0, 2)], MONEY);
    assert.equal(policy.breakEven, 0.1);
    assert.ok(Math.abs(policy.workspace.threshold - 0.1) < 0.01, `${policy.workspace.threshold}`);
    for (const s of policy.segments)
      assert.ok(Math.abs(s.threshold - 0.1) < 0.015, `${s.segment} ${s.threshold}`);
  });

  it('lowers the threshold of a large segment that converts above the model', () => {
    const policy = chooseSegmentThresholds(
      [
        ...segment('enterprise', 5000, 1, 3),
        ...segment('smb', 5000, 0, 4),
        ...segment('agency', 3000, -0.5, 5),
      ],
      MONEY,
    );
    const enterprise = policy.segments.find((s) => s.segment === 'enterprise')!;
    assert.ok(enterprise.weight > 0.9);
    assert.ok(enterprise.threshold < 0.06, `${enterprise.threshold}`);
    assert.ok(thresholdFor(policy, 'agency') > 0.12);
    assert.ok(policy.betweenSegmentVariance > 0);
  });

  it('keeps a small segment near the workspace threshold however lucky its few leads were', () => {
    const lucky: ScoredOutcome[] = Array.from({ length: 6 }, () => ({
      segment: 'tiny',
      probability: 0.1,
      converted: true,
    }));
    const policy = chooseSegmentThresholds(
      [...segment('a', 4000, 0.8, 6), ...segment('b', 4000, -0.8, 7), ...lucky],
      MONEY,
    );
    const tiny = policy.segments.find((s) => s.segment === 'tiny')!;
    assert.equal(tiny.observed.rate, 1);
    assert.ok(tiny.weight < 0.5, `weight ${tiny.weight}`);
    assert.ok(
      Math.abs(logit(tiny.threshold) - logit(policy.workspace.threshold)) <
        Math.abs(tiny.offset - policy.workspace.offset),
    );
    assert.match(tiny.reason, /^6 leads, 6 converted \(100\.0%, 90% interval \d+\.\d%–100\.0%\)/);
  });

  it('gives unknown segments the workspace threshold', () => {
    const policy = chooseSegmentThresholds(segment('a', 500, 0, 8), MONEY);
    assert.equal(thresholdFor(policy, 'never seen'), policy.workspace.threshold);
  });

  it('earns more per lead than a static threshold when segments differ', () => {
    const history = [...segment('enterprise', 4000, 1.2, 9), ...segment('smb', 4000, -0.6, 10)];
    const future = [...segment('enterprise', 4000, 1.2, 11), ...segment('smb', 4000, -0.6, 12)];
    const policy = chooseSegmentThresholds(history, MONEY);
    const perSegment = profitPerLead(future, (s) => thresholdFor(policy, s), MONEY);
    const staticHalf = profitPerLead(future, () => 0.5, MONEY);
    const breakEven = profitPerLead(future, () => policy.breakEven, MONEY);
    assert.ok(perSegment > breakEven && breakEven > staticHalf, `${perSegment} ${breakEven} ${staticHalf}`);
  });

  it('rejects a non-positive value, a negative cost and empty outcomes', () => {
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        assert.ok(e instanceof LeadloopError && e.code === 'validation_failed');
        return e.issues[0]!.field;
      }
      return 'no error';
    };
    const some = segment('a', 10, 0, 13);
    assert.equal(
      field(() => chooseSegmentThresholds(some, { valuePerConversion: 0, costPerLead: 1 })),
      'valuePerConversion',
    );
    assert.equal(
      field(() => chooseSegmentThresholds(some, { valuePerConversion: 10, costPerLead: -1 })),
      'costPerLead',
    );
    assert.equal(
      field(() => chooseSegmentThresholds([], MONEY)),
      'outcomes',
    );
  });

  it('pursues nothing when a lead costs more than a conversion is worth', () => {
    const policy = chooseSegmentThresholds(segment('a', 200, 0, 14), {
      valuePerConversion: 10,
      costPerLead: 20,
    });
    assert.equal(policy.workspace.threshold, 1);
    assert.equal(policy.workspace.pursuedShare, 0);
  });
});
