/**
 * The queue port and its adapters: the job catalog, the embedded (database) queue, and BullMQ and
 * RabbitMQ adapters loaded on demand so a server without Redis or RabbitMQ never loads their clients.
 */
export async function loadBullmqQueue(): Promise<
  typeof import('./bullmq/bullmq-queue.ts').createBullmqQueue
> {
  return (await import('./bullmq/bullmq-queue.ts')).createBullmqQueue;
}
/** The RabbitMQ adapter, loaded on demand like BullMQ's: a server without RabbitMQ never loads amqplib. */
export async function loadRabbitmqQueue(): Promise<
  typeof import('./rabbitmq/rabbitmq-queue.ts').createRabbitmqQueue
> {
  return (await import('./rabbitmq/rabbitmq-queue.ts')).createRabbitmqQueue;
}
export type { JobName, JobPool } from './catalog.ts';
export { JOB_NAMES, parsePools } from './catalog.ts';

export { createEmbeddedQueue } from './embedded/embedded-queue.ts';
export { releaseJobsOf } from './job-rows.ts';
export type {
  BatchJobHandlers,
  JobContext,
  JobHandlers,
  JobOutcome,
  Queue,
} from './port.ts';
export type { PeriodicJob, Schedules } from './schedules.ts';
export { createSchedules } from './schedules.ts';
