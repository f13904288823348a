import type { UnitOfWork } from '../store/index.ts';
import type { JobName, JobPayload, JobPool } from './catalog.ts';

/** A job as a handler sees it. */
export interface JobContext<N extends JobName = JobName> {
  id: string;
  name: N;
  workspaceId: string;
  payload: JobPayload<N>;
  /** 1 on the first run. */
  attempt: number;
  /** Aborted on timeout or shutdown; long operations must honour it. */
  signal: AbortSignal;
  /**
   * Where the job writes. For `batch` jobs this is the transaction that also records the job's
   * completion, so effects and acknowledgement commit together or not at all. Pass it to ports;
   * a handler's own repository code opens it with `dbOf`.
   */
  db: UnitOfWork;
  /** Runs after the job's effects are committed (e.g. to wake event-stream listeners). */
  afterCommit(fn: () => void): void;
}

/** A handler must be idempotent: its effects and its "done" mark commit together. */
export type JobHandler<N extends JobName> = (job: JobContext<N>) => Promise<void>;
export type JobHandlers = { [N in JobName]: JobHandler<N> };

/**
 * Runs several `batch` jobs of one kind and one workspace together (set-based: a constant number of
 * statements for the lot). All or nothing: when it throws, the runner undoes its writes and runs
 * each job alone with its `JobHandler`, so a job that fails alone is retried alone.
 */
export type BatchJobHandler<N extends JobName> = (jobs: readonly JobContext<N>[]) => Promise<void>;
export type BatchJobHandlers = { [N in JobName]?: BatchJobHandler<N> };

export interface EnqueueRequest<N extends JobName = JobName> {
  name: N;
  workspaceId: string;
  payload: JobPayload<N>;
  /** Epoch ms; default now. */
  runAt?: number;
}

export interface DeadJob {
  id: string;
  name: string;
  workspaceId: string;
  payload: unknown;
  attempts: number;
  lastError: string | null;
  updatedAt: number;
}

export interface WorkerOptions {
  handlers: JobHandlers;
  /** Set-based handlers for `batch` kinds that have one; the others run job by job. */
  batchHandlers?: BatchJobHandlers;
  concurrency: number;
  signal: AbortSignal;
  /**
   * The pools this worker runs (`leadloop worker --only`); default every pool. With a broker each
   * pool has its own broker queue and its own `concurrency`, so one pool's backlog never holds
   * another's deliveries.
   */
  pools?: readonly JobPool[];
  /** True while the process is busy answering requests; batch workers then leave it room. */
  busy?: () => boolean;
  /**
   * Work that cannot wait for the event loop, done before each claim and each set (the embedded
   * worker thread stores accepted submissions there: their requests wait for it).
   */
  beforeEachSet?: () => Promise<void> | void;
  /** Called after each job, for metrics. */
  onSettled?: (outcome: JobOutcome) => void;
}

export interface JobOutcome {
  name: JobName;
  workspaceId: string;
  status: 'completed' | 'retrying' | 'dead';
  /** From enqueue (run_at) to settle. */
  latencyMs: number;
  error?: string;
}

/**
 * The queue port. Adapters: `embedded/` (the database stores and dispatches jobs) and `bullmq/` (the
 * database stores them as an outbox, Redis dispatches them to workers across processes).
 */
export interface Queue {
  /**
   * Records jobs inside the caller's transaction, so a job exists if and only if the work that
   * created it committed.
   */
  enqueue(unit: UnitOfWork, jobs: EnqueueRequest[]): Promise<void>;
  /** Runs jobs until the signal aborts; resolves once in-flight jobs finished or were released. */
  work(options: WorkerOptions): Promise<void>;
  /** Wakes idle workers in this process (new work was committed). */
  notify(): void;
  depth(): Promise<{ queued: number; active: number; dead: number }>;
  listDead(options: { workspaceId?: string; limit?: number }): Promise<DeadJob[]>;
  /** Puts dead jobs back in the queue; returns how many were replayed. */
  replay(options: { workspaceId?: string; jobIds?: string[] }): Promise<number>;
}
