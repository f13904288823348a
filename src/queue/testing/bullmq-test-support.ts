import { Queue as BullQueue } from 'bullmq';
import { Redis } from 'ioredis';
import { bullmqQueueName } from '../bullmq/bullmq-queue.ts';
import { JOB_POOLS, type JobName, type JobPool, jobCatalog } from '../catalog.ts';
import type { Delivery } from '../outbox/broker.ts';

/**
 * Test support (not exported from the queue's index): BullMQ queues beside the adapter's (one per
 * pool), to look into Redis or to deliver jobs the way a relay would. `close` also obliterates their
 * keys.
 */
export function openBullmqProbe(redisUrl: string, prefix: string, pool: JobPool = 'pipeline') {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', () => {});
  // No metadata write of their own, which could land after `obliterate` and leave a key behind.
  const queues = JOB_POOLS.map((each) => {
    const queue = new BullQueue<Delivery, void, string>(bullmqQueueName(each), {
      connection: redis,
      prefix,
      skipMetasUpdate: true,
    });
    queue.on('error', () => {});
    return queue;
  });
  return {
    /** The given pool's queue. */
    queue: queues[JOB_POOLS.indexOf(pool)] as BullQueue<Delivery, void, string>,
    /** The queue of the given job kind's pool. */
    queueFor: (name: JobName) =>
      queues[JOB_POOLS.indexOf(jobCatalog[name].pool)] as BullQueue<Delivery, void, string>,
    async close() {
      for (const queue of queues) {
        await queue.obliterate({ force: true }).catch(() => {});
        await queue.close();
      }
      redis.disconnect();
    },
  };
}
