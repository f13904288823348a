import type { Clock, IdGenerator } from '../../core/index.ts';

import type { Db, DialectName, JobsTable, Store } from '../../store/index.ts';
import { fromJson, toJson } from '../../store/index.ts';
import { backoffDelayMs, type JobName, jobCatalog } from '../catalog.ts';
import type { DeadJob, EnqueueRequest, JobContext, JobHandler, Queue, WorkerOptions } from '../port.ts';

export interface EmbeddedQueueOptions {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  /** How long a claimed job stays invisible to other workers; renewed never, so keep above timeouts. */
  visibilityTimeoutMs?: number;
  /** Poll interval when idle. */
  idlePollMs?: number;
  random?: () => number;
  workerId?: string;
}

/**
 * Durable queue in the application database: a job is a row, claimed with a lease
 * (`locked_until`). A worker that dies leaves its lease to expire, and the job is claimed again.
 */
export function createEmbeddedQueue(options: EmbeddedQueueOptions): Queue {
  const { store, clock, ids } = options;
  const db = store.db;
  const dialect: DialectName = store.dialect;
  const visibilityMs = options.visibilityTimeoutMs ?? 60_000;
  const idlePollMs = options.idlePollMs ?? 250;
  const random = options.random ?? Math.random;
  const workerId = options.workerId ?? `${process.pid}`;
  const wakers = new Set<() => void>();

  async function claim(limit: number): Promise<JobsTable[]> {
    const now = clock.now();
    const due = db
      .selectFrom('jobs')
      .select('id')
      .where((eb) =>
        eb.or([
          eb.and([eb('status', '=', 'queued'), eb('run_at', '<=', now)]),
          eb.and([eb('status', '=', 'active'), eb('locked_until', '<', now)]),
        ]),
      )
      .orderBy('run_at')
      .limit(limit)
      .$if(dialect === 'postgres', (q) => q.forUpdate().skipLocked());
    return db
      .updateTable('jobs')
      .set((eb) => ({
        status: 'active',
        attempts: eb('attempts', '+', 1),
        locked_until: now + visibilityMs,
        locked_by: workerId,
        updated_at: now,
      }))
      .where('id', 'in', due)
      .returningAll()
      .execute();
  }

  async function settle(row: JobsTable, error: unknown): Promise<'completed' | 'retrying' | 'dead'> {
    if (error === undefined) {
      await db.deleteFrom('jobs').where('id', '=', row.id).where('locked_by', '=', workerId).execute();
      return 'completed';
    }
    const message = error instanceof Error ? error.message : String(error);
    const retryable = !(
      error &&
      typeof error === 'object' &&
      'retryable' in error &&
      error.retryable === false
    );
    const dead = !retryable || row.attempts >= row.max_attempts;
    const now = clock.now();
    await db
      .updateTable('jobs')
      .set({
        status: dead ? 'dead' : 'queued',
        run_at: dead ? row.run_at : now + backoffDelayMs(row.name as JobName, row.attempts, random),
        locked_until: null,
        locked_by: null,
        last_error: message.slice(0, 2000),
        updated_at: now,
      })
      .where('id', '=', row.id)
      .execute();
    return dead ? 'dead' : 'retrying';
  }

  async function runOne(row: JobsTable, opts: WorkerOptions): Promise<void> {
    const name = row.name as JobName;
    const definition = jobCatalog[name];
    const timeout = AbortSignal.timeout(definition?.timeoutMs ?? 30_000);
    const signal = AbortSignal.any([timeout, opts.signal]);
    let error: unknown;
    try {
      if (!definition) throw Object.assign(new Error(`unknown job ${row.name}`), { retryable: false });
      const payload = definition.payload.parse(fromJson(row.payload, {}));
      const context: JobContext = {
        id: row.id,
        name,
        workspaceId: row.workspace_id,
        payload,
        attempt: row.attempts,
        signal,
      };
      const handler = opts.handlers[name] as JobHandler<JobName>;
      await handler(context);
    } catch (caught) {
      error = caught ?? new Error('job failed');
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
    const status = await settle(row, error);
    opts.onSettled?.({
      name,
      workspaceId: row.workspace_id,
      status,
      latencyMs: Math.max(0, clock.now() - row.run_at),
      ...(error === undefined ? {} : { error: error instanceof Error ? error.message : String(error) }),
    });
  }

  return {
    async enqueue(trx: Db, jobs: EnqueueRequest[]) {
      if (jobs.length === 0) return;
      const now = clock.now();
      await trx
        .insertInto('jobs')
        .values(
          jobs.map((job) => ({
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
    },

    async work(opts) {
      const inFlight = new Set<Promise<void>>();
      let wake: () => void = () => {};
      const waker = () => wake();
      wakers.add(waker);
      try {
        while (!opts.signal.aborted) {
          const free = opts.concurrency - inFlight.size;
          const rows = free > 0 ? await claim(free) : [];
          for (const row of rows) {
            const running: Promise<void> = runOne(row, opts).finally(() => {
              inFlight.delete(running);
              wake();
            });
            inFlight.add(running);
          }
          if (rows.length > 0 && rows.length === free) continue;
          // Idle or full: wait for a wake-up (new work, a finished job) or the poll interval.
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
