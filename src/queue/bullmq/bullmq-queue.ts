import { createHash } from 'node:crypto';
import { Queue as BullQueue } from 'bullmq';
import { Redis } from 'ioredis';
import type { JobPool } from '../catalog.ts';
import { type Broker, type Delivery, jobIdsOf } from '../outbox/broker.ts';
import {
  brokerErrors,
  createOutboxQueue,
  type OutboxQueue,
  type OutboxQueueOptions,
} from '../outbox/outbox-queue.ts';
import { startConsumer } from './consumer.ts';

/**
 * The BullMQ queue a pool's jobs go through (under the configured key prefix). Before pools there
 * was one queue, `jobs`; deliveries left in it after an upgrade are re-sent from the database after
 * `resendAfterMs`, like any delivery Redis lost.
 */
export const bullmqQueueName = (pool: JobPool): string => `jobs-${pool}`;

export interface BullmqQueueOptions extends OutboxQueueOptions {
  /** `redis://` or `rediss://` URL of the Redis that dispatches jobs. */
  redisUrl: string;
  /** Prefix of BullMQ's Redis keys; default `leadloop`. Deployments sharing a Redis need distinct ones. */
  prefix?: string;
  /** Redis calls made while the relay holds a database transaction give up after this long. */
  redisTimeoutMs?: number;
}

/**
 * BullMQ's id for a delivery. BullMQ ignores an id it still holds, which turns away a re-sent job
 * still waiting; a set's id is a digest of its jobs, since a re-send may group them differently
 * (the first job's id alone would then drop the others until the next re-send).
 */
export function bullmqJobId(delivery: Delivery): string {
  const ids = jobIdsOf(delivery);
  if (ids.length === 1) return delivery.id;
  return `set-${createHash('sha256').update(ids.join(',')).digest('base64url').slice(0, 27)}`;
}

/** The BullMQ adapter of the queue port, plus `close()` for its Redis connections. */
export type BullmqQueue = OutboxQueue;

/** A pool's BullMQ queue on the producer's connection; `broken` once its connection check failed. */
interface PoolQueue {
  queue: BullQueue<Delivery, void, string>;
  broken: boolean;
}

/** Redis as the outbox's broker: one BullMQ queue per pool; the producer connects on first use. */
function createBullmqBroker(options: BullmqQueueOptions): Broker {
  const { redisUrl } = options;
  const prefix = options.prefix ?? 'leadloop';
  const onError = brokerErrors(options);
  // Made on first use: a process that only enqueues (the API role) never connects to Redis.
  let producer: { redis: Redis; queues: Map<JobPool, PoolQueue> } | null = null;
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
      producer = { redis, queues: new Map() };
    }
    return producer;
  };
  const queueOf = (pool: JobPool) => {
    const { redis, queues } = producerFor();
    const known = queues.get(pool);
    if (known && !known.broken) return known.queue;
    // BullMQ checks a queue's connection once, when the queue is made (an INFO for Redis's version),
    // and a failed check fails every later call on that queue, even once Redis answers again. A
    // queue made while the connection drops (the relay first needs a pool just as Redis goes away)
    // would leave that pool's jobs queued for the life of the process: it is made again instead.
    if (known) void known.queue.close().catch(() => {});
    const queue = new BullQueue<Delivery, void, string>(bullmqQueueName(pool), { connection: redis, prefix });
    queue.on('error', onError);
    const made: PoolQueue = { queue, broken: false };
    queue.waitUntilReady().catch(() => {
      made.broken = true;
    });
    queues.set(pool, made);
    return queue;
  };
  return {
    ready: () => producerFor().redis.status === 'ready',
    waiting: (pool) => queueOf(pool).getWaitingCount(),
    async publish(pool, deliveries) {
      await queueOf(pool).addBulk(
        deliveries.map((delivery) => ({
          name: delivery.name,
          data: delivery,
          // Redis keeps nothing once a delivery ends.
          opts: { jobId: bullmqJobId(delivery), removeOnComplete: true, removeOnFail: true },
        })),
      );
    },
    consume: (consume) =>
      startConsumer({
        queueNames: consume.pools.map(bullmqQueueName),
        redisUrl,
        prefix,
        concurrency: consume.concurrency,
        visibilityMs: consume.visibilityMs,
        deliver: (job) => (typeof job.data?.id === 'string' ? consume.deliver(job.data) : Promise.resolve()),
        onError,
      }),
    async close() {
      if (!producer) return;
      const { redis, queues } = producer;
      producer = null;
      for (const { queue } of queues.values()) await queue.close().catch(onError);
      redis.disconnect();
    },
  };
}

/**
 * Queue port on BullMQ with a transactional outbox (see outbox/outbox-queue.ts): the `jobs` table
 * stays the source of truth, Redis only dispatches.
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
  return createOutboxQueue(options, {
    broker: createBullmqBroker(options),
    brokerTimeoutMs: options.redisTimeoutMs ?? 5_000,
  });
}
