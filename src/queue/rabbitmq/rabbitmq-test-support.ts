import { connect } from 'amqplib';
import { JOB_POOLS } from '../catalog.ts';
import { topologyFor } from './topology.ts';

/** Test support (not exported from the queue's index): removes a test prefix's exchanges and queues. */
export async function deleteRabbitmqTopology(amqpUrl: string, prefix: string): Promise<void> {
  const model = await connect(amqpUrl);
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
