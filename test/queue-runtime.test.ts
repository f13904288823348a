import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { openBullmqProbe } from '../src/queue/testing/bullmq-test-support.ts';
import { uniquePrefix } from '../src/queue/testing/queue-test-support.ts';
import { openRabbitmqProbe } from '../src/queue/testing/rabbitmq-test-support.ts';
import { call } from './support/http.ts';
import { createTestRuntime, DIALECTS, eventually, type TestDialect } from './support/runtime.ts';

/**
 * The runtime with `REDIS_URL` or `QUEUE_URL` set: leads submitted over HTTP are processed through
 * the broker, and closing the runtime closes every broker connection it opened (the adapters name
 * them by prefix).
 */
const redisUrl = process.env.TEST_REDIS_URL;
const amqpUrl = process.env.TEST_AMQP_URL;
const hasRabbitmqctl = spawnSync('sh', ['-c', 'command -v rabbitmqctl']).status === 0;

async function redisConnectionsNamed(name: string): Promise<number> {
  const redis = new Redis(redisUrl as string);
  try {
    const list = (await redis.client('LIST')) as string;
    return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
  } finally {
    redis.disconnect();
  }
}

/** RabbitMQ connections whose connection_name starts with the prefix (needs rabbitmqctl on this machine). */
async function rabbitmqConnectionsNamed(prefix: string): Promise<number> {
  const listed = spawnSync('rabbitmqctl', ['-q', 'list_connections', 'client_properties'], {
    encoding: 'utf8',
  });
  return listed.stdout.split('\n').filter((line) => line.includes(`"${prefix}-`)).length;
}

/** Starts a runtime on the broker, processes five leads through it, then disposes of it. */
async function processFiveLeads(
  dialect: TestDialect,
  config: Record<string, string>,
  whileRunning: () => Promise<void>,
): Promise<void> {
  const runtime = await createTestRuntime(dialect, { config });
  try {
    const http = await runtime.createHttp();
    runtime.lifecycle.set('ready');
    const { apiKey: key } = await runtime.tenants.createWorkspace({
      name: 'Broker',
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
    await whileRunning();
    await http.app.close();
  } finally {
    await runtime.dispose();
  }
}

for (const dialect of DIALECTS) {
  describe(`runtime with REDIS_URL (${dialect})`, {
    skip: redisUrl ? false : 'TEST_REDIS_URL is not set',
  }, () => {
    it('processes leads through BullMQ and closes its Redis connections on close', async () => {
      const prefix = uniquePrefix();
      const probe = openBullmqProbe(redisUrl as string, prefix);
      try {
        await processFiveLeads(
          dialect,
          { REDIS_URL: redisUrl as string, LEADLOOP_QUEUE_PREFIX: prefix },
          async () => {
            assert.ok(
              (await redisConnectionsNamed(prefix)) >= 2,
              'the worker and relay are connected to Redis',
            );
            assert.equal(await probe.queue.getWaitingCount(), 0);
          },
        );
      } finally {
        await probe.close();
      }
      await eventually(async () => ((await redisConnectionsNamed(prefix)) === 0 ? true : undefined), 5000);
    });
  });

  describe(`runtime with QUEUE_URL (${dialect})`, {
    skip: amqpUrl ? false : 'TEST_AMQP_URL is not set',
  }, () => {
    it('processes leads through RabbitMQ and closes its connections on close', async () => {
      const prefix = uniquePrefix();
      await processFiveLeads(
        dialect,
        { QUEUE_URL: amqpUrl as string, LEADLOOP_QUEUE_PREFIX: prefix },
        async () => {
          const probe = await openRabbitmqProbe(amqpUrl as string, prefix);
          try {
            assert.equal(await probe.ready('pipeline'), 0, 'nothing is left waiting in the broker');
          } finally {
            await probe.close();
          }
          if (hasRabbitmqctl)
            assert.equal(
              await rabbitmqConnectionsNamed(prefix),
              2,
              'the producer and the consumer are connected',
            );
        },
      );
      if (hasRabbitmqctl)
        await eventually(
          async () => ((await rabbitmqConnectionsNamed(prefix)) === 0 ? true : undefined),
          10_000,
        );
    });
  });
}
