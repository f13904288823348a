import type { Clock } from '../../core/index.ts';
import type { Queue } from '../../queue/index.ts';
import type { Db } from '../../store/index.ts';
import type { DefinitionCache } from './definitions.ts';
import { findRun, finishRun, nextVisit, parseOutput, stepKeyOf, writeStep } from './run-store.ts';
import type { StepRecorder } from './step-recorder.ts';

/**
 * Delivers an event about a lead to the runs waiting for it (`wait` with `kind: event` and a
 * matching `match`), in `db`: the transaction that records the event. Each waiting step is
 * completed and its run's next step queued (or the run ended, waking a parent run).
 */
export function createEventDelivery(options: {
  queue: Pick<Queue, 'enqueue'>;
  clock: Clock;
  definitions: DefinitionCache;
  resumeParent: StepRecorder['resumeParent'];
}): (
  db: Db,
  workspaceId: string,
  leadId: string,
  event: string,
  data: Record<string, unknown>,
) => Promise<number> {
  const { queue, clock, definitions, resumeParent } = options;
  return async function deliverEvent(
    db: Db,
    workspaceId: string,
    leadId: string,
    event: string,
    data: Record<string, unknown>,
  ): Promise<number> {
    const waiting = await db
      .selectFrom('workflow_steps as s')
      .innerJoin('workflow_runs as r', (j) => j.onRef('r.id', '=', 's.run_id'))
      .selectAll('s')
      .select(['r.workflow_id', 'r.version'])
      .where('s.workspace_id', '=', workspaceId)
      .where('r.workspace_id', '=', workspaceId)
      .where('r.lead_id', '=', leadId)
      .where('r.status', '=', 'running')
      .where('s.status', '=', 'waiting')
      .where('s.type', '=', 'wait')
      .execute();
    let delivered = 0;
    for (const row of waiting) {
      const output = parseOutput(row);
      if (output.waitingFor !== event) continue;
      const match = (output.match ?? {}) as Record<string, unknown>;
      if (!Object.entries(match).every(([k, v]) => data[k] === v)) continue;
      const wf = await definitions.version(db, workspaceId, row.workflow_id, row.version);
      const step = wf?.steps.get(row.step_id);
      if (step?.type !== 'wait') continue;
      const now = clock.now();
      await writeStep(db, {
        workspaceId,
        runId: row.run_id,
        stepKey: row.step_key,
        stepId: row.step_id,
        type: 'wait',
        status: 'completed',
        attempts: row.attempts,
        output: JSON.stringify({ ...output, event }),
        error: null,
        wakeAt: null,
        now,
        final: true,
      });
      if (step.next) {
        const visit = await nextVisit(db, workspaceId, row.run_id, step.next);
        await queue.enqueue(db, [
          {
            name: 'workflow.step',
            workspaceId,
            payload: { runId: row.run_id, stepKey: stepKeyOf(step.next, visit) },
          },
        ]);
      } else {
        await finishRun(db, workspaceId, row.run_id, 'completed', null, now);
        const ended = await findRun(db, workspaceId, row.run_id);
        if (ended) await resumeParent(db, ended, now);
      }
      delivered++;
    }
    return delivered;
  };
}
