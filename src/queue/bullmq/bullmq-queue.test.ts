import { createIdGenerator } from '../../core/index.ts';
import { openBullmqProbe } from '../testing/bullmq-test-support.ts';
import { brokerConformance } from '../testing/queue-conformance.ts';
import { createBullmqQueue } from './bullmq-queue.ts';

brokerConformance({
  name: 'bullmq',
  url: process.env.TEST_REDIS_URL,
  missing: 'TEST_REDIS_URL is not set (no Redis to dispatch through)',
  open: ({ store, clock, url, prefix }) =>
    createBullmqQueue({
      store,
      clock,
      ids: createIdGenerator(),
      redisUrl: url,
      prefix,
      idlePollMs: 5,
      random: () => 0.5,
    }),
  forget: (url, prefix) => openBullmqProbe(url, prefix).close(),
});
