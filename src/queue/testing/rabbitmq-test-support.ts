import { connect } from 'amqplib';
import { JOB_POOLS, type JobName, type JobPool, jobCatalog } from '../catalog.ts';
import type { Delivery } from '../outbox/broker.ts';
import { DEFAULT_DELIVERY_LIMIT, declareTopology, topologyFor } from '../rabbitmq/topology.ts';

/** Test support (not exported from the queue's index): removes a test prefix's exchanges and queues. */
export async function deleteRabbitmqTopology(amqpUrl: string, prefix: string): Promise<void> {
  const model = await connect(amqpUrl);
  model.on('error', () => {});
  try {
    const channel = await model.createChannel();
    const topology = topologyFor(prefix);
    for (const pool of JOB_POOLS) await channel.deleteQueue(topology.queueOf(pool));
    await channel.deleteQueue(topology.deadLetter);
    await channel.deleteExchange(topology.exchange);
    await channel.deleteExchange(topology.deadLetter);
  } finally {
    await model.close();
  }
}

/**
 * Test support: a connection beside the adapter's, to deliver jobs the way a relay would (a
 * duplicate, a late copy), to see what waits in a pool's queue, or to make the broker lose what it
 * holds.
 */
export async function openRabbitmqProbe(amqpUrl: string, prefix: string) {
  const model = await connect(amqpUrl);
  // A probe outlives brokers that tests kill: their connection errors are expected.
  model.on('error', () => {});
  const channel = await model.createConfirmChannel();
  channel.on('error', () => {});
  const topology = topologyFor(prefix);
  // Declared as the adapter declares them, so the probe may look before the adapter connected.
  await declareTopology(channel, topology, JOB_POOLS, DEFAULT_DELIVERY_LIMIT);
  return {
    /** Publishes a delivery of the job to its pool's queue, as the relay does. */
    async deliver(delivery: Delivery): Promise<void> {
      const pool = jobCatalog[delivery.name as JobName].pool;
      channel.publish(topology.exchange, pool, Buffer.from(JSON.stringify(delivery)), { persistent: true });
      await channel.waitForConfirms();
    },
    /** Deliveries ready in a pool's queue (not those a consumer holds). */
    async ready(pool: JobPool): Promise<number> {
      return (await channel.checkQueue(topology.queueOf(pool))).messageCount;
    },
    /** Drops every delivery waiting in the pools' queues (a broker that lost them). */
    async purge(): Promise<void> {
      for (const pool of JOB_POOLS) await channel.purgeQueue(topology.queueOf(pool));
    },
    async close(): Promise<void> {
      await model.close().catch(() => {});
    },
  };
}
