import { type Actor, inWorkspace, type Random, type WorkspaceContext } from '../../core/index.ts';
import type { Db, Store } from '../../store/index.ts';
import {
  type Adjustment,
  type AdjustmentDeps,
  appliedAdjustments,
  modeBlock,
  record,
} from './adjustments.ts';
import { readPolicy } from './policy.ts';
import { settle } from './settlement.ts';
import { readSplitWeights, replaceSplitWeights, type SplitWeightsState } from './split-weights.ts';
import { decideSplit, type VariantStats } from './variant-split.ts';

/**
 * The workflow splits of a workspace and what each variant has seen, as the optimiser reads them
 * (declared here, wired in `src/main` over the workflow engine's runs and the leads' outcomes).
 * Aggregates only: counts per variant, no lead.
 */
export interface SplitExperiments {
  list(
    db: Db,
    workspaceId: string,
  ): Promise<
    {
      /** `split`: a split step's variants; `routing`: a round-robin assign-owner step's owners. */
      kind: 'split' | 'routing';
      workflowId: string;
      stepId: string;
      /** Variants with their starting weight, leads with a recorded outcome, and conversions. */
      variants: (VariantStats & { weight: number })[];
    }[]
  >;
}

export interface SplitOptimiser {
  /**
   * One decision for every split of the workspace that has enough outcomes and was not changed in
   * the last hour: the Thompson target, bounded by the policy, recorded as a change (applied or
   * proposed) with the posteriors as evidence. The previous decision on the same split is settled
   * as kept (the new one read its outcomes) before the new one is recorded.
   */
  rebalance(workspaceId: string): Promise<Adjustment[]>;
}

const OPTIMISER: Actor = { type: 'worker', id: 'optimiser.splits' };
const HOUR = 3_600_000;

const targetOf = (workflowId: string, stepId: string) => `workflow ${workflowId} split ${stepId}`;
const pct = (v: number) => `${Math.round(v * 1000) / 10}%`;

export function createSplitOptimiser(options: {
  store: Store;
  deps: AdjustmentDeps;
  experiments: SplitExperiments;
  random: Random;
}): SplitOptimiser {
  const { store, deps, experiments, random } = options;

  async function decideOne(
    db: Db,
    ctx: WorkspaceContext,
    split: Awaited<ReturnType<SplitExperiments['list']>>[number],
  ): Promise<Adjustment | null> {
    const policy = await readPolicy(db, ctx.workspaceId);
    const routing = split.kind === 'routing';
    const rule = routing ? policy.routingWeights : policy.variantSplit;
    const kind = routing ? 'routing_weights' : 'split_weights';
    if (rule.mode === 'off') return null;
    const outcomes = split.variants.reduce((a, v) => a + v.exposures, 0);
    if (outcomes < rule.minOutcomes) return null;
    const now = deps.clock.now();
    const target = routing
      ? `workflow ${split.workflowId} owners at ${split.stepId}`
      : targetOf(split.workflowId, split.stepId);
    const recent = await db
      .selectFrom('optimiser_adjustments')
      .select(['id'])
      .where('workspace_id', '=', ctx.workspaceId)
      .where('kind', '=', kind)
      .where('target', '=', target)
      .where('created_at', '>', now - HOUR)
      .executeTakeFirst();
    if (recent) return null;
    const stored = await readSplitWeights(db, ctx.workspaceId, split.workflowId, split.stepId);
    const total = split.variants.reduce((a, v) => a + v.weight, 0);
    const current = Object.fromEntries(
      split.variants.map((v) => [v.name, stored?.[v.name] ?? (total > 0 ? v.weight / total : 0)]),
    );
    const decision = decideSplit(current, split.variants, rule, random);
    if (decision.moved < 0.005) return null;
    for (const previous of await appliedAdjustments(db, ctx.workspaceId))
      if (previous.kind === kind && previous.target === target)
        await settle(
          db,
          deps,
          ctx.workspaceId,
          previous,
          'kept',
          `the next hourly decision read ${outcomes} outcomes of the split`,
          OPTIMISER,
        );
    const before: SplitWeightsState = {
      workflowId: split.workflowId,
      stepId: split.stepId,
      weights: stored ?? {},
    };
    const after: SplitWeightsState = { ...before, weights: decision.shares };
    const evidence = decision.posteriors
      .map((p) => {
        const v = split.variants.find((x) => x.name === p.name);
        return `${p.name}: ${v?.successes ?? 0}/${v?.exposures ?? 0} converted, posterior mean ${pct(p.mean)}, P(best) ${pct(decision.target[p.name] ?? 0)}, share ${pct(current[p.name] ?? 0)} → ${pct(decision.shares[p.name] ?? 0)}`;
      })
      .join('; ');
    const reason = `${routing ? 'Routing weights: ' : ''}Thompson sampling on conversion (Beta posteriors, floor ${pct(rule.floor)}, at most ${pct(rule.maxStep)} a variant an hour): ${evidence}`;
    const id = deps.ids.next('adj');
    let blocked = modeBlock(policy.enabled, rule.mode, `${routing ? 'routing' : 'split'} changes`);
    if (
      !blocked &&
      !(await replaceSplitWeights(db, ctx.workspaceId, {
        expected: before,
        next: after,
        adjustmentId: id,
        at: now,
      }))
    )
      blocked = "the split's weights changed while the change was prepared";
    // Weights have no guard: the next hourly decision reads their late conversions.
    return record(
      deps,
      db,
      ctx,
      {
        id,
        kind,
        origin: 'detector',
        alertId: null,
        target,
        before,
        after,
        reason,
        blocked,
        guard: null,
        watchMinutes: 60,
        now,
      },
      { before, after, guard: { posteriors: decision.posteriors } },
    );
  }

  return {
    async rebalance(workspaceId) {
      const ctx: WorkspaceContext = { workspaceId, organisationId: '' };
      return inWorkspace(workspaceId, () =>
        store.transaction(async (trx) => {
          const out: Adjustment[] = [];
          for (const split of await experiments.list(trx, workspaceId)) {
            const made = await decideOne(trx, ctx, split);
            if (made) out.push(made);
          }
          return out;
        }),
      );
    },
  };
}
