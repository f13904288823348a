import type { Db } from '../../store/index.ts';
import type { QuestionOrderState } from './ports.ts';
import { replaceQuestionOrder } from './question-order.ts';
import { replaceSplitWeights, type SplitWeightsState } from './split-weights.ts';

/** The settings the optimiser keeps in its own tables: a split's weights, a playbook's question order. */
export type StoredSetting = SplitWeightsState | QuestionOrderState;

/**
 * Moves a setting the optimiser keeps itself from `expected` to `next` by compare-and-set (false:
 * it changed since), whichever of the two kinds it is. Approving a proposal moves it from the
 * adjustment's `before` to its `after`; rolling a change back, the other way.
 */
export function replaceStoredSetting<S extends StoredSetting>(
  db: Db,
  workspaceId: string,
  change: { expected: S; next: S; adjustmentId: string; at: number },
): Promise<boolean> {
  const { expected, next, adjustmentId, at } = change;
  return 'order' in next
    ? replaceQuestionOrder(db, workspaceId, {
        expected: expected as QuestionOrderState,
        next,
        adjustmentId,
        at,
      })
    : replaceSplitWeights(db, workspaceId, {
        expected: expected as SplitWeightsState,
        next,
        adjustmentId,
        at,
      });
}
