import { test } from 'node:test';
import { createIdGenerator, createManualClock } from '../../core/index.ts';
import { openBullmqProbe } from '../testing/bullmq-test-support.ts';
import { queueConformance } from '../testing/queue-conformance.ts';
import { testDatabases, uniquePrefix } from '../testing/queue-test-support.ts';
import { createBullmqQueue } from './bullmq-queue.ts';

const redisUrl = process.env.TEST_REDIS_URL;

if (!redisUrl) {
  test('queue conformance: bullmq', { skip: 'TEST_REDIS_URL is not set (no Redis to dispatch through)' });
} else {
  for (const database of testDatabases(process.env.TEST_DATABASE_URL)) {
    queueConformance(`bullmq (${database.label})`, async () => {
      const { store, queueStore, dispose } = await database.open();
      const clock = createManualClock(Date.UTC(2026, 10, 28));
      const prefix = uniquePrefix();
      const queue = createBullmqQueue({
        store: queueStore,
        clock,
        ids: createIdGenerator(),
        redisUrl,
        prefix,
        idlePollMs: 5,
        random: () => 0.5,
      });
      return {
        store,
        queue,
        clock,
        workspaceId: 'ws_1',
        otherWorkspaceId: 'ws_2',
        async close() {
          await queue.close();
          await openBullmqProbe(redisUrl, prefix).close();
          await dispose();
        },
      };
    });
  }
}
