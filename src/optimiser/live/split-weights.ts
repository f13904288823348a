import type { Db } from '../../store/index.ts';
import { fromJson, toJson } from '../../store/index.ts';

/** A split step's weights as the optimiser set them (`weights` empty: the step's own apply). */
export interface SplitWeightsState {
  workflowId: string;
  stepId: string;
  weights: Record<string, number>;
}

/** The weights in force for one split step, or null while the step's own starting weights apply. */
export async function readSplitWeights(
  db: Db,
  workspaceId: string,
  workflowId: string,
  stepId: string,
): Promise<Record<string, number> | null> {
  const row = await db
    .selectFrom('split_weights')
    .select('weights')
    .where('workspace_id', '=', workspaceId)
    .where('workflow_id', '=', workflowId)
    .where('step_id', '=', stepId)
    .executeTakeFirst();
  return row ? fromJson<Record<string, number>>(row.weights, {}) : null;
}

const same = (a: Record<string, number> | null, b: Record<string, number>) =>
  JSON.stringify(Object.entries(a ?? {}).sort()) === JSON.stringify(Object.entries(b).sort());

/**
 * Replaces a split's weights only if they still equal `expected` (a compare-and-set, so a rollback
 * never overwrites a newer decision). Empty `next` weights remove the row: the step's own apply.
 */
export async function replaceSplitWeights(
  db: Db,
  workspaceId: string,
  change: { expected: SplitWeightsState; next: SplitWeightsState; adjustmentId: string; at: number },
): Promise<boolean> {
  const { workflowId, stepId } = change.expected;
  const current = await readSplitWeights(db, workspaceId, workflowId, stepId);
  if (!same(current, change.expected.weights)) return false;
  if (Object.keys(change.next.weights).length === 0) {
    await db
      .deleteFrom('split_weights')
      .where('workspace_id', '=', workspaceId)
      .where('workflow_id', '=', workflowId)
      .where('step_id', '=', stepId)
      .execute();
    return true;
  }
  const weights = toJson(change.next.weights);
  await db
    .insertInto('split_weights')
    .values({
      workspace_id: workspaceId,
      workflow_id: workflowId,
      step_id: stepId,
      weights,
      adjustment_id: change.adjustmentId,
      updated_at: change.at,
    })
    .onConflict((oc) =>
      oc
        .columns(['workspace_id', 'workflow_id', 'step_id'])
        .doUpdateSet({ weights, adjustment_id: change.adjustmentId, updated_at: change.at }),
    )
    .execute();
  return true;
}
