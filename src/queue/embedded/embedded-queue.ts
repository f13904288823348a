import { asScheduler, type Clock, type IdGenerator } from '../../core/index.ts';
import { type DialectName, dbOf, type JobsTable, type Store } from '../../store/index.ts';
import { createAlarm } from '../alarm.ts';
import { type JobName, jobNamesOf } from '../catalog.ts';
import { claimValues, fairDueIds, inPick, insertJobs, type JobStatus, recoverExpired } from '../job-rows.ts';
import { createJobRunner, unitOf } from '../job-runner.ts';
import type { EnqueueRequest, Queue } from '../port.ts';
import { createTableMethods } from '../table-methods.ts';
import { createLoopShare } from './loop-share.ts';
import { createSetSizer } from './set-sizer.ts';

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
  /**
   * Most `batch` jobs claimed at once and committed in one transaction when no request waits
   * (default 256: measured with bench:drain, 64 → 256 cut CPU per lead by a fifth, as the claim,
   * the commit and the set's per-workspace statements are shared by more leads; 512 gained no more).
   */
  batchSize?: number;
  /**
   * Target duration of one batch transaction. On SQLite a batch runs on the event loop, so this
   * bounds how long HTTP requests can wait behind it; the batch size adapts to meet it.
   */
  batchBudgetMs?: number;
  /**
   * While requests arrive and the batch jobs are behind (a full claim), a long job (model calls)
   * starts at most this often: ingestion first, then the pipeline, then the long jobs, which catch
   * up when it is quiet and still progress under sustained overload. When the pipeline keeps up,
   * one long job runs at a time beside requests. Measured at 3,000 webhooks/s: p99 18–19 ms with no
   * long job during the load, 19–30 ms with one always running.
   */
  ownWhileBehindEveryMs?: number;
  /** How many of the oldest due jobs a claim shares out round-robin across workspaces. */
  fairnessWindow?: number;
  /**
   * The worker runs on a thread of its own (the embedded server's worker thread), not on the event
   * loop that answers requests: between batch transactions it need not leave the loop to requests,
   * only the write lock, which `WriteTurns` hands over (store/write-turns.ts).
   */
  ownThread?: boolean;
}

/** Most jobs of several workspaces committed together when no request waits. */
const SHARED_PART = 64;

/**
 * A claim's rows, the workspaces with fewest jobs first, cut into the transactions they commit in:
 * a workspace with many jobs commits them in one transaction (the claim, the commit and the set's
 * per-workspace statements are shared by all its leads), and workspaces with a few jobs each
 * commit together in parts of up to SHARED_PART, ahead of it, so a small workspace's leads are not
 * held until a large one's set commits. `partEnds` are the indexes where parts end.
 */
function byWorkspace(rows: JobsTable[]): { rows: JobsTable[]; partEnds: number[] } {
  const groups = new Map<string, JobsTable[]>();
  for (const row of rows) {
    const group = groups.get(row.workspace_id);
    if (group) group.push(row);
    else groups.set(row.workspace_id, [row]);
  }
  if (groups.size <= 1) return { rows, partEnds: [rows.length] };
  const ordered = [...groups.values()].sort((a, b) => a.length - b.length);
  const partEnds: number[] = [];
  let end = 0;
  let inPart = 0;
  for (const group of ordered) {
    if (inPart > 0 && inPart + group.length > SHARED_PART) {
      partEnds.push(end);
      inPart = 0;
    }
    end += group.length;
    inPart += group.length;
  }
  partEnds.push(end);
  return { rows: ordered.flat(), partEnds };
}

/**
 * Durable queue in the application database: a job is a row, claimed with a lease
 * (`locked_until`). A worker that dies leaves its lease to expire, and the job is claimed again.
 */
export function createEmbeddedQueue(options: EmbeddedQueueOptions): Queue {
  const { store, clock, ids } = options;
  const db = store.db;
  const dialect: DialectName = store.dialect;
  const visibilityMs = options.visibilityTimeoutMs ?? 15_000;
  const idlePollMs = options.idlePollMs ?? 250;
  const random = options.random ?? Math.random;
  const workerId = options.workerId ?? `${process.pid}`;
  const batchSize = options.batchSize ?? 256;
  const batchBudgetMs = options.batchBudgetMs ?? 2;
  const ownWhileBehindEveryMs = options.ownWhileBehindEveryMs ?? 2000;
  const runner = createJobRunner({ store, clock, random, workerId, visibilityMs });
  // Sets while requests arrive: the fixed part of a set's time apart from the part per job
  // (set-sizer.ts); on the worker thread at least 16, where a set holds only the write lock.
  const sizer = createSetSizer({
    budgetMs: batchBudgetMs,
    minSize: options.ownThread ? Math.min(16, batchSize) : 1,
    maxSize: Math.min(SHARED_PART, batchSize),
  });
  const { alarms, methods } = createTableMethods(db, clock);
  const share = createLoopShare();

  /**
   * Claims due jobs, round-robin across workspaces: marks them active with a lease and counts the
   * attempt. Only queued jobs are considered, so the (status, run_at) index serves the query;
   * expired leases are returned to the queue separately by `recoverExpired`.
   */
  async function claim(names: JobName[], limit: number): Promise<JobsTable[]> {
    if (names.length === 0 || limit <= 0) return [];
    const now = clock.now();
    const fair = fairDueIds(db, { now, limit, names, window: options.fairnessWindow });
    // PostgreSQL cannot lock rows in a query with window functions, so it locks them one level up
    // (re-checking the status, which another worker may have changed since the snapshot).
    const due =
      dialect === 'postgres'
        ? db
            .selectFrom('jobs')
            .select('id')
            .where(inPick(fair))
            .where('status', '=', 'queued' satisfies JobStatus)
            .forUpdate()
            .skipLocked()
        : fair;
    // A claim need not wait for the disk: losing it in a power cut only releases the jobs early,
    // and their effects commit later, synced, which makes the claim durable first (see `unsynced`).
    return asScheduler(() =>
      store.unsynced((runner) =>
        runner
          .updateTable('jobs')
          .set(claimValues(now, visibilityMs, workerId))
          // Only the primary key here: a status condition makes SQLite scan the status index instead.
          .where('id', 'in', due)
          .returningAll()
          .execute(),
      ),
    );
  }

  return {
    enqueue: (unit, jobs: EnqueueRequest[]) => insertJobs(dbOf(unit), jobs, { clock, ids }),

    async work(opts) {
      // Only the pools this worker runs (all of them in the embedded server).
      const names = jobNamesOf(opts.pools);
      const batchNames = names.filter((name) => unitOf(name) === 'batch');
      const ownNames = names.filter((name) => unitOf(name) === 'none');
      const inFlight = new Set<Promise<void>>();
      const alarm = createAlarm();
      alarms.add(alarm);
      let nextRecovery = 0;
      let lastOwnStart = Number.NEGATIVE_INFINITY;
      /** The last batch claim was full: the batch jobs have a backlog. */
      let behind = false;
      const stopHeartbeat = runner.startHeartbeat();
      try {
        while (!opts.signal.aborted) {
          if (clock.now() >= nextRecovery) {
            await recoverExpired(db, clock.now(), ['active']);
            nextRecovery = clock.now() + Math.max(1000, Math.min(visibilityMs / 4, 15_000));
          }
          // Long jobs (model calls) make way for requests: one at a time while requests arrive, and
          // one per interval while the batch jobs are behind as well.
          const arriving = opts.busy?.() ?? false;
          const ownLimit = !arriving
            ? opts.concurrency
            : !behind || clock.now() - lastOwnStart >= ownWhileBehindEveryMs
              ? Math.min(1, opts.concurrency)
              : 0;
          const own = await claim(ownNames, ownLimit - inFlight.size);
          if (own.length > 0) lastOwnStart = clock.now();
          for (const row of own) {
            const running: Promise<void> = runner.runOne(row, opts).finally(() => {
              inFlight.delete(running);
              alarm.wake();
            });
            inFlight.add(running);
          }
          // One claim takes up to `batchSize` jobs. While requests arrive they run in transactions
          // sized to the time budget, and after each, requests get at least as much of the event
          // loop as it took (ingestion first; the backlog drains when it is quiet).
          await opts.beforeEachSet?.();
          const claimed = await claim(batchNames, batchSize);
          behind = claimed.length === batchSize;
          const { rows: batch, partEnds } = byWorkspace(claimed);
          let next = 0;
          while (next < batch.length) {
            if (opts.signal.aborted) {
              await runner.release(batch.slice(next));
              break;
            }
            await opts.beforeEachSet?.();
            const busy = opts.busy?.() ?? false;
            const size = busy ? sizer.size() : (partEnds.find((end) => end > next) ?? batch.length) - next;
            const part = batch.slice(next, next + size);
            next += part.length;
            const started = performance.now();
            const waitedBefore = store.lockWaitMs?.() ?? 0;
            await runner.runBatch(part, opts);
            // The time the set held the lock, not the time it waited for it (another thread's
            // commits): counting the wait made sets shrink to one lead just when turns were scarce.
            const waited = (store.lockWaitMs?.() ?? 0) - waitedBefore;
            const elapsed = Math.max(0, performance.now() - started - waited);
            sizer.observe(part.length, elapsed);
            if (busy && !options.ownThread) {
              share.observe(behind);
              await new Promise((resolve) =>
                setTimeout(resolve, Math.max(1, Math.round(share.pause(elapsed)))),
              );
            } else await new Promise((resolve) => setImmediate(resolve));
          }
          if (batch.length === batchSize) continue;
          // Idle: wait for a wake-up (new work, a finished job) or the poll interval.
          await alarm.sleep(idlePollMs, opts.signal);
        }
      } finally {
        alarms.delete(alarm);
        await Promise.allSettled([...inFlight]);
        stopHeartbeat();
      }
    },

    ...methods,
  };
}
