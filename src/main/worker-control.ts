import type { Logger } from 'pino';
import { LeadloopError } from '../core/index.ts';
import type { CouncilService } from '../council/index.ts';
import type { LeadPipeline } from '../leads/index.ts';
import type { LiveOptimiser, SplitOptimiser } from '../optimiser/index.ts';
import type { Privacy } from '../privacy/index.ts';
import type {
  BatchJobHandlers,
  JobHandlers,
  JobOutcome,
  JobPool,
  PeriodicJob,
  Queue,
  Schedules,
} from '../queue/index.ts';
import type { PredictiveScoring } from '../scoring/index.ts';
import type { Metrics } from '../telemetry/index.ts';
import type { WorkflowWiring } from './workflow-wiring.ts';

/** Which capability runs each job of the catalog (a missing one fails to compile). */
export function jobHandlers(capabilities: {
  pipeline: LeadPipeline;
  predictive: PredictiveScoring;
  council: CouncilService;
  privacy: Privacy;
  workflows: WorkflowWiring;
  optimiser: LiveOptimiser & { splits: SplitOptimiser };
}): { handlers: JobHandlers; batchHandlers: BatchJobHandlers } {
  const { pipeline, predictive, council, privacy, workflows, optimiser } = capabilities;
  return {
    handlers: {
      'lead.process': (job) => pipeline.process(job),
      'scoring.retrain': (job) => predictive.training.retrainJob(job),
      'council.next_action': (job) => council.nextActionJob(job),
      'privacy.retention': (job) => privacy.retentionJob(job),
      'workflow.step': (job) => workflows.engine.stepJob(job),
      'workflow.schedule': (job) => workflows.engine.scheduleJob(job),
      'optimiser.monitor': async (job) => {
        await optimiser.monitorJob(job);
        // Split decisions ride on the monitor's minute; each split changes at most once an hour.
        await optimiser.splits.rebalance(job.workspaceId);
      },
      'optimiser.review': (job) => optimiser.reviewJob(job),
      'optimiser.housekeeping': (job) => optimiser.housekeepingJob(job),
    },
    batchHandlers: {
      'lead.process': (jobs) => pipeline.processBatch(jobs),
    },
  };
}

/** Counts a settled job in this process's metrics, and logs it when it did not complete. */
export function jobOutcomeRecorder(metrics: Metrics, logger: Logger): (outcome: JobOutcome) => void {
  return (outcome) => {
    const labels = { job: outcome.name };
    if (outcome.status === 'completed') metrics.eventsProcessed.inc(labels);
    else if (outcome.status === 'retrying') metrics.eventsFailed.inc(labels);
    else metrics.eventsDeadLettered.inc(labels);
    metrics.jobLatency.observe(labels, outcome.latencyMs / 1000);
    if (outcome.status !== 'completed')
      logger.warn(
        {
          job: outcome.name,
          workspaceId: outcome.workspaceId,
          status: outcome.status,
          error: outcome.error,
        },
        'job failed',
      );
  };
}

/** Starts and stops this process's workers and schedule ticks. */
export function createWorkerControl(options: {
  queue: Queue;
  schedules: Schedules;
  /** Every capability's per-workspace schedules (the optimiser's minute, privacy's daily retention). */
  periodicJobs: readonly PeriodicJob[];
  handlers: JobHandlers;
  batchHandlers: BatchJobHandlers;
  /** The server is taking requests: a batch leaves the event loop (and the write lock) to them. */
  requestsArriving: () => boolean;
  /** See WorkerOptions.beforeEachSet. */
  beforeEachSet?: (() => Promise<void> | void) | undefined;
  onSettled: (outcome: JobOutcome) => void;
  scheduleTickMs?: number | undefined;
}): { startWorkers(concurrency: number, pools?: readonly JobPool[]): void; stopWorkers(): Promise<void> } {
  const { queue, schedules } = options;
  let workerAbort: AbortController | null = null;
  let workerDone: Promise<void> | null = null;
  let ticking: Promise<void> | null = null;
  return {
    startWorkers(concurrency, pools) {
      if (workerAbort) return;
      workerAbort = new AbortController();
      // Every worker process ticks the schedules; the compare-and-set on each due row keeps one
      // enqueue per slot however many tick, and a restart loses nothing (the rows are durable).
      if (options.scheduleTickMs !== 0)
        ticking = schedules.run({
          periodic: options.periodicJobs,
          everyMs: options.scheduleTickMs ?? 5_000,
          signal: workerAbort.signal,
        });
      workerDone = queue.work({
        handlers: options.handlers,
        batchHandlers: options.batchHandlers,
        concurrency,
        ...(pools ? { pools } : {}),
        signal: workerAbort.signal,
        busy: options.requestsArriving,
        ...(options.beforeEachSet ? { beforeEachSet: options.beforeEachSet } : {}),
        // Jobs run on the worker thread are counted and logged where /metrics is served.
        onSettled: options.onSettled,
      });
    },
    async stopWorkers() {
      workerAbort?.abort(new LeadloopError('unavailable', 'shutting down', { retryable: true }));
      await workerDone;
      await ticking;
      ticking = null;
      workerAbort = null;
      workerDone = null;
    },
  };
}
