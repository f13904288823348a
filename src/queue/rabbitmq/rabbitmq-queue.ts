import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { LeadloopError } from '../../core/index.ts';
import { JOB_POOLS } from '../catalog.ts';
import type { Broker, ConsumeOptions, Delivery } from '../outbox/broker.ts';
import {
  brokerErrors,
  createOutboxQueue,
  type OutboxQueue,
  type OutboxQueueOptions,
} from '../outbox/outbox-queue.ts';
import { createLink, settlesWithin } from './link.ts';
import { DEFAULT_DELIVERY_LIMIT, declareTopology, topologyFor } from './topology.ts';

export interface RabbitmqQueueOptions extends OutboxQueueOptions {
  /** `amqp://` or `amqps://` URL of the RabbitMQ that dispatches jobs. */
  amqpUrl: string;
  /** Prefix of the exchanges and queues; default `leadloop`. Deployments sharing a vhost need distinct ones. */
  prefix?: string;
  /** Broker calls made while the relay holds a database transaction give up after this long. */
  brokerTimeoutMs?: number;
  /** Deliveries of one job the broker makes (consumers died holding it) before dead-lettering it (default 5). */
  deliveryLimit?: number;
}

/** The RabbitMQ adapter of the queue port, plus `close()` for its connections. */
export type RabbitmqQueue = OutboxQueue;

const parse = (message: ConsumeMessage): Delivery | null => {
  try {
    const value = JSON.parse(message.content.toString('utf8')) as Partial<Delivery>;
    if (
      typeof value.id !== 'string' ||
      typeof value.workspaceId !== 'string' ||
      typeof value.name !== 'string'
    )
      return null;
    const ids = Array.isArray(value.ids)
      ? value.ids.filter((id): id is string => typeof id === 'string')
      : [];
    return {
      id: value.id,
      workspaceId: value.workspaceId,
      name: value.name,
      ...(ids.length > 0 ? { ids } : {}),
    };
  } catch {
    return null;
  }
};

/** An ack or reject on a channel that closed meanwhile: the broker re-delivers, the claim fences it. */
const settle = (fn: () => void) => {
  try {
    fn();
  } catch {}
};

function consumeWith(options: RabbitmqQueueOptions, consume: ConsumeOptions): { stop(): Promise<void> } {
  const prefix = options.prefix ?? 'leadloop';
  const topology = topologyFor(prefix);
  const onError = brokerErrors(options);
  const running = new Set<Promise<void>>();
  let stopping = false;

  function handle(channel: Channel, message: ConsumeMessage): void {
    const delivery = parse(message);
    const done = (delivery ? consume.deliver(delivery) : Promise.resolve()).then(
      () => settle(() => channel.ack(message)),
      (error: unknown) => {
        // The database was away: the row's lease hands the job over again; the broker keeps the
        // delivery in its dead-letter queue for inspection instead of re-delivering it in a loop.
        onError(error);
        settle(() => channel.reject(message, false));
      },
    );
    running.add(done);
    void done.finally(() => running.delete(done));
  }

  // One channel per pool, each with its own prefetch: a pool's slow deliveries hold only its own slots.
  const link = createLink({
    url: options.amqpUrl,
    name: `${prefix}-consumer`,
    onError,
    eager: true,
    async open(model) {
      const consumers: { channel: Channel; tag: string }[] = [];
      for (const pool of consume.pools) {
        const channel = await model.createChannel();
        channel.on('error', onError);
        // A channel closed by the broker (a refused declaration, a deleted queue) resets the connection.
        channel.on('close', () => {
          if (!stopping) void model.close().catch(() => {});
        });
        await declareTopology(channel, topology, [pool], options.deliveryLimit ?? DEFAULT_DELIVERY_LIMIT);
        await channel.prefetch(consume.concurrency);
        const { consumerTag } = await channel.consume(
          topology.queueOf(pool),
          (message) => {
            if (message) handle(channel, message);
          },
          { noAck: false },
        );
        consumers.push({ channel, tag: consumerTag });
      }
      return consumers;
    },
  });

  return {
    async stop() {
      stopping = true;
      // No new deliveries; the ones running finish and are acknowledged before the connection closes
      // (a closed connection would hand them to another consumer, which the claim would turn away).
      // Bounded: a connection the broker dropped without a word may never answer the cancel.
      for (const { channel, tag } of link.peek() ?? [])
        await settlesWithin(
          channel.cancel(tag).catch(() => {}),
          1_000,
        );
      await Promise.allSettled([...running]);
      await link.close();
    },
  };
}

/** RabbitMQ as the outbox's broker: one quorum queue per pool, publisher confirms, manual acks. */
function createRabbitmqBroker(options: RabbitmqQueueOptions): Broker {
  const prefix = options.prefix ?? 'leadloop';
  const topology = topologyFor(prefix);
  const onError = brokerErrors(options);
  // Connected on first use: a process that only enqueues (the API role) never connects to RabbitMQ.
  let producer: ReturnType<typeof createLink<ConfirmChannel>> | null = null;
  const channel = (): ConfirmChannel | null => {
    producer ??= createLink({
      url: options.amqpUrl,
      name: `${prefix}-producer`,
      onError,
      eager: false,
      async open(model) {
        const confirm = await model.createConfirmChannel();
        confirm.on('error', onError);
        confirm.on('close', () => void model.close().catch(() => {}));
        await declareTopology(confirm, topology, JOB_POOLS, options.deliveryLimit ?? DEFAULT_DELIVERY_LIMIT);
        return confirm;
      },
    });
    return producer.get();
  };
  const required = (): ConfirmChannel => {
    const open = channel();
    if (!open) throw new LeadloopError('unavailable', 'RabbitMQ is not connected', { retryable: true });
    return open;
  };
  return {
    ready: () => channel() !== null,
    async waiting(pool) {
      return (await required().checkQueue(topology.queueOf(pool))).messageCount;
    },
    async publish(pool, deliveries) {
      const confirm = required();
      for (const delivery of deliveries)
        confirm.publish(topology.exchange, pool, Buffer.from(JSON.stringify(delivery)), {
          persistent: true,
          messageId: delivery.id,
          contentType: 'application/json',
        });
      // Publisher confirms: the relay marks rows `sent` only once the broker has stored them.
      await confirm.waitForConfirms();
    },
    consume: (consume) => consumeWith(options, consume),
    async close() {
      const current = producer;
      producer = null;
      await current?.close();
    },
  };
}

/**
 * Queue port on RabbitMQ with a transactional outbox (see outbox/outbox-queue.ts): the `jobs` table
 * stays the source of truth, RabbitMQ only dispatches (quorum queues, publisher confirms, manual
 * acks with a prefetch per pool, a dead-letter exchange).
 *
 * @example
 * ```ts
 * const queue = createRabbitmqQueue({ store, clock, ids, amqpUrl: 'amqp://guest:guest@127.0.0.1:5672' });
 * await queue.work({ handlers, concurrency: 16, signal }); // in worker processes
 * await queue.close();
 * ```
 */
export function createRabbitmqQueue(options: RabbitmqQueueOptions): RabbitmqQueue {
  return createOutboxQueue(options, {
    broker: createRabbitmqBroker(options),
    brokerTimeoutMs: options.brokerTimeoutMs ?? 5_000,
  });
}
