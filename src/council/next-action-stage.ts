import type { PipelineStage } from '../leads/index.ts';
import type { Queue } from '../queue/index.ts';

/**
 * A pipeline reaction: when a lead qualifies in this event, queue a `council.next_action` job in
 * the same transaction, so the job exists if and only if the qualification committed. The job (not
 * this stage) calls the council: model calls must not hold the pipeline's transaction open.
 */
export function createNextActionStage(queue: Pick<Queue, 'enqueue'>): PipelineStage {
  const stage: PipelineStage = {
    name: 'council-next-action',
    async run(ctx) {
      await stage.runBatch?.([ctx]);
    },
    // One enqueue (a multi-row insert) for the batch's qualified leads.
    async runBatch(batch) {
      const qualified = batch.filter((ctx) => ctx.lead && ctx.changes.status?.to === 'qualified');
      const first = qualified[0];
      if (!first) return;
      await queue.enqueue(
        first.db,
        qualified.map((ctx) => ({
          name: 'council.next_action' as const,
          workspaceId: ctx.tenant.workspaceId,
          payload: { leadId: (ctx.lead as NonNullable<typeof ctx.lead>).id },
        })),
      );
    },
  };
  return stage;
}
