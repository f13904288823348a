import type { Clock, IdGenerator } from '../../core/index.ts';
import type { Queue } from '../../queue/index.ts';
import type { Db } from '../../store/index.ts';
import { fixedChunks, withSavepoint, workspaceRow } from '../../store/index.ts';
import type { ConsentPort, LeadPort } from '../ports.ts';
import type { Admission } from './admission.ts';
import type { DefinitionCache, LoadedVersion } from './definitions.ts';
import type { StartRun, StartRunInput } from './engine-types.ts';
import { DATABASE_ONLY, needsConsent, scopeOf } from './run-scope.ts';
import { stepIdOf, stepKeyOf } from './run-store.ts';
import type { StepRecorder } from './step-recorder.ts';

/** Database-only steps run at a run's start take no job's signal: they make no outbound calls. */
const NEVER_ABORTED = new AbortController().signal;

/** Recorded on every run: how the engine interpreted the definition, should that ever change. */
const ENGINE_SEMANTICS_VERSION = 1;

export interface RunStarter {
  /** Starts a run in `db` (the caller's transaction); null when the workflow is not runnable, `created: false` for a duplicate. */
  startRun: StartRun;
  /** Starts many runs of one workflow version and trigger set-based; returns how many were created. */
  startRuns(db: Db, workspaceId: string, inputs: readonly StartRunInput[]): Promise<number>;
}

/** How runs begin: their rows, their first job, and the database-only first steps run where they start. */
export function createRunStarter(options: {
  queue: Pick<Queue, 'enqueue'>;
  clock: Clock;
  ids: IdGenerator;
  leads: LeadPort;
  consent: ConsentPort;
  definitions: DefinitionCache;
  admission: Pick<Admission, 'settingsOf' | 'runningOf' | 'concurrencyOf'>;
  recorder: Pick<StepRecorder, 'advance'>;
}): RunStarter {
  const { queue, clock, ids, leads, consent, definitions, recorder } = options;
  const { settingsOf, runningOf, concurrencyOf } = options.admission;

  /** The row of a new run of `wf`, queued. */
  function runRow(workspaceId: string, wf: LoadedVersion, input: StartRunInput, now: number) {
    return {
      id: ids.next('wfr'),
      workspace_id: workspaceId,
      workflow_id: input.workflowId,
      version: wf.version,
      engine_version: ENGINE_SEMANTICS_VERSION,
      lead_id: input.leadId,
      trigger: input.trigger,
      dedupe_key: input.dedupeKey,
      status: 'queued',
      input: JSON.stringify(input.input ?? {}),
      error: null,
      created_at: now,
      updated_at: now,
      finished_at: null,
    };
  }

  function startStep(wf: LoadedVersion, triggerType: string): string {
    const trigger = wf.workflow.triggers.find((t) => t.type === triggerType);
    return stepKeyOf(trigger?.start ?? wf.workflow.start, 1);
  }

  const startRun: StartRun = async (db, workspaceId, input) => {
    const wf = await definitions.runnable(db, workspaceId, input.workflowId, input.version);
    if (!wf) return null;
    const row = runRow(workspaceId, wf, input, clock.now());
    const firstKey = startStep(wf, input.trigger);
    const first = wf.steps.get(stepIdOf(firstKey));
    // A child run (`start_workflow`) never runs inline here: a workflow that starts itself would
    // otherwise recurse inside one transaction.
    const inline = first !== undefined && DATABASE_ONLY.has(first.type) && input.trigger !== 'workflow';
    const ws = inline ? await settingsOf(db, workspaceId) : null;
    if (ws && (await runningOf(db, row.workflow_id)) < concurrencyOf(wf.workflow, ws)) row.status = 'running';
    const inserted = await db
      .insertInto('workflow_runs')
      .values(row)
      .onConflict((oc) => oc.columns(['workspace_id', 'workflow_id', 'dedupe_key']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) {
      const existing = await workspaceRow(
        db,
        'workflow_runs',
        workspaceId,
        { workflow_id: input.workflowId, dedupe_key: input.dedupeKey },
        ['id'],
      );
      return existing ? { runId: existing.id, created: false } : null;
    }
    // Admitted at once: its database-only first steps run in the caller's transaction (the event's),
    // which saves the run a job. Anything that throws there leaves the first step to its job.
    if (ws && first && row.status === 'running') {
      const prefix = await withSavepoint(db, async () => {
        const scope = await scopeOf(db, { leads, consent }, row, [], needsConsent(first, wf.workflow));
        await recorder.advance(db, row, wf, first.id, { scope, rows: [] }, ws, NEVER_ABORTED, false);
        return true;
      }).catch(() => false);
      if (prefix) return { runId: row.id, created: true };
    }
    await queue.enqueue(db, [
      { name: 'workflow.step', workspaceId, payload: { runId: row.id, stepKey: firstKey } },
    ]);
    return { runId: row.id, created: true };
  };

  /**
   * Starts many runs of one workflow version and trigger (a schedule's `forEachLead`) set-based:
   * multi-row inserts of runs and of their first jobs instead of statements per lead. Duplicates
   * (a key already started) are skipped; returns how many runs were created.
   */
  async function startRuns(db: Db, workspaceId: string, inputs: readonly StartRunInput[]): Promise<number> {
    const first = inputs[0];
    if (!first) return 0;
    const wf = await definitions.runnable(db, workspaceId, first.workflowId, first.version);
    if (!wf) return 0;
    const stepKey = startStep(wf, first.trigger);
    const now = clock.now();
    let created = 0;
    for (const chunk of fixedChunks(inputs)) {
      const inserted = await db
        .insertInto('workflow_runs')
        .values(chunk.map((input) => runRow(workspaceId, wf, input, now)))
        .onConflict((oc) => oc.columns(['workspace_id', 'workflow_id', 'dedupe_key']).doNothing())
        .returning('id')
        .execute();
      if (inserted.length === 0) continue;
      await queue.enqueue(
        db,
        inserted.map((r) => ({
          name: 'workflow.step' as const,
          workspaceId,
          payload: { runId: r.id, stepKey },
        })),
      );
      created += inserted.length;
    }
    return created;
  }

  return { startRun, startRuns };
}
