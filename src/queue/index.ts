export type { BullmqQueue, BullmqQueueOptions } from './bullmq/bullmq-queue.ts';
export { createBullmqQueue } from './bullmq/bullmq-queue.ts';
export type { JobName, JobPayload, UnitOfWork } from './catalog.ts';
export { backoffDelayMs, JOB_NAMES, jobCatalog } from './catalog.ts';
export type { EmbeddedQueueOptions } from './embedded/embedded-queue.ts';
export { createEmbeddedQueue } from './embedded/embedded-queue.ts';
export type {
  DeadJob,
  EnqueueRequest,
  JobContext,
  JobHandler,
  JobHandlers,
  JobOutcome,
  Queue,
  WorkerOptions,
} from './port.ts';
