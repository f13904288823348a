import { MessageChannel, Worker } from 'node:worker_threads';
import { LeadloopError } from '../core/index.ts';
import type { StoreElsewhere } from '../ingest/index.ts';
import type { NormalisedLead, NormalisedLeads } from '../leads/index.ts';
import { releaseJobsOf } from '../queue/index.ts';
import { createWriteTurns, createWriteTurnsMemory, writeTurnsStats } from '../store/index.ts';
import { createStoreSender } from './one-writer.ts';
import type { Runtime, RuntimeOptions } from './runtime.ts';
import type {
  FromWorkerThread,
  ThreadRuntimeOptions,
  ToWorkerThread,
  WorkerThreadData,
} from './worker-thread.ts';

/** The server's side of its worker thread (worker-thread.ts; docs/decisions/2026-12-06-worker-thread.md). */
export interface WorkerThreadHost {
  /** For the server's own runtime: its turns at the write lock, and what tells the thread of work. */
  readonly serverOptions: Pick<
    RuntimeOptions,
    | 'writeTurns'
    | 'normalisedLeads'
    | 'onSubmissionsCommitted'
    | 'storeSubmissionsElsewhere'
    | 'writeLockStats'
    | 'workerThreadHeap'
  >;
  /** Starts the thread; resolves once it runs jobs. It is restarted whenever it dies, until `stop`. */
  start(runtime: Runtime): Promise<void>;
  /** Lets in-flight jobs finish and ends the thread. */
  stop(): Promise<void>;
  /** The running thread, if any (tests kill it to prove a crash loses nothing). */
  current(): Worker | null;
  /** How many times the thread was started (1 + restarts). */
  starts(): number;
  /** Jobs put back in the queue from threads that died holding them. */
  released(): number;
  /** Group commits the running thread was sent and has not answered (one writer). */
  storesWaiting(): number;
  /** Group commits that threads died without answering: their requests were told to retry. */
  storesAbandoned(): number;
}

export interface WorkerThreadHostOptions {
  concurrency: number;
  /** The server's runtime options: the thread takes over those it can (ThreadRuntimeOptions). */
  runtime: RuntimeOptions;
  /** First wait before restarting a dead thread; doubles up to 10 s while it keeps dying at once. */
  restartDelayMs?: number;
  /**
   * The thread's connection stores accepted submissions as well (SQLite: one writer, see
   * docs/decisions/2026-12-07-one-writer.md); PostgreSQL takes concurrent writers, so there the
   * server's own connections keep storing them.
   */
  oneWriter: boolean;
  /** See StoreSenderOptions.slowAfterMs. */
  slowWriterAfterMs?: number;
}

/** The options a structured clone keeps; functions (clock, logger, ids) stay with the server. */
function threadRuntimeOptions(options: RuntimeOptions): ThreadRuntimeOptions {
  const { sqliteFile, postgresSchema, queuePollMs, visibilityTimeoutMs, scheduleTickMs, masterKey } = options;
  const picked = { sqliteFile, postgresSchema, queuePollMs, visibilityTimeoutMs, scheduleTickMs, masterKey };
  return Object.fromEntries(
    Object.entries(picked).filter(([, v]) => v !== undefined),
  ) as ThreadRuntimeOptions;
}

const THREAD_ENTRY = new URL('./worker-thread.ts', import.meta.url);

export function createWorkerThreadHost(options: WorkerThreadHostOptions): WorkerThreadHost {
  const turns = createWriteTurnsMemory();
  const arrivingMemory = new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT);
  const arriving = new Float64Array(arrivingMemory);
  let worker: Worker | null = null;
  let ready = false;
  let stopping = false;
  let started = 0;
  let releasedTotal = 0;
  let abandonedTotal = 0;
  let restartDelay = options.restartDelayMs ?? 100;
  let restartTimer: NodeJS.Timeout | null = null;
  /** One writer: the thread's connection stores the server's group commits (one-writer.ts). */
  let sender: ReturnType<typeof createStoreSender> | null = null;
  // While no thread runs (starting, restarting) the server stores them on its own connection.
  const storeElsewhere: StoreElsewhere = (now, records, leads) =>
    sender && ready ? sender.storeElsewhere(now, records, leads) : null;
  /** Normalised leads and a wake-up, sent in one message per turn of the server's event loop. */
  let leads: [string, NormalisedLead][] = [];
  let sending = false;
  const send = () => {
    if (sending) return;
    sending = true;
    setImmediate(() => {
      sending = false;
      const message: ToWorkerThread = { type: 'work', leads };
      leads = [];
      if (ready) worker?.postMessage(message);
    });
  };
  // The server never takes: the pipeline runs on the thread, which parses what it was not handed.
  const forward: NormalisedLeads = {
    put(eventId, lead) {
      leads.push([eventId, lead]);
      send();
    },
    take: () => undefined,
    get size() {
      return leads.length;
    },
  };

  function spawn(runtime: Runtime): Promise<void> {
    started++;
    // The thread's commits of accepted submissions are made durable here, off the thread.
    const syncLog = options.oneWriter ? runtime.store.syncLog : undefined;
    const workerId = `${process.pid}.t${started}`;
    const channel = new MessageChannel();
    const data: WorkerThreadData = {
      config: runtime.config,
      concurrency: options.concurrency,
      workerId,
      runtime: threadRuntimeOptions(options.runtime),
      turns,
      arriving: arrivingMemory,
      stores: channel.port2,
      storesUnsynced: syncLog !== undefined,
    };
    const thread = new Worker(THREAD_ENTRY, {
      workerData: data,
      transferList: [channel.port2],
      name: `leadloop-worker-${started}`,
    });
    worker = thread;
    const threadSender = createStoreSender(channel.port1, {
      ...(options.slowWriterAfterMs === undefined ? {} : { slowAfterMs: options.slowWriterAfterMs }),
      syncLog,
    });
    sender = threadSender;
    const bornAt = Date.now();
    return new Promise<void>((resolve, reject) => {
      thread.on('message', (message: FromWorkerThread) => {
        if (message.type === 'ready') {
          ready = true;
          resolve();
        } else if (message.type === 'settled') {
          for (const outcome of message.outcomes) runtime.recordJobOutcome(outcome);
          for (const workspaceId of message.workspaceIds) runtime.events.notify(workspaceId);
        }
      });
      thread.on('error', (error) => {
        runtime.logger.error({ err: error }, 'worker thread failed');
      });
      thread.once('exit', (code) => {
        if (worker === thread) {
          worker = null;
          ready = false;
          sender = null;
        }
        abandonedTotal += threadSender.waiting();
        threadSender.rejectAll('the worker thread stopped before answering; retry');
        channel.port1.close();
        if (stopping) return;
        const failure = new LeadloopError('internal', `worker thread exited with code ${code}`, {
          retryable: true,
        });
        reject(failure);
        // Its connection closed with it, rolling back its open transaction; the jobs it had claimed
        // go back to the queue now instead of after their lease.
        void releaseJobsOf(runtime.store.db, workerId, Date.now())
          .catch((error: unknown) =>
            runtime.logger.warn(
              { err: error },
              'could not release the worker thread’s jobs; they wait for their lease',
            ),
          )
          .then((released) => {
            releasedTotal += released ?? 0;
            restartDelay = Date.now() - bornAt > 60_000 ? (options.restartDelayMs ?? 100) : restartDelay;
            runtime.logger.error(
              { code, released, restartInMs: restartDelay },
              'worker thread died; restarting it',
            );
            restartTimer = setTimeout(() => {
              restartTimer = null;
              if (!stopping) spawn(runtime).catch(() => {});
            }, restartDelay);
            restartDelay = Math.min(10_000, restartDelay * 2);
          });
      });
    });
  }

  return {
    serverOptions: {
      writeTurns: createWriteTurns(turns, 'first'),
      writeLockStats: () => writeTurnsStats(turns),
      async workerThreadHeap() {
        const thread = worker;
        if (!thread || !ready) return null;
        const heap = await thread.getHeapStatistics().catch(() => null);
        return heap && { usedBytes: heap.used_heap_size, totalBytes: heap.total_heap_size };
      },
      normalisedLeads: forward,
      ...(options.oneWriter ? { storeSubmissionsElsewhere: storeElsewhere } : {}),
      onSubmissionsCommitted(storedByThread) {
        arriving[0] = Date.now();
        // The thread stored them and woke its own workers; a commit made here wakes it.
        if (!storedByThread) send();
      },
    },
    start: (runtime) => spawn(runtime),
    async stop() {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      const thread = worker;
      if (!thread) return;
      const exited = new Promise((resolve) => thread.once('exit', resolve));
      thread.postMessage({ type: 'stop' } satisfies ToWorkerThread);
      await exited;
    },
    current: () => worker,
    starts: () => started,
    released: () => releasedTotal,
    storesWaiting: () => sender?.waiting() ?? 0,
    storesAbandoned: () => abandonedTotal,
  };
}
