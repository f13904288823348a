import type { Clock } from '../../core/index.ts';
import type { JobContext, Queue } from '../../queue/index.ts';
import type { Db, Store, WorkflowRunsTable, WorkflowStepsTable } from '../../store/index.ts';
import type { WorkspaceWorkflowSettings } from '../credentials/settings-store.ts';
import { EFFECT_CLASS, type Step } from '../dsl/index.ts';
import type { ConsentPort, LeadPort } from '../ports.ts';
import type { Admission } from './admission.ts';
import type { DefinitionCache, LoadedVersion } from './definitions.ts';
import type { RunScope } from './evaluate.ts';
import { type ExecutorDeps, executeStep, StepFailure, type StepOutcome } from './executors.ts';
import type { GroupCommit } from './group-commit.ts';
import type { RateLimiter } from './limits.ts';
import { DATABASE_ONLY, loopOutcome, needsConsent, scopeOf, suppression } from './run-scope.ts';
import {
  FINAL_RUN,
  FINAL_STEP,
  findRun,
  finishRun,
  parseOutput,
  runSteps,
  stepIdOf,
  writeStep,
} from './run-store.ts';
import type { StepRecorder } from './step-recorder.ts';

/** Rolls back a database-only step's transaction when another execution of its job settled it first. */
class StepSettledElsewhere extends Error {}

export type RetryPolicy = { maxAttempts: number; backoffMs: number; factor: number };

type SettleArgs = Parameters<StepRecorder['settle']>;

/** What a step job does after `prepare`: run the step, record a ready outcome, or fail the run. */
type Prepared =
  | {
      kind: 'run';
      run: WorkflowRunsTable;
      wf: LoadedVersion;
      step: Step;
      ws: WorkspaceWorkflowSettings;
      rows: WorkflowStepsTable[];
      scope: RunScope;
      attempts: number;
      now: number;
    }
  | { kind: 'settle'; args: SettleArgs }
  | {
      kind: 'fail';
      run: WorkflowRunsTable;
      wf: LoadedVersion;
      step: Step;
      ws: WorkspaceWorkflowSettings;
      attempts: number;
      error: string;
    };

/**
 * The `workflow.step` job: one step of one run, memoised. It reads the run and its finished steps,
 * takes a concurrency slot and a connector's rate, records the attempt before an effect, runs the
 * step and records its end (with the database-only steps after it and the next job); a step that
 * throws is queued again after its backoff or fails.
 */
export function createStepJob(options: {
  store: Store;
  queue: Pick<Queue, 'enqueue' | 'notify'>;
  clock: Clock;
  leads: LeadPort;
  consent: ConsentPort;
  definitions: DefinitionCache;
  admission: Pick<Admission, 'settingsOf' | 'admitIn'>;
  limiter: RateLimiter;
  recorder: Pick<StepRecorder, 'settle' | 'settleIn' | 'fail'>;
  commit: GroupCommit;
  deps: ExecutorDeps;
  random: () => number;
  defaultRetry: RetryPolicy;
}): (job: JobContext<'workflow.step'>) => Promise<void> {
  const { store, queue, clock, leads, consent, definitions, limiter, commit, deps, random, defaultRetry } =
    options;
  const { settingsOf, admitIn } = options.admission;
  const { settle, settleIn, fail } = options.recorder;

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

  /**
   * Everything a step job does before the step's effect, in `db`: reads the run, its version and
   * finished steps, takes a concurrency slot, the connector's rate and records the attempt; returns
   * what to do next (nothing: the job is done). `write` runs a write that is unsynced: a power cut
   * that forgets the admission lets the run be admitted again, one that forgets the attempt
   * undercounts attempts, one that forgets a requeue loses it together with the job's deletion
   * (which commits after it), so the job runs again.
   */
  async function prepare(
    job: JobContext<'workflow.step'>,
    db: Db,
    write: <T>(fn: (u: Db) => Promise<T>) => Promise<T>,
  ): Promise<Prepared | null> {
    const { runId, stepKey } = job.payload;
    const workspaceId = job.workspaceId;
    let run = await findRun(db, workspaceId, runId);
    if (!run || FINAL_RUN.has(run.status)) return null;
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
      return null;
    }
    if (run.status === 'queued') {
      const queued = run;
      if (!(await write((u) => admitIn(u, queued, wf.workflow, ws)))) {
        await write((u) => requeue(u, job, clock.now() + 100 + Math.round(random() * 400)));
        return null;
      }
      run = { ...run, status: 'running' };
    }
    const rows = await runSteps(db, workspaceId, runId);
    const row = rows.find((r) => r.step_key === stepKey);
    /** A step that ends without running: settled now, the run going on from its steps so far. */
    const settled = (attempts: number, outcome: StepOutcome, scope: RunScope): Prepared => ({
      kind: 'settle',
      args: [job, run, wf, step, attempts, outcome, ws, null, { scope, rows }],
    });
    // Memoised: a finished step is never run again; its successor was queued when it finished.
    if (row && FINAL_STEP.has(row.status)) return null;
    // A step held back by quiet hours (`send_sms`) runs again when its timer is due.
    if (row?.status === 'waiting' && Number(row.wake_at ?? 0) > clock.now()) return null; // an earlier timer job
    if (row?.status === 'waiting' && step.type !== 'send_sms') {
      const wakeAt = Number(row.wake_at ?? 0);
      if (step.type === 'start_workflow')
        return {
          kind: 'fail',
          run,
          wf,
          step,
          ws,
          attempts: row.attempts,
          error: 'the child run did not finish before its deadline',
        };
      const timedOut = step.type === 'wait' && step.wait.kind === 'event';
      const next = step.type === 'wait' ? (timedOut ? step.onTimeout : step.next) : undefined;
      const scope = await scopeOf(db, { leads, consent }, run, rows, needsConsent(step, wf.workflow));
      return settled(
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
        scope,
      );
    }
    const effect = EFFECT_CLASS[step.type];
    if (effect && effect !== 'ai') {
      const wait = limiter.take(`${workspaceId}:${effect}`, ws.ratePerConnector);
      if (wait > 0) {
        await write((u) => requeue(u, job, clock.now() + wait));
        return null;
      }
    }
    const attempts = (row?.attempts ?? 0) + 1;
    const now = clock.now();
    // The attempt is recorded before the effect, so a crash in the middle shows as an attempt.
    if (effect)
      await write((u) =>
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
      return settled(attempts, { kind: 'continue', next, status: 'skipped', output: { suppressed } }, scope);
    }
    return { kind: 'run', run, wf, step, ws, rows, scope, attempts, now };
  }

  /**
   * On PostgreSQL a read outside a transaction is a transaction of its own (BEGIN, the data scope,
   * the query, COMMIT: four round trips), so the reads and unsynced writes before a step's effect
   * share one unsynced transaction, committed before the effect. On SQLite a read is a call into
   * the engine, and a transaction around the reads would hold the one writer's lock.
   */
  const prepareJob = (job: JobContext<'workflow.step'>): Promise<Prepared | null> =>
    store.dialect === 'postgres'
      ? store.unsynced((trx) => prepare(job, trx, (fn) => fn(trx)))
      : prepare(job, store.db, (fn) => store.unsynced(fn));

  async function stepJob(job: JobContext<'workflow.step'>): Promise<void> {
    const { runId, stepKey } = job.payload;
    const workspaceId = job.workspaceId;
    const next = await prepareJob(job);
    if (!next) return;
    if (next.kind === 'fail') {
      await fail(job, next.run, next.wf, next.step, next.attempts, next.error, next.ws);
      return;
    }
    if (next.kind === 'settle') {
      await settle(...next.args);
      return;
    }
    const { run, wf, step, ws, rows, scope, attempts, now } = next;
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
      outcome = await execute(store.db);
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

  return stepJob;
}
