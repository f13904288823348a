import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { openBullmqProbe } from '../src/queue/bullmq/bullmq-test-support.ts';
import { uniquePrefix } from '../src/queue/queue-test-support.ts';
import { call } from './support/http.ts';
import { createTestRuntime, DIALECTS, eventually } from './support/runtime.ts';

/**
 * The runtime with `REDIS_URL` set: leads submitted over HTTP are processed through BullMQ, and
 * closing the runtime closes every Redis connection it opened (the adapter names them by prefix).
 */
const redisUrl = process.env.TEST_REDIS_URL;

async function connectionsNamed(name: string): Promise<number> {
  const redis = new Redis(redisUrl as string);
  try {
    const list = (await redis.client('LIST')) as string;
    return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
  } finally {
    redis.disconnect();
  }
}

for (const dialect of DIALECTS) {
  describe(`runtime with REDIS_URL (${dialect})`, {
    skip: redisUrl ? false : 'TEST_REDIS_URL is not set',
  }, () => {
    it('processes leads through BullMQ and closes its Redis connections on close', async () => {
      const prefix = uniquePrefix();
      const runtime = await createTestRuntime(dialect, {
        config: { REDIS_URL: redisUrl as string, LEADLOOP_QUEUE_PREFIX: prefix },
      });
      const probe = openBullmqProbe(redisUrl as string, prefix);
      try {
        const http = await runtime.createHttp();
        runtime.lifecycle.set('ready');
        const { apiKey: key } = await runtime.tenants.createWorkspace({
          name: 'Redis',
          actor: { type: 'system', id: 'test' },
        });
        runtime.startWorkers(4);
        const eventIds: string[] = [];
        for (let i = 0; i < 5; i++) {
          const accepted = await call(http.app, 'POST', '/v1/leads', {
            key,
            body: { email: `lead${i}@example.org`, company: 'Acme' },
          });
          assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
          eventIds.push(accepted.body.eventId as string);
        }
        for (const eventId of eventIds)
          await eventually(async () => {
            const event = await call(http.app, 'GET', `/v1/events/${eventId}`, { key });
            return event.body.status === 'processed' ? true : undefined;
          });
        assert.ok((await connectionsNamed(prefix)) >= 2, 'the worker and relay are connected to Redis');
        assert.equal(await probe.queue.getWaitingCount(), 0);
        await http.app.close();
      } finally {
        await runtime.dispose();
        await probe.close();
      }
      await eventually(async () => ((await connectionsNamed(prefix)) === 0 ? true : undefined), 5000);
    });
  });
}
