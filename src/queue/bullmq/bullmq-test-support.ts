import { Queue as BullQueue } from 'bullmq';
import { Redis } from 'ioredis';
import { BULLMQ_QUEUE_NAME } from './bullmq-queue.ts';
import type { RelayedJob } from './relay.ts';

/**
 * Test support (not exported from the queue's index): a BullMQ queue beside the adapter's, to look
 * into Redis or to deliver jobs the way a relay would. `close` also obliterates the queue's keys.
 */
export function openBullmqProbe(redisUrl: string, prefix: string) {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', () => {});
  // No metadata write of its own, which could land after `obliterate` and leave a key behind.
  const queue = new BullQueue<RelayedJob, void, string>(BULLMQ_QUEUE_NAME, {
    connection: redis,
    prefix,
    skipMetasUpdate: true,
  });
  queue.on('error', () => {});
  return {
    queue,
    async close() {
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
      redis.disconnect();
    },
  };
}
