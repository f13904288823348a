import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  eventsAccepted: Counter<'source'>;
  eventsProcessed: Counter<'job'>;
  eventsFailed: Counter<'job'>;
  eventsDeadLettered: Counter<'job'>;
  jobLatency: Histogram<'job'>;
  queueDepth: Gauge<'state'>;
  httpRequests: Counter<'route' | 'method' | 'status'>;
  httpRequestDuration: Histogram<'route' | 'method'>;
}

/** One thread's turns at SQLite's write lock (store/write-turns.ts's WriteTurnsStats). */
interface WriteLockStats {
  turns: number;
  busyTries: number;
  waitMs: number;
  claimed: number;
}

/**
 * One registry per process (not prom-client's global), so tests can build many apps side by side.
 * `depth` is read at scrape time.
 */
export function createMetrics(
  options: {
    depth?: () => Promise<{ queued: number; active: number; dead: number }>;
    defaultMetrics?: boolean;
    /** SQLite's write lock shared by the server's threads: each side's turns (store/write-turns.ts). */
    writeLock?: () => Record<string, WriteLockStats>;
    /** The embedded server's worker thread's V8 heap (the default metrics cover this thread's only). */
    workerThreadHeap?: () => Promise<{ usedBytes: number; totalBytes: number } | null>;
  } = {},
): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'leadloop_' });
  const depth = options.depth;
  const writeLock = options.writeLock;
  if (writeLock) {
    const lockCounter = (name: string, help: string, read: (s: WriteLockStats) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['thread'],
        registers: [registry],
        collect() {
          for (const [thread, stats] of Object.entries(writeLock())) this.set({ thread }, read(stats));
        },
      });
    lockCounter(
      'leadloop_sqlite_write_turns_total',
      'Write transactions that got the lock, by thread.',
      (s) => s.turns,
    );
    lockCounter(
      'leadloop_sqlite_write_lock_wait_seconds_total',
      'Time spent waiting for the write lock, by thread.',
      (s) => s.waitMs / 1000,
    );
    lockCounter(
      'leadloop_sqlite_write_busy_tries_total',
      'Tries that found the write lock taken.',
      (s) => s.busyTries,
    );
    lockCounter(
      'leadloop_sqlite_write_turns_claimed_total',
      'Turns the worker thread claimed after waiting its patience.',
      (s) => s.claimed,
    );
  }
  const workerThreadHeap = options.workerThreadHeap;
  if (workerThreadHeap)
    new Gauge({
      name: 'leadloop_worker_thread_heap_bytes',
      help: "The worker thread's V8 heap: used and total (reserved), in bytes.",
      labelNames: ['kind'],
      registers: [registry],
      async collect() {
        const heap = await workerThreadHeap();
        if (!heap) return;
        this.set({ kind: 'used' }, heap.usedBytes);
        this.set({ kind: 'total' }, heap.totalBytes);
      },
    });
  return {
    registry,
    eventsAccepted: new Counter({
      name: 'leadloop_events_accepted_total',
      help: 'Events durably accepted (answered 202).',
      labelNames: ['source'],
      registers: [registry],
    }),
    eventsProcessed: new Counter({
      name: 'leadloop_events_processed_total',
      help: 'Jobs completed.',
      labelNames: ['job'],
      registers: [registry],
    }),
    eventsFailed: new Counter({
      name: 'leadloop_events_failed_total',
      help: 'Job runs that failed and will be retried.',
      labelNames: ['job'],
      registers: [registry],
    }),
    eventsDeadLettered: new Counter({
      name: 'leadloop_events_dead_lettered_total',
      help: 'Jobs moved to the dead-letter state.',
      labelNames: ['job'],
      registers: [registry],
    }),
    jobLatency: new Histogram({
      name: 'leadloop_job_latency_seconds',
      help: 'From when a job was due to when it settled.',
      labelNames: ['job'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'leadloop_queue_depth',
      help: 'Jobs by state.',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        if (!depth) return;
        const d = await depth();
        this.set({ state: 'queued' }, d.queued);
        this.set({ state: 'active' }, d.active);
        this.set({ state: 'dead' }, d.dead);
      },
    }),
    httpRequests: new Counter({
      name: 'leadloop_http_requests_total',
      help: 'HTTP requests answered.',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    }),
    // The server's own share of a request's latency, from Fastify's first hook to the answer
    // written: a client's figure adds the network, its own queueing and, on a shared machine, CPU
    // the server did not get. Fine buckets up to 100 ms, where an accepted webhook's answer lies
    // (docs/benchmarks.md: the sustained target asks for 25 ms at p99).
    httpRequestDuration: new Histogram({
      name: 'leadloop_http_request_duration_seconds',
      help: 'From the request reaching the server (onRequest) to its answer being sent, by route.',
      labelNames: ['route', 'method'],
      buckets: [
        0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.035, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5,
      ],
      registers: [registry],
    }),
  };
}
