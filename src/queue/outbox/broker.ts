import type { JobPool } from '../catalog.ts';

/** What a broker carries of a job: ids only. The payload stays in the database row. */
export interface Delivery {
  id: string;
  workspaceId: string;
  name: string;
}

export interface ConsumeOptions {
  pools: readonly JobPool[];
  /** Deliveries of one pool in flight at once (each pool has its own). */
  concurrency: number;
  /** How long a delivery may run before the broker may hand it to another consumer (BullMQ's lock). */
  visibilityMs: number;
  /** Runs one delivery. Throws only when the database is away (the row's lease recovers the job). */
  deliver(delivery: Delivery): Promise<void>;
}

/**
 * What the outbox needs of a message broker (adapters: `bullmq/`, `rabbitmq/`): a short dispatch
 * buffer per pool, filled by the relay and drained by consumers. The broker never decides whether a
 * job runs (the fenced claim on the row does), so it may lose or duplicate deliveries.
 */
export interface Broker {
  /** Whether the producer's connection is up right now; while it is not, the relay hands nothing over. */
  ready(): boolean;
  /** Deliveries of a pool waiting in the broker for a consumer. */
  waiting(pool: JobPool): Promise<number>;
  /** Hands deliveries over; resolves once the broker has them (a confirm, not a hope). */
  publish(pool: JobPool, deliveries: readonly Delivery[]): Promise<void>;
  /** Starts consuming the pools' deliveries; `stop` waits for running deliveries, then disconnects. */
  consume(options: ConsumeOptions): { stop(): Promise<void> };
  /** Closes the producer; call after every consumer stopped. */
  close(): Promise<void>;
}
