import type { AuditLog } from '../../compliance/index.ts';
import type { Actor, Clock, IdGenerator } from '../../core/index.ts';
import type { PipelineStage } from '../../leads/index.ts';
import type { JobContext, Queue } from '../../queue/index.ts';
import type { Db, Store, WorkflowRunsTable } from '../../store/index.ts';
import { fixedChunks, withSavepoint } from '../../store/index.ts';
import type { SettingsStore } from '../credentials/settings-store.ts';
import { EFFECT_CLASS, type Step } from '../dsl/index.ts';
import type { ConsentPort, LeadPort } from '../ports.ts';
import { createAdmission } from './admission.ts';
import { createDefinitionCache, type DefinitionCache, type LoadedVersion } from './definitions.ts';
import type { StartRunInput } from './engine-types.ts';
import { createEventDelivery } from './event-delivery.ts';
import { type ExecutorDeps, executeStep, StepFailure, type StepOutcome } from './executors.ts';
import { createSettleCommit } from './group-commit.ts';
import { createRateLimiter } from './limits.ts';
import { DATABASE_ONLY, loopOutcome, needsConsent, scopeOf, suppression } from './run-scope.ts';
import {
  FINAL_RUN,
  FINAL_STEP,
  findRun,
  finishRun,
  parseOutput,
  runSteps,
  stepIdOf,
  stepKeyOf,
  writeStep,
} from './run-store.ts';
import { createSchedules } from './schedules.ts';
import { createStepRecorder } from './step-recorder.ts';
import { createLeadTriggers, type LeadEvent } from './triggers.ts';

/** Rolls back a database-only step's transaction when another execution of its job settled it first. */
class StepSettledElsewhere extends Error {}

/** Database-only steps run at a run's start take no job's signal: they make no outbound calls. */
const NEVER_ABORTED = new AbortController().signal;

/** Recorded on every run: how the engine interpreted the definition, should that ever change. */
const ENGINE_SEMANTICS_VERSION = 1;

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
  defaultRetry?: { maxAttempts: number; backoffMs: number; factor: number };
}

export function createWorkflowEngine(options: WorkflowEngineOptions): WorkflowEngine {
  const { store, queue, clock, ids, audit, leads, consent, settings } = options;
  const random = options.random ?? Math.random;
  const defaultRetry = options.defaultRetry ?? { maxAttempts: 5, backoffMs: 1000, factor: 2 };
  const definitions = createDefinitionCache({ clock });
  const limiter = createRateLimiter(clock);

  const deps: ExecutorDeps = {
    ...options,
    startChild: async (db, workspaceId, input) => {
      const started = await startRun(db, workspaceId, {
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
  const { settingsOf, runningOf, concurrencyOf, admit } = createAdmission({ store, clock, settings });
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
  const { settle, settleIn, fail, resumeParent } = recorder;

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

  async function startRun(db: Db, workspaceId: string, input: StartRunInput) {
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
      const existing = await db
        .selectFrom('workflow_runs')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('workflow_id', '=', input.workflowId)
        .where('dedupe_key', '=', input.dedupeKey)
        .executeTakeFirst();
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
  }

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

  function backoff(step: Step, attempt: number): number {
    const policy = { ...defaultRetry, ...step.retry };
    const base =
      (policy.backoffMs ?? defaultRetry.backoffMs) *
      (policy.factor ?? defaultRetry.factor) ** Math.max(0, attempt - 1);
    return Math.round(Math.min(base, 3_600_000) * (0.5 + random() / 2));
  }

  /**
   * The job again at `runAt`. Outside a transaction it is written unsynced: the job's own deletion
   * commits after it, and a power cut loses a suffix of commits, so it can lose both (the job runs
   * again) but never the requeue alone.
   */
  async function requeue(db: Db, job: JobContext<'workflow.step'>, runAt: number): Promise<void> {
    await queue.enqueue(db, [
      { name: 'workflow.step', workspaceId: job.workspaceId, payload: job.payload, runAt },
    ]);
  }

  async function stepJob(job: JobContext<'workflow.step'>): Promise<void> {
    const { runId, stepKey } = job.payload;
    const workspaceId = job.workspaceId;
    const db = store.db;
    let run = await findRun(db, workspaceId, runId);
    if (!run || FINAL_RUN.has(run.status)) return;
    const wf = await definitions.version(db, workspaceId, run.workflow_id, run.version);
    const ws = await settingsOf(db, workspaceId);
    const step = wf?.steps.get(stepIdOf(stepKey));
    if (!wf || !step) {
      await finishRun(
        db,
        workspaceId,
        runId,
        'failed',
        `step ${stepKey} is not in version ${run.version}`,
        clock.now(),
      );
      return;
    }
    if (run.status === 'queued') {
      if (!(await admit(run, wf.workflow, ws))) {
        await store.unsynced((u) => requeue(u, job, clock.now() + 100 + Math.round(random() * 400)));
        return;
      }
      run = { ...run, status: 'running' };
    }
    const rows = await runSteps(db, workspaceId, runId);
    const row = rows.find((r) => r.step_key === stepKey);
    // Memoised: a finished step is never run again; its successor was queued when it finished.
    if (row && FINAL_STEP.has(row.status)) return;
    // A step held back by quiet hours (`send_sms`) runs again when its timer is due.
    if (row?.status === 'waiting' && Number(row.wake_at ?? 0) > clock.now()) return; // an earlier timer job
    if (row?.status === 'waiting' && step.type !== 'send_sms') {
      const wakeAt = Number(row.wake_at ?? 0);
      if (step.type === 'start_workflow') {
        await fail(job, run, wf, step, row.attempts, 'the child run did not finish before its deadline', ws);
        return;
      }
      const timedOut = step.type === 'wait' && step.wait.kind === 'event';
      const next = step.type === 'wait' ? (timedOut ? step.onTimeout : step.next) : undefined;
      const scope = await scopeOf(db, { leads, consent }, run, rows, needsConsent(step, wf.workflow));
      await settle(
        job,
        run,
        wf,
        step,
        row.attempts,
        {
          kind: 'continue',
          next,
          output: {
            ...parseOutput(row),
            ...(timedOut ? { timedOut: true } : {}),
            lateMs: clock.now() - wakeAt,
          },
        },
        ws,
        null,
        { scope, rows },
      );
      return;
    }
    const effect = EFFECT_CLASS[step.type];
    if (effect && effect !== 'ai') {
      const wait = limiter.take(`${workspaceId}:${effect}`, ws.ratePerConnector);
      if (wait > 0) {
        await store.unsynced((u) => requeue(u, job, clock.now() + wait));
        return;
      }
    }
    const attempts = (row?.attempts ?? 0) + 1;
    const now = clock.now();
    // The attempt is recorded before the effect, so a crash in the middle shows as an attempt
    // (unsynced: a power cut that forgets it undercounts attempts, nothing else).
    if (effect)
      await store.unsynced((u) =>
        writeStep(u, {
          workspaceId,
          runId,
          stepKey,
          stepId: step.id,
          type: step.type,
          status: 'running',
          attempts,
          output: null,
          error: row?.error ?? null,
          wakeAt: null,
          now,
          final: false,
        }),
      );
    const scope = await scopeOf(db, { leads, consent }, run, rows, needsConsent(step, wf.workflow));
    const suppressed = suppression(step, wf.workflow, rows, scope);
    if (suppressed) {
      const next = 'next' in step ? step.next : undefined;
      await settle(
        job,
        run,
        wf,
        step,
        attempts,
        { kind: 'continue', next, status: 'skipped', output: { suppressed } },
        ws,
        null,
        { scope, rows },
      );
      return;
    }
    const execute = (on: Db): Promise<StepOutcome> =>
      step.type === 'loop'
        ? Promise.resolve(loopOutcome(step, rows, scope))
        : executeStep(
            step,
            {
              db: on,
              workspaceId,
              run,
              workflow: wf.workflow,
              stepKey,
              scope,
              settings: ws,
              idempotencyKey: `${runId}:${stepKey}`,
              now,
              signal: job.signal,
            },
            deps,
          );
    const chain = { scope, rows };
    if (DATABASE_ONLY.has(step.type)) {
      // Its effect and its memo commit together or not at all: a crash between them leaves
      // neither, and an execution that finds the step already settled takes its effect back.
      let thrown: { error: unknown } | null = null;
      const settled = await commit(async (trx) => {
        let outcome: StepOutcome;
        try {
          outcome = await execute(trx);
        } catch (error) {
          thrown = { error };
          throw error;
        }
        if (!(await settleIn(trx, job, run, wf, step, attempts, outcome, ws, null, chain)))
          throw new StepSettledElsewhere();
        return true;
      }).catch((error: unknown) => {
        if (error instanceof StepSettledElsewhere) return false;
        if (thrown) return null;
        throw error;
      });
      if (settled) queue.notify();
      if (settled !== null) return;
      return retryOrFail(job, run, wf, step, attempts, (thrown as { error: unknown } | null)?.error);
    }
    let outcome: StepOutcome;
    try {
      outcome = await execute(db);
    } catch (error) {
      return retryOrFail(job, run, wf, step, attempts, error);
    }
    await settle(job, run, wf, step, attempts, outcome, ws, null, chain);
  }

  /** A step that threw: queued again after its backoff while attempts remain, else failed (or its error edge taken). */
  async function retryOrFail(
    job: JobContext<'workflow.step'>,
    run: WorkflowRunsTable,
    wf: LoadedVersion,
    step: Step,
    attempts: number,
    error: unknown,
  ): Promise<void> {
    const { runId, stepKey } = job.payload;
    const workspaceId = job.workspaceId;
    const ws = await settingsOf(store.db, workspaceId);
    const message = (error as Error)?.message ?? String(error);
    const retryable =
      error instanceof StepFailure
        ? error.retryable
        : !(error instanceof TypeError || error instanceof RangeError);
    const maxAttempts = step.retry?.maxAttempts ?? (EFFECT_CLASS[step.type] ? defaultRetry.maxAttempts : 1);
    if (retryable && attempts < maxAttempts && !job.signal.aborted) {
      const runAt = clock.now() + backoff(step, attempts);
      await store.transaction(async (trx) => {
        await writeStep(trx, {
          workspaceId,
          runId,
          stepKey,
          stepId: step.id,
          type: step.type,
          status: 'retrying',
          attempts,
          output: null,
          error: message,
          wakeAt: runAt,
          now: clock.now(),
          final: false,
        });
        await requeue(trx, job, runAt);
      });
      return;
    }
    if (job.signal.aborted) throw error;
    await fail(job, run, wf, step, attempts, message, ws);
  }

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
