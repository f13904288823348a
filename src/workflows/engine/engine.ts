import type { AuditLog } from '../../compliance/index.ts';
import type { Actor, Clock, IdGenerator } from '../../core/index.ts';
import type { PipelineStage } from '../../leads/index.ts';
import type { JobContext, Queue } from '../../queue/index.ts';
import type { Db, Store } from '../../store/index.ts';
import type { SettingsStore } from '../credentials/settings-store.ts';
import type { ConsentPort, LeadPort } from '../ports.ts';
import { createAdmission } from './admission.ts';
import { createDefinitionCache, type DefinitionCache } from './definitions.ts';
import type { StartRunInput } from './engine-types.ts';
import { createEventDelivery } from './event-delivery.ts';
import type { ExecutorDeps } from './executors.ts';
import { createSettleCommit } from './group-commit.ts';
import { createRateLimiter } from './limits.ts';
import { createRunStarter } from './run-start.ts';
import { FINAL_RUN, findRun, finishRun } from './run-store.ts';
import { createSchedules } from './schedules.ts';
import { createStepJob, type RetryPolicy } from './step-job.ts';
import { createStepRecorder } from './step-recorder.ts';
import { createLeadTriggers, type LeadEvent } from './triggers.ts';

export interface WorkflowEngine {
  /** The `workflow.step` job handler. */
  stepJob(job: JobContext<'workflow.step'>): Promise<void>;
  /** A lead-pipeline reaction: starts the runs of active workflows whose triggers this event fires, in the event's transaction. */
  readonly triggerStage: PipelineStage;
  /** Starts the runs a lead event recorded outside the pipeline triggers (and wakes runs waiting for it), in `db`: the event's transaction. */
  fire(db: Db, workspaceId: string, event: LeadEvent): Promise<void>;
  /** The `workflow.schedule` job handler. */
  scheduleJob(job: JobContext<'workflow.schedule'>): Promise<void>;
  /** Makes the workflow's schedule rows match its active version (null: none), in `db`: the activation's transaction. */
  syncSchedules(db: Db, workspaceId: string, workflowId: string, activeVersion: number | null): Promise<void>;
  /** Starts a run in `db` (the caller's transaction); null when the workflow is not runnable, `created: false` for a duplicate. */
  startRun(
    db: Db,
    workspaceId: string,
    input: StartRunInput,
  ): Promise<{ runId: string; created: boolean } | null>;
  /** Delivers an event to runs waiting for it (`wait` with `kind: event`) about `leadId`. */
  deliverEvent(
    db: Db,
    workspaceId: string,
    leadId: string,
    event: string,
    data: Record<string, unknown>,
  ): Promise<number>;
  cancelRun(workspaceId: string, runId: string, actor: Actor, reason: string): Promise<boolean>;
  /** Forgets cached active workflows of a workspace (after activation changes). */
  invalidate(workspaceId: string): void;
  readonly definitions: DefinitionCache;
}

export interface WorkflowEngineOptions extends Omit<ExecutorDeps, 'startChild' | 'runOrdinal'> {
  store: Store;
  queue: Pick<Queue, 'enqueue' | 'notify'>;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditLog;
  leads: LeadPort;
  consent: ConsentPort;
  settings: SettingsStore;
  random?: () => number;
  /** Default retry policy of effect steps (other steps fail at once unless they declare one). */
  defaultRetry?: RetryPolicy;
}

/**
 * The durable workflow engine: runs start where their trigger is recorded (`run-start.ts`), each
 * step runs as a `workflow.step` job (`step-job.ts`) and its end is recorded with the steps that
 * follow it (`step-recorder.ts`); schedules, lead triggers and event delivery start and wake runs.
 */
export function createWorkflowEngine(options: WorkflowEngineOptions): WorkflowEngine {
  const { store, queue, clock, ids, audit, leads, consent, settings } = options;
  const definitions = createDefinitionCache({ clock });

  const deps: ExecutorDeps = {
    ...options,
    // Late bound: starting a child run may run its first steps, which use these deps.
    startChild: async (db, workspaceId, input) => {
      const started = await starter.startRun(db, workspaceId, {
        workflowId: input.workflowId,
        ...(input.version === 'latest' ? {} : { version: input.version }),
        trigger: 'workflow',
        leadId: input.leadId,
        dedupeKey: input.dedupeKey,
        input: { parentRunId: input.parentRunId },
      });
      return started?.runId ?? null;
    },
    runOrdinal: async (db, run) => {
      const row = await db
        .selectFrom('workflow_runs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('workspace_id', '=', run.workspace_id)
        .where('workflow_id', '=', run.workflow_id)
        .where('created_at', '<', run.created_at)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };

  const commit = createSettleCommit(store);
  const admission = createAdmission({ clock, settings });
  const recorder = createStepRecorder({
    store,
    queue,
    clock,
    audit,
    leads,
    consent,
    definitions,
    deps,
    commit,
  });
  const { resumeParent } = recorder;
  const starter = createRunStarter({ queue, clock, ids, leads, consent, definitions, admission, recorder });
  const { startRun, startRuns } = starter;
  const stepJob = createStepJob({
    store,
    queue,
    clock,
    leads,
    consent,
    definitions,
    admission,
    limiter: createRateLimiter(clock),
    recorder,
    commit,
    deps,
    random: options.random ?? Math.random,
    defaultRetry: options.defaultRetry ?? { maxAttempts: 5, backoffMs: 1000, factor: 2 },
  });

  const deliverEvent = createEventDelivery({ queue, clock, definitions, resumeParent });

  const triggers = createLeadTriggers({ definitions, leads, startRun, deliverEvent });
  const schedules = createSchedules({
    store,
    queue,
    clock,
    ids,
    leads,
    version: definitions.version,
    startRun,
    startRuns,
  });

  return {
    stepJob,
    triggerStage: triggers.triggerStage,
    fire: triggers.fire,
    scheduleJob: schedules.fireJob,
    async syncSchedules(db, workspaceId, workflowId, activeVersion) {
      const loaded =
        activeVersion === null ? null : await definitions.version(db, workspaceId, workflowId, activeVersion);
      await schedules.sync(db, workspaceId, workflowId, loaded);
    },
    startRun,
    deliverEvent,
    definitions,
    invalidate: (workspaceId) => definitions.invalidate(workspaceId),
    async cancelRun(workspaceId, runId, actor, reason) {
      const now = clock.now();
      return store.db.transaction().execute(async (trx) => {
        const run = await findRun(trx, workspaceId, runId);
        if (!run || FINAL_RUN.has(run.status)) return false;
        await finishRun(trx, workspaceId, runId, 'cancelled', reason, now);
        await resumeParent(trx, { ...run, status: 'cancelled', error: reason }, now);
        await trx
          .updateTable('workflow_steps')
          .set({ status: 'cancelled', finished_at: now })
          .where('workspace_id', '=', workspaceId)
          .where('run_id', '=', runId)
          .where('status', 'in', ['waiting', 'retrying', 'running'])
          .execute();
        await audit.append(trx, workspaceId, {
          actor,
          action: 'workflow.run_cancelled',
          subject: runId,
          reason,
          data: { workflowId: run.workflow_id },
        });
        return true;
      });
    },
  };
}
