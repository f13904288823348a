import { type Job, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Delivery } from '../outbox/broker.ts';

export interface ConsumerOptions {
  /** One BullMQ worker per queue (per pool), each with its own `concurrency`. */
  queueNames: readonly string[];
  redisUrl: string;
  prefix: string;
  concurrency: number;
  visibilityMs: number;
  /** Runs one delivery; must not throw for a job's own failure. */
  deliver(job: Job<Delivery>): Promise<void>;
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

/** BullMQ workers on their own connection; `stop` waits for running deliveries, then disconnects. */
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
  const workers = options.queueNames.map((queueName) => {
    const worker = new Worker<Delivery, void, string>(
      queueName,
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
    return worker;
  });
  return {
    async stop() {
      // While Redis is away, BullMQ's graceful close would wait for it for ever; a forced close does
      // not wait for running deliveries, so those are awaited here (they need only the database).
      const redisAway = redis.status !== 'ready';
      const closing = Promise.all(workers.map((worker) => worker.close(redisAway).catch(onError)));
      await Promise.allSettled([...running]);
      if (!(await settlesWithin(closing, redisAway ? 1_000 : (options.closeTimeoutMs ?? 5_000)))) {
        disconnectAll();
        await settlesWithin(closing, 1_000);
      }
      disconnectAll();
    },
  };
}
