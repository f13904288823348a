import { type Job, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { asScheduler, type Clock } from '../../core/index.ts';
import type { JobsTable, Store } from '../../store/index.ts';
import { claimValues, type JobStatus } from '../job-rows.ts';
import type { RelayedJob } from './relay.ts';

/**
 * Takes a delivered job's row: only a job handed to Redis (`sent`) or one whose previous worker's
 * lease ran out. Anything else (done, running elsewhere, re-queued) makes the delivery a no-op.
 * Committed before the job runs, so the attempt counts even if the process dies in it.
 */
export function createClaim(options: { store: Store; clock: Clock; workerId: string; visibilityMs: number }) {
  const { store, clock, workerId, visibilityMs } = options;
  const db = store.db;

  async function tryClaim(ids: string[]): Promise<JobsTable[]> {
    const now = clock.now();
    return asScheduler(() =>
      db
        .updateTable('jobs')
        .set(claimValues(now, visibilityMs, workerId))
        .where('id', 'in', ids)
        .where((eb) =>
          eb.or([
            eb('status', '=', 'sent' satisfies JobStatus),
            eb.and([eb('status', '=', 'active' satisfies JobStatus), eb('locked_until', '<', now)]),
          ]),
        )
        .returningAll()
        .execute(),
    );
  }

  /** Claims delivered jobs in one statement; returns the rows taken (missing ones: no-op deliveries). */
  async function claimMany(ids: string[]): Promise<JobsTable[]> {
    const taken = await tryClaim(ids);
    if (taken.length === ids.length || store.dialect !== 'postgres') return taken;
    // Redis can deliver before the relay's transaction commits the hand-over, and an update does not
    // wait for a row whose committed version does not match. Waiting for the relay's row lock and
    // trying again settles it: `sent` if the relay committed, still `queued` if it rolled back.
    const got = new Set(taken.map((r) => r.id));
    for (const id of ids) {
      if (got.has(id)) continue;
      await asScheduler(() => db.selectFrom('jobs').select('id').where('id', '=', id).forUpdate().execute());
      taken.push(...(await tryClaim([id])));
    }
    return taken;
  }

  return {
    claimMany,
    async claim(id: string): Promise<JobsTable | undefined> {
      return (await claimMany([id]))[0];
    },
  };
}

export interface ConsumerOptions {
  queueName: string;
  redisUrl: string;
  prefix: string;
  concurrency: number;
  visibilityMs: number;
  /** Runs one delivery; must not throw for a job's own failure. */
  deliver(job: Job<RelayedJob>): Promise<void>;
  onError(error: unknown): void;
  /** How long a stop waits for BullMQ to say goodbye to a reachable Redis. */
  closeTimeoutMs?: number;
}

const settlesWithin = (promise: Promise<unknown>, ms: number): Promise<boolean> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.finally(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });

/** A BullMQ worker on its own connection; `stop` waits for running deliveries, then disconnects. */
export function startConsumer(options: ConsumerOptions): { stop(): Promise<void> } {
  const { onError } = options;
  // Blocking worker connections must retry forever rather than fail a command (BullMQ needs this).
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null, connectionName: options.prefix });
  redis.on('error', onError);
  // BullMQ reads through its own copy of the connection; keep hold of the copies, so a stop while
  // Redis is away can end them instead of leaving them reconnecting for ever.
  const copies: Redis[] = [];
  const duplicate = redis.duplicate.bind(redis);
  redis.duplicate = (override) => {
    const copy = duplicate(override);
    copies.push(copy);
    return copy;
  };
  const disconnectAll = () => {
    for (const connection of [redis, ...copies]) connection.disconnect();
  };
  const running = new Set<Promise<void>>();
  const worker = new Worker<RelayedJob, void, string>(
    options.queueName,
    (job) => {
      const delivery = options.deliver(job);
      running.add(delivery);
      return delivery.finally(() => running.delete(delivery));
    },
    {
      connection: redis,
      prefix: options.prefix,
      concurrency: options.concurrency,
      // BullMQ's lock only decides when a dead worker's delivery is re-delivered; the row's lease
      // decides whether it may run, so both expire on the same schedule.
      lockDuration: options.visibilityMs,
      stalledInterval: options.visibilityMs,
    },
  );
  worker.on('error', onError);
  return {
    async stop() {
      // While Redis is away, BullMQ's graceful close would wait for it for ever; a forced close does
      // not wait for running deliveries, so those are awaited here (they need only the database).
      const redisAway = redis.status !== 'ready';
      const closing = worker.close(redisAway).catch(onError);
      await Promise.allSettled([...running]);
      if (!(await settlesWithin(closing, redisAway ? 1_000 : (options.closeTimeoutMs ?? 5_000)))) {
        disconnectAll();
        await settlesWithin(closing, 1_000);
      }
      disconnectAll();
    },
  };
}
