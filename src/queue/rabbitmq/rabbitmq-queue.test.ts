import { createIdGenerator } from '../../core/index.ts';
import { brokerConformance } from '../testing/queue-conformance.ts';
import { deleteRabbitmqTopology } from '../testing/rabbitmq-test-support.ts';
import { createRabbitmqQueue } from './rabbitmq-queue.ts';

brokerConformance({
  name: 'rabbitmq',
  url: process.env.TEST_AMQP_URL,
  missing: 'TEST_AMQP_URL is not set (no RabbitMQ to dispatch through)',
  open: ({ store, clock, url, prefix }) =>
    createRabbitmqQueue({
      store,
      clock,
      ids: createIdGenerator(),
      amqpUrl: url,
      prefix,
      idlePollMs: 5,
      random: () => 0.5,
    }),
  forget: deleteRabbitmqTopology,
});
