import type { PipelineStage } from '../leads/index.ts';
import type { Queue } from '../queue/index.ts';

/**
 * A pipeline reaction: when a lead qualifies in this event, queue a `council.next_action` job in
 * the same transaction, so the job exists if and only if the qualification committed. The job (not
 * this stage) calls the council: model calls must not hold the pipeline's transaction open.
 */
export function createNextActionStage(queue: Pick<Queue, 'enqueue'>): PipelineStage {
  return {
    name: 'council-next-action',
    async run(ctx) {
      const lead = ctx.lead;
      if (!lead || ctx.changes.status?.to !== 'qualified') return;
      await queue.enqueue(ctx.db, [
        { name: 'council.next_action', workspaceId: ctx.tenant.workspaceId, payload: { leadId: lead.id } },
      ]);
    },
  };
}
