import type { JobPool } from '../catalog.ts';

/**
 * What a broker carries: ids only, the payloads stay in the database rows. A delivery of a `batch`
 * kind may carry a set of jobs (one kind, one workspace) in `ids`, so a broker's cost per message is
 * shared by the set and the worker runs it as one (see relay.ts); without `ids` it is the job `id`.
 */
export interface Delivery {
  /** The job, or the first job of the set. */
  id: string;
  workspaceId: string;
  name: string;
  /** Every job of the set, `id` first; absent for a delivery of one job. */
  ids?: readonly string[];
}

/** The jobs a delivery hands over (a message of an older relay carries only `id`). */
export const jobIdsOf = (delivery: Delivery): readonly string[] =>
  delivery.ids && delivery.ids.length > 0 ? delivery.ids : [delivery.id];

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
