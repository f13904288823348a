import type { Clock, IdGenerator } from '../../core/index.ts';
import type { Db, DialectName, JobsTable, Store } from '../../store/index.ts';
import { fixedChunks, fromJson, toJson, withSavepoint } from '../../store/index.ts';
import { backoffDelayMs, JOB_NAMES, type JobName, jobCatalog, type UnitOfWork } from '../catalog.ts';
import type {
  DeadJob,
  EnqueueRequest,
  JobContext,
  JobHandler,
  JobOutcome,
  Queue,
  WorkerOptions,
} from '../port.ts';

export interface EmbeddedQueueOptions {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  /**
   * How long a claimed job stays invisible to other workers. The worker renews the lease of jobs it
   * still runs every third of this, so it bounds how soon a dead worker's jobs run again, not how
   * long a job may take.
   */
  visibilityTimeoutMs?: number;
  /** Poll interval when idle. */
  idlePollMs?: number;
  random?: () => number;
  workerId?: string;
  /** Most `batch` jobs committed in one transaction. */
  batchSize?: number;
  /**
   * Target duration of one batch transaction. On SQLite a batch runs on the event loop, so this
   * bounds how long HTTP requests can wait behind it; the batch size adapts to meet it.
   */
  batchBudgetMs?: number;
}

/**
 * Durable queue in the application database: a job is a row, claimed with a lease
 * (`locked_until`). A worker that dies leaves its lease to expire, and the job is claimed again.
 */
/**
 * A job's abort signal: aborted at its timeout or when the worker stops. Released explicitly when
 * the job ends, so no timer or listener outlives it; `AbortSignal.timeout` plus `AbortSignal.any`
 * per job kept tens of thousands of timers and signals alive under load.
 */
function jobDeadline(stop: AbortSignal, timeoutMs: number): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const onStop = () => controller.abort(stop.reason);
  const timer = setTimeout(
    () => controller.abort(new Error(`job timed out after ${timeoutMs} ms`)),
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

export function createEmbeddedQueue(options: EmbeddedQueueOptions): Queue {
  const { store, clock, ids } = options;
  const db = store.db;
  const dialect: DialectName = store.dialect;
  const visibilityMs = options.visibilityTimeoutMs ?? 15_000;
  /** Jobs this worker holds a lease on, renewed by the heartbeat in `work`. */
  const held = new Set<string>();
  const idlePollMs = options.idlePollMs ?? 250;
  const random = options.random ?? Math.random;
  const workerId = options.workerId ?? `${process.pid}`;
  const batchSize = options.batchSize ?? 64;
  const batchBudgetMs = options.batchBudgetMs ?? 2;
  /** Moving average of milliseconds per batch job, to size the next batch to the budget. */
  let msPerJob = 1;
  const wakers = new Set<() => void>();

  /**
   * Claims due jobs: marks them active with a lease and counts the attempt. Only queued jobs are
   * considered, so the (status, run_at) index serves the query; expired leases are returned to the
   * queue separately by `recoverStalled`.
   */
  async function claim(names: JobName[], limit: number): Promise<JobsTable[]> {
    if (names.length === 0 || limit <= 0) return [];
    const now = clock.now();
    const due = db
      .selectFrom('jobs')
      .select('id')
      .where('status', '=', 'queued')
      .where('run_at', '<=', now)
      .where('name', 'in', names)
      .orderBy('run_at')
      .limit(limit)
      .$if(dialect === 'postgres', (q) => q.forUpdate().skipLocked());
    return (
      db
        .updateTable('jobs')
        .set((eb) => ({
          status: 'active',
          attempts: eb('attempts', '+', 1),
          locked_until: now + visibilityMs,
          locked_by: workerId,
          updated_at: now,
        }))
        // Only the primary key here: a status condition makes SQLite scan the status index instead.
        .where('id', 'in', due)
        .returningAll()
        .execute()
    );
  }

  /** Jobs whose worker died (lease expired) go back to the queue; their attempt stays counted. */
  async function recoverStalled(): Promise<number> {
    const now = clock.now();
    const result = await db
      .updateTable('jobs')
      .set({ status: 'queued', locked_until: null, locked_by: null, run_at: now, updated_at: now })
      .where('status', '=', 'active')
      .where('locked_until', '<', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  const unitOf = (name: JobName): UnitOfWork => jobCatalog[name].unitOfWork;
  const batchNames = JOB_NAMES.filter((name) => unitOf(name) === 'batch');
  const ownNames = JOB_NAMES.filter((name) => unitOf(name) === 'none');

  /** Failure bookkeeping: back to the queue with backoff, or dead after the last attempt. */
  function failureUpdate(row: JobsTable, error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    const retryable = !(
      error &&
      typeof error === 'object' &&
      'retryable' in error &&
      error.retryable === false
    );
    const dead = !retryable || row.attempts >= row.max_attempts;
    const now = clock.now();
    return {
      dead,
      message,
      values: {
        status: dead ? 'dead' : 'queued',
        run_at: dead ? row.run_at : now + backoffDelayMs(row.name as JobName, row.attempts, random),
        locked_until: null,
        locked_by: null,
        last_error: message.slice(0, 2000),
        updated_at: now,
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
    if (!definition) throw Object.assign(new Error(`unknown job ${row.name}`), { retryable: false });
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

  function report(opts: WorkerOptions, row: JobsTable, status: JobOutcome['status'], error: unknown) {
    opts.onSettled?.({
      name: row.name as JobName,
      workspaceId: row.workspace_id,
      status,
      latencyMs: Math.max(0, clock.now() - row.run_at),
      ...(error === undefined ? {} : { error: error instanceof Error ? error.message : String(error) }),
    });
  }

  /**
   * Runs claimed `batch` jobs in one transaction: each inside its own savepoint, then the completed
   * ones deleted and the failed ones rescheduled, all committed together.
   */
  async function runBatch(rows: JobsTable[], opts: WorkerOptions): Promise<void> {
    // One deadline for the batch (its jobs take milliseconds), released when it ends.
    const timeoutMs = Math.max(...rows.map((r) => jobCatalog[r.name as JobName]?.timeoutMs ?? 30_000));
    const deadline = jobDeadline(opts.signal, timeoutMs);
    try {
      await runBatchWithin(rows, opts, deadline);
    } finally {
      deadline.release();
    }
  }

  async function runBatchWithin(
    rows: JobsTable[],
    opts: WorkerOptions,
    deadline: { signal: AbortSignal },
  ): Promise<void> {
    const callbacks: (() => void)[] = [];
    const settled: { row: JobsTable; status: JobOutcome['status']; error: unknown }[] = [];
    try {
      await store.transaction(async (trx) => {
        const done: string[] = [];
        for (const row of rows) {
          const own: (() => void)[] = [];
          try {
            const context = contextFor(row, deadline.signal, trx, (fn) => own.push(fn));
            const handler = opts.handlers[context.name] as JobHandler<JobName>;
            await withSavepoint(trx, () => handler(context));
            done.push(row.id);
            callbacks.push(...own);
            settled.push({ row, status: 'completed', error: undefined });
          } catch (error) {
            const failure = failureUpdate(row, error ?? new Error('job failed'));
            await trx.updateTable('jobs').set(failure.values).where('id', '=', row.id).execute();
            settled.push({ row, status: failure.dead ? 'dead' : 'retrying', error });
          }
        }
        for (const chunk of fixedChunks(done))
          await trx.deleteFrom('jobs').where('id', 'in', chunk).execute();
      });
    } catch (error) {
      // The batch did not commit: nothing of it happened. Put the jobs back (their attempt counted).
      const now = clock.now();
      await db
        .updateTable('jobs')
        .set({
          status: 'queued',
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
        .execute()
        .catch(() => {});
      for (const row of rows) report(opts, row, 'retrying', error);
      return;
    }
    for (const fn of callbacks) fn();
    for (const { row, status, error } of settled) report(opts, row, status, error);
  }

  /** Runs one `none` job outside any transaction of ours, then acknowledges it. */
  async function runOne(row: JobsTable, opts: WorkerOptions): Promise<void> {
    held.add(row.id);
    try {
      await runOneHeld(row, opts);
    } finally {
      held.delete(row.id);
    }
  }

  async function runOneHeld(row: JobsTable, opts: WorkerOptions): Promise<void> {
    const callbacks: (() => void)[] = [];
    let error: unknown;
    const deadline = jobDeadline(opts.signal, jobCatalog[row.name as JobName]?.timeoutMs ?? 30_000);
    try {
      const context = contextFor(row, deadline.signal, db, (fn) => callbacks.push(fn));
      await (opts.handlers[context.name] as JobHandler<JobName>)(context);
    } catch (caught) {
      error = caught ?? new Error('job failed');
    } finally {
      deadline.release();
    }
    // A job interrupted by shutdown is released untouched for another worker, not counted as failed.
    if (error !== undefined && opts.signal.aborted) {
      await db
        .updateTable('jobs')
        .set({
          status: 'queued',
          locked_until: null,
          locked_by: null,
          attempts: Math.max(0, row.attempts - 1),
        })
        .where('id', '=', row.id)
        .execute();
      return;
    }
    if (error === undefined) {
      await db.deleteFrom('jobs').where('id', '=', row.id).where('locked_by', '=', workerId).execute();
      for (const fn of callbacks) fn();
      report(opts, row, 'completed', undefined);
      return;
    }
    const failure = failureUpdate(row, error);
    await db.updateTable('jobs').set(failure.values).where('id', '=', row.id).execute();
    report(opts, row, failure.dead ? 'dead' : 'retrying', error);
  }

  return {
    async enqueue(trx: Db, jobs: EnqueueRequest[]) {
      if (jobs.length === 0) return;
      const now = clock.now();
      for (const chunk of fixedChunks(jobs)) {
        await trx
          .insertInto('jobs')
          .values(
            chunk.map((job) => ({
              id: ids.next('job'),
              workspace_id: job.workspaceId,
              name: job.name,
              payload: toJson(job.payload),
              status: 'queued',
              attempts: 0,
              max_attempts: jobCatalog[job.name].maxAttempts,
              run_at: job.runAt ?? now,
              locked_until: null,
              locked_by: null,
              last_error: null,
              created_at: now,
              updated_at: now,
            })),
          )
          .execute();
      }
    },

    async work(opts) {
      const inFlight = new Set<Promise<void>>();
      let wake: () => void = () => {};
      const waker = () => wake();
      wakers.add(waker);
      let nextRecovery = 0;
      const heartbeat = setInterval(
        () => {
          if (held.size === 0) return;
          const now = clock.now();
          void db
            .updateTable('jobs')
            .set({ locked_until: now + visibilityMs, updated_at: now })
            .where('id', 'in', [...held])
            .where('locked_by', '=', workerId)
            .where('status', '=', 'active')
            .execute()
            .catch(() => {});
        },
        Math.max(100, visibilityMs / 3),
      );
      try {
        while (!opts.signal.aborted) {
          if (clock.now() >= nextRecovery) {
            await recoverStalled();
            nextRecovery = clock.now() + Math.max(1000, Math.min(visibilityMs / 4, 15_000));
          }
          // Long jobs (model calls) also make way for requests: one at a time while requests arrive.
          const ownLimit = opts.busy?.() ? Math.min(1, opts.concurrency) : opts.concurrency;
          const own = await claim(ownNames, ownLimit - inFlight.size);
          for (const row of own) {
            const running: Promise<void> = runOne(row, opts).finally(() => {
              inFlight.delete(running);
              wake();
            });
            inFlight.add(running);
          }
          // Under request load, size batches to the time budget; otherwise take as many as allowed.
          const wanted = opts.busy?.()
            ? Math.max(1, Math.min(batchSize, Math.floor(batchBudgetMs / msPerJob)))
            : batchSize;
          const batch = await claim(batchNames, wanted);
          if (batch.length > 0) {
            const started = performance.now();
            await runBatch(batch, opts);
            const elapsed = performance.now() - started;
            msPerJob = 0.8 * msPerJob + (0.2 * elapsed) / batch.length;
            if (batch.length === wanted) {
              // More work is waiting. While requests are arriving, give them at least as much of the
              // event loop as the batch took (ingestion first; the backlog drains when it is quiet).
              if (opts.busy?.())
                await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.round(3 * elapsed))));
              else await new Promise((resolve) => setImmediate(resolve));
              continue;
            }
          }
          // Idle: wait for a wake-up (new work, a finished job) or the poll interval.
          await new Promise<void>((resolve) => {
            const timer = setTimeout(done, idlePollMs);
            function done() {
              clearTimeout(timer);
              opts.signal.removeEventListener('abort', done);
              wake = () => {};
              resolve();
            }
            wake = done;
            opts.signal.addEventListener('abort', done, { once: true });
          });
        }
      } finally {
        wakers.delete(waker);
        await Promise.allSettled([...inFlight]);
        clearInterval(heartbeat);
      }
    },

    notify() {
      for (const waker of wakers) waker();
    },

    async depth() {
      const rows = await db
        .selectFrom('jobs')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('status')
        .execute();
      const count = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
      return { queued: count('queued'), active: count('active'), dead: count('dead') };
    },

    async listDead({ workspaceId, limit = 100 }) {
      const rows = await db
        .selectFrom('jobs')
        .selectAll()
        .where('status', '=', 'dead')
        .$if(workspaceId !== undefined, (q) => q.where('workspace_id', '=', workspaceId as string))
        .orderBy('updated_at', 'desc')
        .limit(limit)
        .execute();
      return rows.map(
        (row): DeadJob => ({
          id: row.id,
          name: row.name,
          workspaceId: row.workspace_id,
          payload: fromJson(row.payload, {}),
          attempts: row.attempts,
          lastError: row.last_error,
          updatedAt: row.updated_at,
        }),
      );
    },

    async replay({ workspaceId, jobIds }) {
      const now = clock.now();
      const result = await db
        .updateTable('jobs')
        .set({
          status: 'queued',
          attempts: 0,
          run_at: now,
          updated_at: now,
          locked_until: null,
          locked_by: null,
        })
        .where('status', '=', 'dead')
        .$if(workspaceId !== undefined, (q) => q.where('workspace_id', '=', workspaceId as string))
        .$if(jobIds !== undefined, (q) => q.where('id', 'in', jobIds && jobIds.length > 0 ? jobIds : ['']))
        .executeTakeFirst();
      const replayed = Number(result.numUpdatedRows);
      if (replayed > 0) for (const waker of wakers) waker();
      return replayed;
    },
  };
}
