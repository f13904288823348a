import { LeadloopError } from '../../core/index.ts';
import type { ContinuousLearner, ModelVersion } from './learner-types.ts';

/** Before this many outcomes have been scored by every member, the first member serves. */
export const MIN_SELECTION_OUTCOMES = 50;

/**
 * The index of the lowest loss (mean or sum over the same outcomes). The first wins a tie, so with
 * the longest window first, a shorter one is chosen only when it is better. The rule of
 * `selectAmongWindows`, and of the app's retraining when it trains more than one window.
 */
export function lowestLoss(losses: readonly number[]): number {
  let best = 0;
  for (let k = 1; k < losses.length; k++) if (losses[k]! < losses[best]! - 1e-9) best = k;
  return best;
}

/**
 * Serves, among learners that differ only in how far back they train, the one with the lowest
 * log-loss over the latest `selectionWindow` outcomes. Every outcome is scored by every member
 * before any of them learns it, so the comparison is test-then-train, and it is between models
 * calibrated as they serve. Under drift the short window follows a new regime sooner; in a
 * stable stretch the long window ranks better; neither is best everywhere on the bank data
 * (docs/scoring.md).
 */
export function selectAmongWindows(
  members: readonly ContinuousLearner[],
  selectionWindow: number,
): ContinuousLearner & {
  /** Mean log-loss of each member over the latest outcomes (NaN before any). */
  readonly recentLogLoss: number[];
} {
  if (members.length === 0) throw new LeadloopError('internal', 'no learner to select among');
  if (!(selectionWindow >= 1))
    throw new LeadloopError('validation_failed', 'selectionWindow must be at least 1');
  const size = Math.floor(selectionWindow);
  // A ring of each member's latest losses and their running sum.
  const losses = members.map(() => new Float64Array(size));
  const sums = members.map(() => 0);
  let seen = 0;
  let serving = 0;

  const reselect = () => {
    if (seen < MIN_SELECTION_OUTCOMES) return;
    serving = lowestLoss(sums);
  };

  return {
    get champion() {
      return members[serving]!.champion;
    },
    get window() {
      return members[serving]!.window;
    },
    get versions(): ModelVersion[] {
      return members
        .flatMap((m) => m.versions)
        .sort((a, b) => (a.trainedAt < b.trainedAt ? -1 : a.trainedAt > b.trainedAt ? 1 : 0));
    },
    get recentLogLoss() {
      const count = Math.min(seen, size);
      return sums.map((s) => (count === 0 ? Number.NaN : s / count));
    },
    score: (read) => members[serving]!.score(read),
    probability: (read) => members[serving]!.probability(read),
    observe(read, converted) {
      const slot = seen % size;
      members.forEach((member, k) => {
        const p = member.probability(read);
        const loss = -Math.log(converted ? p : 1 - p);
        sums[k] = sums[k]! - losses[k]![slot]! + loss;
        losses[k]![slot] = loss;
      });
      seen++;
      // Running sums drift with rounding; a periodic exact recount keeps the comparison honest.
      if (seen % size === 0) {
        for (let k = 0; k < members.length; k++) sums[k] = losses[k]!.reduce((s, v) => s + v, 0);
      }
      for (const member of members) member.observe(read, converted);
      reselect();
    },
    retrain(reason) {
      const entries = members.map((m) => m.retrain(reason));
      return entries[serving]!;
    },
    rollback: () => members[serving]!.rollback(),
  };
}
