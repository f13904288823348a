import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Queue as BullQueue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Clock, IdGenerator } from '../../core/index.ts';
import { dbOf, type Store } from '../../store/index.ts';
import { type Alarm, createAlarm } from '../alarm.ts';
import { insertJobs, recoverExpired } from '../job-rows.ts';
import { createJobRunner, unitOf } from '../job-runner.ts';
import type { Queue, WorkerOptions } from '../port.ts';
import { createTableMethods } from '../table-methods.ts';
import { createClaim, startConsumer } from './consumer.ts';
import { createWorkspaceBatchers } from './delivery-batcher.ts';
import { createRelay, type RelayedJob } from './relay.ts';

/** The one BullMQ queue every job goes through (under the configured key prefix). */
export const BULLMQ_QUEUE_NAME = 'jobs';

export interface BullmqQueueOptions {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  /** `redis://` or `rediss://` URL of the Redis that dispatches jobs. */
  redisUrl: string;
  /** Prefix of BullMQ's Redis keys; default `leadloop`. Deployments sharing a Redis need distinct ones. */
  prefix?: string;
  /**
   * Most jobs waiting in Redis, per unit of worker concurrency (default 4). Redis is a short
   * dispatch buffer: the relay, not a long FIFO in Redis, decides which workspace goes next.
   */
  bufferPerWorker?: number;
  random?: () => number;
  /** How often the relay looks for due jobs when nothing woke it. */
  idlePollMs?: number;
  /**
   * How long a claimed job stays leased in the database; the worker renews leases of jobs it still
   * runs, so this bounds how soon a dead worker's jobs run again, not how long a job may take.
   */
  visibilityTimeoutMs?: number;
  /** How long a job handed to Redis may wait for a worker before the relay hands it over again. */
  resendAfterMs?: number;
  /** How many of the oldest due jobs the relay shares out round-robin across workspaces. */
  fairnessWindow?: number;
  /** Redis calls made while the relay holds a database transaction give up after this long. */
  redisTimeoutMs?: number;
  workerId?: string;
  /** Most `batch` deliveries committed in one transaction (default 64). */
  batchSize?: number;
  /** Redis and relay errors (connection loss, timeouts); the queue carries on and retries. */
  onError?: (error: unknown) => void;
}

/** The BullMQ adapter of the queue port, plus `close()` for its Redis connections. */
export interface BullmqQueue extends Queue {
  /** Closes the Redis connections; call after every `work()` has returned. */
  close(): Promise<void>;
}

/**
 * Passes each distinct error on at most once per 10 s: while Redis is away, every connection
 * reports every reconnection attempt.
 */
function throttled(report: (error: unknown) => void, clock: Clock): (error: unknown) => void {
  const last = new Map<string, number>();
  return (error) => {
    const key = error instanceof Error ? error.message : String(error);
    const now = clock.now();
    if (now - (last.get(key) ?? Number.NEGATIVE_INFINITY) < 10_000) return;
    if (last.size > 100) last.clear();
    last.set(key, now);
    report(error);
  };
}

/**
 * Queue port on BullMQ with a transactional outbox: the `jobs` table stays the source of truth
 * (enqueue, retries, dead letters), Redis only dispatches. A relay moves due rows to BullMQ, fairly
 * across workspaces; a worker claims the row in the database before running it, so a job delivered
 * twice, or delivered after it was done, has no second effect.
 *
 * @example
 * ```ts
 * const queue = createBullmqQueue({ store, clock, ids, redisUrl: 'redis://127.0.0.1:6379' });
 * await store.transaction((trx) => queue.enqueue(trx, [{ name: 'lead.process', workspaceId, payload }]));
 * queue.notify();
 * await queue.work({ handlers, concurrency: 16, signal }); // in worker processes
 * await queue.close();
 * ```
 */
export function createBullmqQueue(options: BullmqQueueOptions): BullmqQueue {
  const { store, clock, ids, redisUrl } = options;
  const db = store.db;
  const prefix = options.prefix ?? 'leadloop';
  const visibilityMs = options.visibilityTimeoutMs ?? 15_000;
  const resendAfterMs = options.resendAfterMs ?? 60_000;
  const idlePollMs = options.idlePollMs ?? 250;
  const random = options.random ?? Math.random;
  const workerId = options.workerId ?? `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  const onError = throttled(options.onError ?? (() => {}), clock);
  const runner = createJobRunner({ store, clock, random, workerId, visibilityMs });
  const { alarms, methods } = createTableMethods(db, clock);

  // Made on first use: a process that only enqueues (the API role) never connects to Redis.
  let producer: { redis: Redis; queue: BullQueue<RelayedJob, void, string> } | null = null;
  const producerFor = () => {
    if (!producer) {
      // Fails fast while Redis is away (no offline queue), so the relay never holds a database
      // transaction open waiting for a reconnection.
      const redis = new Redis(redisUrl, {
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        connectionName: prefix,
      });
      redis.on('error', onError);
      const queue = new BullQueue<RelayedJob, void, string>(BULLMQ_QUEUE_NAME, { connection: redis, prefix });
      queue.on('error', onError);
      producer = { redis, queue };
    }
    return producer;
  };
  const relay = createRelay({
    store,
    clock,
    producer: () => {
      const { redis, queue } = producerFor();
      return { ready: redis.status === 'ready', queue };
    },
    resendAfterMs,
    fairnessWindow: options.fairnessWindow,
    redisTimeoutMs: options.redisTimeoutMs ?? 5_000,
  });

  const claims = createClaim({ store, clock, workerId, visibilityMs });

  /**
   * Runs one delivery. Never throws for a job's failure: retries and dead letters live in the rows.
   * `batch` jobs of one workspace delivered at about the same time share one transaction, and
   * different workspaces' batches run side by side (see delivery-batcher.ts).
   */
  async function deliver(
    job: Job<RelayedJob>,
    opts: WorkerOptions,
    alarm: Alarm,
    batched: (workspaceId: string, id: string) => Promise<void>,
  ): Promise<void> {
    const id = job.data?.id;
    if (typeof id !== 'string') return;
    try {
      if (unitOf(job.data.name) === 'batch') {
        await batched(job.data.workspaceId, id);
        return;
      }
      const row = await claims.claim(id);
      if (!row) return;
      if (unitOf(row.name) === 'batch') await runner.runBatch([row], opts);
      else await runner.runOne(row, opts);
    } finally {
      // A slot in the Redis buffer freed up.
      alarm.wake();
    }
  }

  return {
    enqueue: (unit, jobs) => insertJobs(dbOf(unit), jobs, { clock, ids }),

    async work(opts) {
      const alarm = createAlarm();
      alarms.add(alarm);
      const batched = createWorkspaceBatchers(async (ids) => {
        const rows = await claims.claimMany(ids);
        if (rows.length > 0) await runner.runBatch(rows, opts);
      }, options.batchSize ?? 64);
      const consumer = startConsumer({
        queueName: BULLMQ_QUEUE_NAME,
        redisUrl,
        prefix,
        concurrency: opts.concurrency,
        visibilityMs,
        deliver: (job) => deliver(job, opts, alarm, batched),
        onError,
      });
      const stopHeartbeat = runner.startHeartbeat();
      let nextSweep = 0;
      try {
        while (!opts.signal.aborted) {
          try {
            if (clock.now() >= nextSweep) {
              await recoverExpired(db, clock.now(), ['active', 'sent']);
              nextSweep = clock.now() + Math.max(1000, Math.min(visibilityMs / 4, resendAfterMs, 15_000));
            }
            await relay.relay(opts.concurrency * (options.bufferPerWorker ?? 4));
          } catch (error) {
            onError(error);
          }
          // Woken by new work (notify), a finished job (room in the buffer) or the poll interval.
          await alarm.sleep(idlePollMs, opts.signal);
        }
      } finally {
        alarms.delete(alarm);
        await consumer.stop();
        stopHeartbeat();
      }
    },

    ...methods,

    async close() {
      if (!producer) return;
      const { redis, queue } = producer;
      producer = null;
      await queue.close().catch(onError);
      redis.disconnect();
    },
  };
}
