import type { Clock } from '../core/index.ts';
import { type PipelineStage, runStageOverBatch, type StageContext } from '../leads/index.ts';
import type { SourceHolds } from '../optimiser/index.ts';
import { dbOf } from '../store/index.ts';

/** The optimiser's source holds over the `source_holds` table (one row a held source). */
export function createSourceHolds(clock: Clock): SourceHolds {
  return {
    async hold(unit, workspaceId, source, by) {
      const inserted = await dbOf(unit)
        .insertInto('source_holds')
        .values({
          workspace_id: workspaceId,
          source,
          adjustment_id: by.adjustmentId,
          reason: by.reason,
          held_at: clock.now(),
        })
        .onConflict((oc) => oc.columns(['workspace_id', 'source']).doNothing())
        .executeTakeFirst();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
    },
    async release(unit, workspaceId, source, adjustmentId) {
      const deleted = await dbOf(unit)
        .deleteFrom('source_holds')
        .where('workspace_id', '=', workspaceId)
        .where('source', '=', source)
        .where('adjustment_id', '=', adjustmentId)
        .executeTakeFirst();
      return Number(deleted.numDeletedRows) === 1;
    },
  };
}

/**
 * Runs the pipeline's reactions (workflow triggers, the next-action council) except for leads
 * whose source the optimiser holds: such a lead is still stored and scored by the stages before
 * (no data is lost), and its hold is audited on the lead, but nothing automated acts on it.
 */
export function holdPausedSources(reactions: readonly PipelineStage[]): PipelineStage {
  type Hold = { adjustment_id: string; reason: string } | null;
  async function heldOf(ctx: StageContext, seen: Map<string, Hold>): Promise<Hold> {
    const source = ctx.lead?.source;
    if (!source) return null;
    // A set's leads share a handful of sources and one transaction: one lookup per source, not per lead.
    const key = `${ctx.tenant.workspaceId}\u0000${source}`;
    const known = seen.get(key);
    if (known !== undefined) return known;
    const row = await dbOf(ctx.db)
      .selectFrom('source_holds')
      .select(['adjustment_id', 'reason'])
      .where('workspace_id', '=', ctx.tenant.workspaceId)
      .where('source', '=', source)
      .executeTakeFirst();
    seen.set(key, row ?? null);
    return row ?? null;
  }
  /** The contexts that passed, for `afterWrite` (which runs after every stage's `run`). */
  const passed = new WeakSet<StageContext>();
  async function passing(batch: readonly StageContext[]): Promise<StageContext[]> {
    const out: StageContext[] = [];
    const seen = new Map<string, Hold>();
    for (const ctx of batch) {
      const held = await heldOf(ctx, seen);
      if (!held) {
        out.push(ctx);
        passed.add(ctx);
        continue;
      }
      ctx.audit({
        action: 'lead.held',
        subject: ctx.lead?.id ?? '',
        reason: `source ${ctx.lead?.source} is paused by optimiser change ${held.adjustment_id}: stored, not acted on automatically`,
        data: { adjustmentId: held.adjustment_id, source: ctx.lead?.source },
      });
    }
    return out;
  }
  return {
    name: 'source-holds',
    async run(ctx) {
      if ((await passing([ctx])).length === 0) return;
      for (const stage of reactions) await stage.run(ctx);
    },
    async runBatch(batch) {
      const pass = await passing(batch);
      if (pass.length === 0) return;
      for (const stage of reactions) await runStageOverBatch(stage, pass);
    },
    async afterWrite(batch) {
      const pass = batch.filter((ctx) => passed.has(ctx));
      if (pass.length === 0) return;
      for (const stage of reactions) await stage.afterWrite?.(pass);
    },
  };
}
