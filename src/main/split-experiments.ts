import type { SplitExperiments } from '../optimiser/index.ts';
import type { Db } from '../store/index.ts';
import { fromJson } from '../store/index.ts';

interface SplitStepShape {
  id: string;
  type: string;
  strategy?: string;
  variants?: { name: string; weight?: number }[];
  owners?: { id: string; weight?: number }[];
}

/** The arms of a step the optimiser may weight: a split's variants, a round-robin's owners. */
function armsOf(
  step: SplitStepShape,
): { kind: 'split' | 'routing'; field: string; arms: { name: string; weight?: number }[] } | null {
  if (step.type === 'split' && step.variants) return { kind: 'split', field: 'variant', arms: step.variants };
  if (step.type === 'assign_owner' && step.strategy === 'round_robin' && step.owners)
    return {
      kind: 'routing',
      field: 'owner',
      arms: step.owners.map((o) => ({ name: o.id, ...(o.weight !== undefined ? { weight: o.weight } : {}) })),
    };
  return null;
}

/**
 * The optimiser's view of workflow splits: the `split` steps (and round-robin `assign_owner` steps,
 * whose owners are weighted the same way) of the workspace's active workflows (their active
 * version), and per variant or owner the runs that took it whose lead has a recorded outcome, and
 * how many of those converted. Counts only; the lead ids stay in the query.
 */
export function createSplitExperiments(): SplitExperiments {
  return {
    async list(db: Db, workspaceId: string) {
      const active = await db
        .selectFrom('workflows as w')
        .innerJoin('workflow_versions as v', (j) =>
          j
            .onRef('v.workspace_id', '=', 'w.workspace_id')
            .onRef('v.workflow_id', '=', 'w.id')
            .onRef('v.version', '=', 'w.active_version'),
        )
        .select(['w.id as workflowId', 'v.definition'])
        .where('w.workspace_id', '=', workspaceId)
        .where('w.status', '=', 'active')
        .where('w.deleted_at', 'is', null)
        .execute();
      const out: Awaited<ReturnType<SplitExperiments['list']>> = [];
      for (const wf of active) {
        const steps = fromJson<{ steps?: SplitStepShape[] }>(wf.definition, {}).steps ?? [];
        for (const step of steps) {
          const arms = armsOf(step);
          if (!arms) continue;
          const rows = await db
            .selectFrom('workflow_steps as s')
            .innerJoin('workflow_runs as r', (j) =>
              j.onRef('r.workspace_id', '=', 's.workspace_id').onRef('r.id', '=', 's.run_id'),
            )
            .innerJoin('lead_outcomes as o', (j) =>
              j.onRef('o.workspace_id', '=', 'r.workspace_id').onRef('o.lead_id', '=', 'r.lead_id'),
            )
            .select(['s.output', 'o.converted'])
            .where('s.workspace_id', '=', workspaceId)
            .where('r.workflow_id', '=', wf.workflowId)
            .where('s.step_id', '=', step.id)
            .where('s.type', '=', step.type)
            .where('s.status', '=', 'completed')
            .execute();
          const counts = new Map(arms.arms.map((v) => [v.name, { exposures: 0, successes: 0 }]));
          for (const row of rows) {
            const taken = fromJson<Record<string, unknown>>(row.output, {})[arms.field];
            const c = typeof taken === 'string' ? counts.get(taken) : undefined;
            if (!c) continue;
            c.exposures += 1;
            if (Number(row.converted) === 1) c.successes += 1;
          }
          out.push({
            kind: arms.kind,
            workflowId: wf.workflowId,
            stepId: step.id,
            variants: arms.arms.map((v) => ({
              name: v.name,
              weight: v.weight ?? 1,
              exposures: counts.get(v.name)?.exposures ?? 0,
              successes: counts.get(v.name)?.successes ?? 0,
            })),
          });
        }
      }
      return out;
    },
  };
}
