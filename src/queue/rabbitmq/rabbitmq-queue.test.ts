import { test } from 'node:test';
import { createIdGenerator, createManualClock } from '../../core/index.ts';
import { queueConformance } from '../testing/queue-conformance.ts';
import { testDatabases, uniquePrefix } from '../testing/queue-test-support.ts';
import { deleteRabbitmqTopology } from '../testing/rabbitmq-test-support.ts';
import { createRabbitmqQueue } from './rabbitmq-queue.ts';

const amqpUrl = process.env.TEST_AMQP_URL;

if (!amqpUrl) {
  test('queue conformance: rabbitmq', { skip: 'TEST_AMQP_URL is not set (no RabbitMQ to dispatch through)' });
} else {
  for (const database of testDatabases(process.env.TEST_DATABASE_URL)) {
    queueConformance(`rabbitmq (${database.label})`, async () => {
      const { store, queueStore, dispose } = await database.open();
      const clock = createManualClock(Date.UTC(2026, 10, 28));
      const prefix = uniquePrefix();
      const queue = createRabbitmqQueue({
        store: queueStore,
        clock,
        ids: createIdGenerator(),
        amqpUrl,
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
          await deleteRabbitmqTopology(amqpUrl, prefix);
          await dispose();
        },
      };
    });
  }
}
