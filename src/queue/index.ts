export type { BullmqQueue, BullmqQueueOptions } from './bullmq/bullmq-queue.ts';
/**
 * The BullMQ adapter, loaded on demand: a server without Redis never loads bullmq and ioredis
 * (about 6 MiB of heap and their code).
 */
export async function loadBullmqQueue(): Promise<
  typeof import('./bullmq/bullmq-queue.ts').createBullmqQueue
> {
  return (await import('./bullmq/bullmq-queue.ts')).createBullmqQueue;
}
export type { RabbitmqQueue, RabbitmqQueueOptions } from './rabbitmq/rabbitmq-queue.ts';
/** The RabbitMQ adapter, loaded on demand like BullMQ's: a server without RabbitMQ never loads amqplib. */
export async function loadRabbitmqQueue(): Promise<
  typeof import('./rabbitmq/rabbitmq-queue.ts').createRabbitmqQueue
> {
  return (await import('./rabbitmq/rabbitmq-queue.ts')).createRabbitmqQueue;
}
export type { JobName, JobPayload, JobPool, UnitOfWork } from './catalog.ts';
export { backoffDelayMs, JOB_NAMES, JOB_POOLS, jobCatalog, jobNamesOf, parsePools } from './catalog.ts';
export type { EmbeddedQueueOptions } from './embedded/embedded-queue.ts';
export { createEmbeddedQueue } from './embedded/embedded-queue.ts';
export type {
  BatchJobHandler,
  BatchJobHandlers,
  DeadJob,
  EnqueueRequest,
  JobContext,
  JobHandler,
  JobHandlers,
  JobOutcome,
  Queue,
  WorkerOptions,
} from './port.ts';
export type { PeriodicJob, Schedules } from './schedules.ts';
export { createSchedules } from './schedules.ts';
