import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/index.ts';
import { storeSubmissions } from '../ingest/index.ts';
import { createNormalisedLeads, type NormalisedLead } from '../leads/index.ts';
import type { JobOutcome } from '../queue/index.ts';
import { createWriteTurns } from '../store/index.ts';
import { createStoreReceiver } from './one-writer.ts';
import { createRuntime, type RuntimeOptions } from './runtime.ts';

/*
 * The embedded server's worker thread (started by worker-thread-host.ts): its own runtime and
 * database connection, running every job pool, while the server's thread only accepts. With
 * SQLite this connection also stores what the server accepts (one-writer.ts), and the server
 * answers a request once its commit here is synced. The database is the record of every job, so
 * a thread that dies loses nothing: its replacement claims the jobs it held.
 */

/** The server's runtime options the thread takes over (those that survive a structured clone). */
export type ThreadRuntimeOptions = Pick<
  RuntimeOptions,
  'sqliteFile' | 'postgresSchema' | 'queuePollMs' | 'visibilityTimeoutMs' | 'scheduleTickMs' | 'masterKey'
>;

/** What the server hands the thread (structured-cloned, except the shared memory). */
export interface WorkerThreadData {
  config: Config;
  concurrency: number;
  workerId: string;
  runtime: ThreadRuntimeOptions;
  /** createWriteTurnsMemory(): the write lock's turns, shared with the server's thread. */
  turns: SharedArrayBuffer;
  /** One Float64: when the server last committed accepted submissions (epoch ms). */
  arriving: SharedArrayBuffer;
  /** Where the server sends group commits for this thread's connection to make (one-writer.ts). */
  stores: MessagePort;
  /**
   * The server makes the group commits durable itself before it answers (StoreSenderOptions.syncLog),
   * so this thread commits them without waiting for the disk.
   */
  storesUnsynced: boolean;
}

/** Server → thread. */
export type ToWorkerThread =
  | { type: 'work'; leads: [eventId: string, lead: NormalisedLead][] }
  | { type: 'stop' };

/** Thread → server. */
export type FromWorkerThread =
  | { type: 'ready' }
  | { type: 'settled'; outcomes: JobOutcome[]; workspaceIds: string[] }
  | { type: 'stopped' };

// The thread runs at the process's priority. It ran at niceness 10 until one writer made it store
// every accepted request: on a machine whose cores were taken by other work it was starved, and
// acceptance stalled behind it (docs/decisions/2026-12-08-worker-thread-equal-priority.md).
const port = parentPort;
if (port) {
  const data = workerData as WorkerThreadData;
  const arriving = new Float64Array(data.arriving);
  // Outcomes and stream wake-ups go to the server in one message per turn of this thread's loop.
  let outcomes: JobOutcome[] = [];
  const notified = new Set<string>();
  let posting = false;
  const post = () => {
    if (posting) return;
    posting = true;
    setImmediate(() => {
      posting = false;
      const message: FromWorkerThread = {
        type: 'settled',
        outcomes,
        workspaceIds: [...notified],
      };
      outcomes = [];
      notified.clear();
      port.postMessage(message);
    });
  };
  const normalisedLeads = createNormalisedLeads();
  const runtime = await createRuntime(data.config, {
    ...data.runtime,
    migrated: true,
    normalisedLeads,
    workerId: data.workerId,
    writeTurns: createWriteTurns(data.turns, 'yielding'),
    ownThread: {
      requestsArriving: () => Date.now() - (arriving[0] ?? 0) < 100,
      beforeEachSet: () => stores.flush(),
    },
    onJobSettled: (outcome) => {
      outcomes.push(outcome);
      post();
    },
    onEventsNotified: (workspaceId) => {
      notified.add(workspaceId);
      post();
    },
  });
  // One writer: the server's group commits are stored on this thread's connection. Created after
  // the runtime it stores with; the workers that flush it start below, and the server sends only
  // once this thread says it is ready.
  const stores = createStoreReceiver({
    port: data.stores,
    store: (now, records) => storeSubmissions(runtime, now, records, { unsynced: data.storesUnsynced }),
    handOver: (eventId, lead) => normalisedLeads.put(eventId, lead),
    stored: () => runtime.queue.notify(),
    onError: (error) => runtime.logger.warn({ err: error }, 'could not store accepted submissions'),
  });
  port.on('message', (message: ToWorkerThread) => {
    if (message.type === 'work') {
      for (const [eventId, lead] of message.leads) normalisedLeads.put(eventId, lead);
      runtime.queue.notify();
      return;
    }
    // Stop: in-flight jobs finish, claimed ones not started go back to the queue; then the thread ends.
    void runtime.close().then(() => {
      port.postMessage({ type: 'stopped' } satisfies FromWorkerThread);
      process.exit(0);
    });
  });
  runtime.startWorkers(data.concurrency);
  port.postMessage({ type: 'ready' } satisfies FromWorkerThread);
}
