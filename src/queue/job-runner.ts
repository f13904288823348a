import { asScheduler, type Clock, inWorkspace, LeadloopError } from '../core/index.ts';
import type { Db, JobsTable, Store } from '../store/index.ts';
import { fixedChunks, fromJson, withSavepoint } from '../store/index.ts';
import { type JobName, jobCatalog, type UnitOfWork } from './catalog.ts';
import { failureValues, type JobStatus } from './job-rows.ts';
import type {
  BatchJobHandler,
  BatchJobHandlers,
  JobContext,
  JobHandler,
  JobOutcome,
  WorkerOptions,
} from './port.ts';

/** What a job failed with when its handler threw nothing usable (`throw undefined`). */
const jobFailed = () => new LeadloopError('internal', 'job failed', { retryable: true });

/**
 * Runs claimed job rows and settles them in the database: the part both adapters share once a
 * worker holds a row (`active`, leased to `workerId`). Every settlement is fenced on
 * `locked_by = workerId`, so a worker whose lease was taken over cannot settle the job twice.
 */
export interface JobRunner {
  /**
   * Runs `batch` jobs in one transaction: each inside its own savepoint, then the completed ones
   * deleted and the failed ones rescheduled, all committed together.
   */
  runBatch(rows: JobsTable[], opts: WorkerOptions): Promise<void>;
  /** Runs one `none` job outside any transaction of ours, then acknowledges it. */
  runOne(row: JobsTable, opts: WorkerOptions): Promise<void>;
  /** Puts claimed rows that never ran back in the queue, their attempt not counted (at shutdown). */
  release(rows: readonly JobsTable[]): Promise<void>;
  /** Renews the leases of running `none` jobs every third of the visibility timeout; returns stop. */
  startHeartbeat(): () => void;
}

export interface JobRunnerOptions {
  store: Store;
  clock: Clock;
  random: () => number;
  workerId: string;
  visibilityMs: number;
}

export const unitOf = (name: string): UnitOfWork => jobCatalog[name as JobName]?.unitOfWork ?? 'batch';
const timeoutOf = (name: string): number => jobCatalog[name as JobName]?.timeoutMs ?? 30_000;

/**
 * A job's abort signal: aborted at its timeout or when the worker stops. Released explicitly when
 * the job ends, so no timer or listener outlives it; `AbortSignal.timeout` plus `AbortSignal.any`
 * per job kept tens of thousands of timers and signals alive under load.
 */
function jobDeadline(stop: AbortSignal, timeoutMs: number): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const onStop = () => controller.abort(stop.reason);
  const timer = setTimeout(
    () =>
      controller.abort(
        new LeadloopError('unavailable', `job timed out after ${timeoutMs} ms`, { retryable: true }),
      ),
    timeoutMs,
  );
  if (stop.aborted) onStop();
  else stop.addEventListener('abort', onStop, { once: true });
  return {
    signal: controller.signal,
    release() {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
    },
  };
}

function contextFor(
  row: JobsTable,
  signal: AbortSignal,
  trx: Db,
  afterCommit: (fn: () => void) => void,
): JobContext {
  const name = row.name as JobName;
  const definition = jobCatalog[name];
  if (!definition) throw new LeadloopError('internal', `unknown job ${row.name}`, { retryable: false });
  return {
    id: row.id,
    name,
    workspaceId: row.workspace_id,
    payload: definition.payload.parse(fromJson(row.payload, {})),
    attempt: row.attempts,
    signal,
    db: trx,
    afterCommit,
  };
}

/** Thrown inside a batch whose rows were taken over by another worker, to roll its effects back. */
class LeaseLostError extends Error {
  constructor() {
    super('job lease lost to another worker');
  }
}

/** After-commit callbacks run in their job's workspace, like the job itself. */
const inJobScope = (row: JobsTable, fn: () => void) => () => inWorkspace(row.workspace_id, fn);

/**
 * Groups rows that a set handler can take together (same kind and workspace, in claim order);
 * every other row is a group of its own.
 */
function setsOf(rows: readonly JobsTable[], batchHandlers: BatchJobHandlers | undefined): JobsTable[][] {
  const groups: JobsTable[][] = [];
  const sets = new Map<string, JobsTable[]>();
  for (const row of rows) {
    if (!batchHandlers?.[row.name as JobName]) {
      groups.push([row]);
      continue;
    }
    const key = `${row.name}\u0000${row.workspace_id}`;
    const set = sets.get(key);
    if (set) set.push(row);
    else {
      const fresh = [row];
      sets.set(key, fresh);
      groups.push(fresh);
    }
  }
  return groups;
}

/**
 * Runs a group with its kind's set handler inside one savepoint, in the group's workspace scope
 * (set once for the group). True when it committed to the savepoint; false when it threw (its
 * writes undone, its callbacks dropped) or a row's payload did not parse.
 */
async function runSet(
  trx: Db,
  group: readonly JobsTable[],
  opts: WorkerOptions,
  signal: AbortSignal,
  callbacks: (() => void)[],
): Promise<boolean> {
  const first = group[0] as JobsTable;
  const handler = opts.batchHandlers?.[first.name as JobName] as BatchJobHandler<JobName> | undefined;
  if (!handler) return false;
  const own: (() => void)[] = [];
  try {
    const contexts = group.map((row) => contextFor(row, signal, trx, (fn) => own.push(inJobScope(row, fn))));
    await inWorkspace(first.workspace_id, () => withSavepoint(trx, () => handler(contexts)));
  } catch {
    return false;
  }
  callbacks.push(...own);
  return true;
}

/**
 * A set's effects, its processed marks and its job deletions commit in one transaction, so that
 * commit need not wait for the disk: a power cut forgets it only as a whole, with everything
 * committed after it, and the jobs then run again; any later synced commit (the next accepted
 * webhook) makes it durable. Waiting cost 5–7 ms per set on this machine's disk, with the write
 * lock held (docs/decisions/2026-12-07-unsynced-sets.md).
 */
const BATCH_COMMIT = { unsynced: true } as const;

export function createJobRunner(options: JobRunnerOptions): JobRunner {
  const { store, clock, random, workerId, visibilityMs } = options;
  const db = store.db;
  /** `none` jobs this worker runs; the heartbeat renews their leases. */
  const held = new Set<string>();

  function report(opts: WorkerOptions, row: JobsTable, status: JobOutcome['status'], error: unknown) {
    opts.onSettled?.({
      name: row.name as JobName,
      workspaceId: row.workspace_id,
      status,
      latencyMs: Math.max(0, clock.now() - row.run_at),
      ...(error === undefined ? {} : { error: error instanceof Error ? error.message : String(error) }),
    });
  }

  async function runBatchWithin(rows: JobsTable[], opts: WorkerOptions, signal: AbortSignal): Promise<void> {
    const callbacks: (() => void)[] = [];
    const settled: { row: JobsTable; status: JobOutcome['status']; error: unknown }[] = [];
    try {
      await asScheduler(() =>
        store.transaction(async (trx) => {
          const done: string[] = [];
          const runAlone = async (row: JobsTable): Promise<void> => {
            const own: (() => void)[] = [];
            try {
              const context = contextFor(row, signal, trx, (fn) => own.push(inJobScope(row, fn)));
              const handler = opts.handlers[context.name] as JobHandler<JobName>;
              await inWorkspace(row.workspace_id, () => withSavepoint(trx, () => handler(context)));
              done.push(row.id);
              callbacks.push(...own);
              settled.push({ row, status: 'completed', error: undefined });
            } catch (error) {
              const failure = failureValues(row, error ?? jobFailed(), clock.now(), random);
              await trx
                .updateTable('jobs')
                .set(failure.values)
                .where('id', '=', row.id)
                .where('locked_by', '=', workerId)
                .execute();
              settled.push({ row, status: failure.dead ? 'dead' : 'retrying', error });
            }
          };
          for (const group of setsOf(rows, opts.batchHandlers)) {
            if (group.length > 1 && (await runSet(trx, group, opts, signal, callbacks))) {
              for (const row of group) {
                done.push(row.id);
                settled.push({ row, status: 'completed', error: undefined });
              }
              continue;
            }
            // One job, no set handler, or the set failed (its writes undone): job by job, so a job
            // that fails alone is retried alone and never holds back the others.
            for (const row of group) await runAlone(row);
          }
          let deleted = 0;
          for (const chunk of fixedChunks(done)) {
            const result = await trx
              .deleteFrom('jobs')
              .where('id', 'in', chunk)
              .where('locked_by', '=', workerId)
              .executeTakeFirst();
            deleted += Number(result.numDeletedRows);
          }
          // Another worker claimed one of these after our lease expired: its run counts, not ours.
          if (deleted < done.length) throw new LeaseLostError();
        }, BATCH_COMMIT),
      );
    } catch (error) {
      // The batch did not commit: nothing of it happened. Put the jobs back (their attempt counted).
      const now = clock.now();
      await asScheduler(() =>
        db
          .updateTable('jobs')
          .set({
            status: 'queued' satisfies JobStatus,
            run_at: now + 1000,
            locked_until: null,
            locked_by: null,
            last_error: String(error).slice(0, 2000),
            updated_at: now,
          })
          .where(
            'id',
            'in',
            rows.map((r) => r.id),
          )
          .where('locked_by', '=', workerId)
          .execute(),
      ).catch(() => {});
      for (const row of rows) report(opts, row, 'retrying', error);
      return;
    }
    for (const fn of callbacks) fn();
    for (const { row, status, error } of settled) report(opts, row, status, error);
  }

  async function runOneHeld(row: JobsTable, opts: WorkerOptions): Promise<void> {
    const callbacks: (() => void)[] = [];
    let error: unknown;
    const deadline = jobDeadline(opts.signal, timeoutOf(row.name));
    try {
      const context = contextFor(row, deadline.signal, db, (fn) => callbacks.push(inJobScope(row, fn)));
      const handler = opts.handlers[context.name] as JobHandler<JobName>;
      await inWorkspace(row.workspace_id, () => handler(context));
    } catch (caught) {
      error = caught ?? jobFailed();
    } finally {
      deadline.release();
    }
    // A job interrupted by shutdown is released untouched for another worker, not counted as failed.
    if (error !== undefined && opts.signal.aborted) {
      await release([row]);
      return;
    }
    // Settling a long job need not wait for the disk: if a power cut forgets it, the job runs again,
    // which its handler must absorb anyway (a crash before this point has the same effect).
    if (error === undefined) {
      await asScheduler(() =>
        store.unsynced((runner) =>
          runner.deleteFrom('jobs').where('id', '=', row.id).where('locked_by', '=', workerId).execute(),
        ),
      );
      for (const fn of callbacks) fn();
      report(opts, row, 'completed', undefined);
      return;
    }
    const failure = failureValues(row, error, clock.now(), random);
    await asScheduler(() =>
      store.unsynced((runner) =>
        runner
          .updateTable('jobs')
          .set(failure.values)
          .where('id', '=', row.id)
          .where('locked_by', '=', workerId)
          .execute(),
      ),
    );
    report(opts, row, failure.dead ? 'dead' : 'retrying', error);
  }

  /** Puts claimed rows back in the queue as they were, their attempt not counted. */
  async function release(rows: readonly JobsTable[]): Promise<void> {
    await asScheduler(() =>
      store.unsynced(async (runner) => {
        for (const row of rows)
          await runner
            .updateTable('jobs')
            .set({
              status: 'queued' satisfies JobStatus,
              locked_until: null,
              locked_by: null,
              attempts: Math.max(0, row.attempts - 1),
            })
            .where('id', '=', row.id)
            .where('locked_by', '=', workerId)
            .execute();
      }),
    );
  }

  return {
    release,

    async runBatch(rows, opts) {
      // One deadline for the batch (its jobs take milliseconds), released when it ends.
      const deadline = jobDeadline(opts.signal, Math.max(...rows.map((r) => timeoutOf(r.name))));
      try {
        await runBatchWithin(rows, opts, deadline.signal);
      } finally {
        deadline.release();
      }
    },

    async runOne(row, opts) {
      held.add(row.id);
      try {
        await runOneHeld(row, opts);
      } finally {
        held.delete(row.id);
      }
    },

    startHeartbeat() {
      const timer = setInterval(
        () => {
          if (held.size === 0) return;
          const now = clock.now();
          void asScheduler(() =>
            db
              .updateTable('jobs')
              .set({ locked_until: now + visibilityMs, updated_at: now })
              .where('id', 'in', [...held])
              .where('locked_by', '=', workerId)
              .where('status', '=', 'active' satisfies JobStatus)
              .execute(),
          ).catch(() => {});
        },
        Math.max(100, visibilityMs / 3),
      );
      return () => clearInterval(timer);
    },
  };
}
