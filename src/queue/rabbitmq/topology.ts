import type { Channel } from 'amqplib';
import type { JobPool } from '../catalog.ts';

/** Names of the exchanges and queues a deployment uses, all under its prefix. */
export interface Topology {
  /** Direct exchange the relay publishes to, routed by pool. */
  exchange: string;
  /** Fanout exchange and quorum queue of deliveries the broker gave up on. */
  deadLetter: string;
  queueOf(pool: JobPool): string;
}

export function topologyFor(prefix: string): Topology {
  return {
    exchange: `${prefix}.jobs`,
    deadLetter: `${prefix}.dead-letter`,
    queueOf: (pool) => `${prefix}.jobs.${pool}`,
  };
}

/**
 * The broker may hold this many dead-lettered deliveries; older ones are dropped. They are a
 * diagnostic trail only: the database row of a dead-lettered delivery is still `sent` or `active`,
 * and its lease hands the job over again.
 */
const DEAD_LETTER_MAX = 10_000;

/** Deliveries of one job the broker makes before dead-lettering it, unless configured otherwise. */
export const DEFAULT_DELIVERY_LIMIT = 5;

/**
 * Declares the exchanges and queues (idempotent; every connection does it before use). Quorum
 * queues replicate and survive a broker restart; a delivery redelivered `deliveryLimit` times (its
 * consumers kept dying) or rejected by a consumer whose database was away goes to the dead-letter
 * queue instead of looping. Declarations must repeat the same arguments, or the broker refuses them.
 */
export async function declareTopology(
  channel: Channel,
  topology: Topology,
  pools: readonly JobPool[],
  deliveryLimit: number,
): Promise<void> {
  await channel.assertExchange(topology.exchange, 'direct', { durable: true });
  await channel.assertExchange(topology.deadLetter, 'fanout', { durable: true });
  await channel.assertQueue(topology.deadLetter, {
    durable: true,
    arguments: { 'x-queue-type': 'quorum', 'x-max-length': DEAD_LETTER_MAX, 'x-overflow': 'drop-head' },
  });
  await channel.bindQueue(topology.deadLetter, topology.deadLetter, '');
  for (const pool of pools) {
    const queue = topology.queueOf(pool);
    await channel.assertQueue(queue, {
      durable: true,
      arguments: {
        'x-queue-type': 'quorum',
        'x-dead-letter-exchange': topology.deadLetter,
        'x-delivery-limit': deliveryLimit,
      },
    });
    await channel.bindQueue(queue, topology.exchange, pool);
  }
}
