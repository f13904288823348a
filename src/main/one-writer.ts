import { type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import { LeadloopError } from '../core/index.ts';
import type { StoredOutcome, StoreElsewhere, SubmissionRecord } from '../ingest/index.ts';
import type { NormalisedLead } from '../leads/index.ts';

/*
 * One writer (docs/decisions/2026-12-07-one-writer.md): with SQLite, the embedded server's HTTP
 * thread sends its group commits of accepted submissions to the worker thread, whose connection
 * stores them between pipeline sets, so one connection holds the write lock instead of two taking
 * turns at it. A request is still answered only once the commit holding its event is synced.
 */

/** Server → thread: a group commit to make. */
interface StoreRequest {
  id: number;
  now: number;
  records: SubmissionRecord[];
  leads: [eventId: string, lead: NormalisedLead][];
}

/** Thread → server: the request's outcomes, in order, or why there are none. */
interface StoreReply {
  id: number;
  outcomes?: StoredOutcome[];
  error?: string;
}

export interface StoreSenderOptions {
  /**
   * While the oldest unanswered request is older than this, the server stores new group commits
   * on its own connection (taking turns at the write lock, as without one writer): a thread that
   * is starved of CPU or stuck in a long set does not hold up acceptance.
   */
  slowAfterMs?: number;
  now?: () => number;
  /**
   * The thread commits without waiting for the disk, and this makes its commits durable
   * (Store.syncLog: an fdatasync of the log on this thread's pool) before the requests are
   * answered. The thread goes on with its pipeline sets instead of stopping inside COMMIT for the
   * disk (it was in disk waits about an eighth of the time under load), and this thread's loop is
   * free to answer as soon as the disk has the commit
   * (docs/decisions/2026-12-07-sustained-capacity.md).
   */
  syncLog?: (() => Promise<void>) | undefined;
}

/** The server's side: sends group commits on `port` and settles them with the replies. */
export function createStoreSender(
  port: MessagePort,
  options: StoreSenderOptions = {},
): {
  storeElsewhere: StoreElsewhere;
  /** The thread stopped: commits it was asked for may or may not have landed. */
  rejectAll(reason: string): void;
  /** Group commits sent and not yet answered. */
  waiting(): number;
} {
  const slowAfterMs = options.slowAfterMs ?? 50;
  const now = options.now ?? (() => performance.now());
  /** Unanswered requests in the order they were sent (a Map keeps insertion order). */
  const waiting = new Map<
    number,
    { sentAt: number; resolve: (o: StoredOutcome[]) => void; reject: (e: unknown) => void }
  >();
  let ids = 0;
  const { syncLog } = options;
  port.on('message', (reply: StoreReply) => {
    const request = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (!request) return;
    const { outcomes } = reply;
    if (!outcomes) {
      request.reject(
        new LeadloopError('unavailable', reply.error ?? 'the event could not be stored', { retryable: true }),
      );
      return;
    }
    if (!syncLog) return request.resolve(outcomes);
    // Committed but maybe not on the disk yet: nobody is answered before the sync. If it fails, the
    // events stay (and are processed) and each caller is told to retry; a retry with its
    // idempotency key is answered from the stored original.
    syncLog().then(
      () => request.resolve(outcomes),
      (error: unknown) =>
        request.reject(
          new LeadloopError('unavailable', 'the event could not be made durable; retry', {
            cause: error,
            retryable: true,
          }),
        ),
    );
  });
  return {
    storeElsewhere: (at, records, leads) => {
      const sentAt = now();
      const oldest = waiting.values().next().value;
      if (oldest && sentAt - oldest.sentAt > slowAfterMs) return null;
      const id = ++ids;
      return new Promise<StoredOutcome[]>((resolve, reject) => {
        waiting.set(id, { sentAt, resolve, reject });
        port.postMessage({ id, now: at, records, leads } satisfies StoreRequest);
      });
    },
    rejectAll(reason) {
      // Their callers are told to retry; a retry with the same idempotency key is answered from
      // whatever did land.
      for (const request of waiting.values())
        request.reject(new LeadloopError('unavailable', reason, { retryable: true }));
      waiting.clear();
    },
    waiting: () => waiting.size,
  };
}

export interface StoreReceiverOptions {
  port: MessagePort;
  /** Stores records in one synced transaction (ingest's storeSubmissions on this thread's connection). */
  store(now: number, records: SubmissionRecord[]): Promise<StoredOutcome[]>;
  /** An accepted submission's normalised lead, for this thread's pipeline. */
  handOver(eventId: string, lead: NormalisedLead): void;
  /** After each group that stored something: the pipeline has work. */
  stored(): void;
  onError(error: unknown): void;
}

/**
 * The thread's side. `flush` stores everything that has arrived in one transaction; the worker
 * calls it before each pipeline set (a request waits on it, a set does not), and it runs by itself
 * when the thread is idle. It takes messages not yet dispatched synchronously, so a set never runs
 * ahead of a group commit that had already arrived.
 */
export function createStoreReceiver(options: StoreReceiverOptions): { flush(): Promise<void> } {
  const { port } = options;
  const arrived: StoreRequest[] = [];
  let storing: Promise<void> | null = null;

  async function storeGroup(group: StoreRequest[]): Promise<void> {
    const records = group.flatMap((request) => request.records);
    let stored: StoredOutcome[];
    try {
      stored = await options.store(Math.min(...group.map((request) => request.now)), records);
    } catch (error) {
      options.onError(error);
      for (const request of group)
        port.postMessage({ id: request.id, error: 'the event could not be stored' } satisfies StoreReply);
      return;
    }
    let at = 0;
    for (const request of group) {
      const outcomes = stored.slice(at, at + request.records.length);
      at += request.records.length;
      const accepted = new Set(
        request.records.filter((_, i) => outcomes[i]?.kind === 'accepted').map((r) => r.eventId),
      );
      for (const [eventId, lead] of request.leads) if (accepted.has(eventId)) options.handOver(eventId, lead);
      port.postMessage({ id: request.id, outcomes } satisfies StoreReply);
    }
    options.stored();
  }

  function flush(): Promise<void> {
    if (storing) return storing;
    for (let next = receiveMessageOnPort(port); next; next = receiveMessageOnPort(port))
      arrived.push(next.message as StoreRequest);
    if (arrived.length === 0) return Promise.resolve();
    storing = storeGroup(arrived.splice(0)).finally(() => {
      storing = null;
    });
    return storing;
  }

  port.on('message', (request: StoreRequest) => {
    arrived.push(request);
    // The requests dispatched in this turn of the loop join one transaction.
    if (arrived.length === 1) setImmediate(() => void flush());
  });
  return { flush };
}
