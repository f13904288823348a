import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock, IdGenerator } from '../../core/index.ts';
import { dbOf, type Store } from '../../store/index.ts';
import { type Alarm, createAlarm } from '../alarm.ts';
import { JOB_POOLS } from '../catalog.ts';
import { insertJobs, recoverExpired } from '../job-rows.ts';
import { createJobRunner, unitOf } from '../job-runner.ts';
import type { Queue, WorkerOptions } from '../port.ts';
import { createTableMethods } from '../table-methods.ts';
import { type Broker, type Delivery, jobIdsOf } from './broker.ts';
import { createClaim } from './claim.ts';
import { createWorkspaceBatchers } from './delivery-batcher.ts';
import { createRelay } from './relay.ts';

/** What every broker adapter (BullMQ, RabbitMQ) takes besides its broker's address. */
export interface OutboxQueueOptions {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  /**
   * Most deliveries waiting in the broker per pool, per unit of worker concurrency (default 4). The
   * broker is a short dispatch buffer: the relay, not a long FIFO in the broker, decides which
   * workspace goes next.
   */
  bufferPerWorker?: number;
  random?: () => number;
  /** How often the relay looks for due jobs when nothing woke it. */
  idlePollMs?: number;
  /**
   * How long a claimed job stays leased in the database; the worker renews leases of jobs it still
   * runs, so this bounds how soon a dead worker's jobs run again, not how long a job may take.
   */
  visibilityTimeoutMs?: number;
  /** How long a job handed to the broker may wait for a worker before the relay hands it over again. */
  resendAfterMs?: number;
  /** How many of the oldest due jobs the relay shares out round-robin across workspaces. */
  fairnessWindow?: number;
  workerId?: string;
  /**
   * Most `batch` jobs committed in one transaction (default 256 on PostgreSQL, as the embedded
   * claim; 64 on SQLite); the relay also hands a workspace's jobs of a `batch` kind to the broker in
   * sets of this size, one delivery each, when a pass holds one workspace's jobs, and in sets of at
   * most 64 when it holds several (see relay.ts). SQLite runs one transaction at a time, so a set
   * of 256 would hold up another workspace's set already delivered (the conformance case of a small
   * workspace behind a large backlog failed there: 379 of 400 first); PostgreSQL runs them side by side.
   */
  batchSize?: number;
  /** Broker and relay errors (connection loss, timeouts); the queue carries on and retries. */
  onError?: (error: unknown) => void;
}

/** Settings the outbox takes from an adapter: its broker and how long a broker call may take. */
export interface OutboxBrokerSettings {
  broker: Broker;
  /** Broker calls made while the relay holds a database transaction give up after this long. */
  brokerTimeoutMs: number;
}

/** A broker-backed queue, plus `close()` for its broker connections. */
export interface OutboxQueue extends Queue {
  /** Closes the broker connections; call after every `work()` has returned. */
  close(): Promise<void>;
}

/**
 * Passes each distinct error on at most once per 10 s: while the broker is away, every connection
 * reports every reconnection attempt.
 */
function throttled(report: (error: unknown) => void, clock: Clock): (error: unknown) => void {
  const last = new Map<string, number>();
  return (error) => {
    const key = error instanceof Error ? error.message : String(error);
    const now = clock.now();
    if (now - (last.get(key) ?? Number.NEGATIVE_INFINITY) < 10_000) return;
    if (last.size > 100) last.clear();
    last.set(key, now);
    report(error);
  };
}

/** The error reporter an adapter hands its broker: throttled like the outbox's own. */
export function brokerErrors(options: Pick<OutboxQueueOptions, 'onError' | 'clock'>) {
  return throttled(options.onError ?? (() => {}), options.clock);
}

/**
 * Queue port on a message broker with a transactional outbox: the `jobs` table stays the source of
 * truth (enqueue, retries, dead letters), the broker only dispatches. A relay moves due rows to the
 * broker, fairly across workspaces, one broker queue per pool; a worker claims the row in the
 * database before running it, so a job delivered twice, or delivered after it was done, has no
 * second effect.
 */
export function createOutboxQueue(options: OutboxQueueOptions, settings: OutboxBrokerSettings): OutboxQueue {
  const { store, clock, ids } = options;
  const { broker } = settings;
  const db = store.db;
  const visibilityMs = options.visibilityTimeoutMs ?? 15_000;
  const resendAfterMs = options.resendAfterMs ?? 60_000;
  const idlePollMs = options.idlePollMs ?? 250;
  const random = options.random ?? Math.random;
  const batchSize = options.batchSize ?? (store.dialect === 'postgres' ? 256 : 64);
  const workerId = options.workerId ?? `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  const onError = brokerErrors(options);
  const runner = createJobRunner({ store, clock, random, workerId, visibilityMs });
  const { alarms, methods } = createTableMethods(db, clock);
  const relay = createRelay({
    store,
    clock,
    broker,
    resendAfterMs,
    fairnessWindow: options.fairnessWindow,
    brokerTimeoutMs: settings.brokerTimeoutMs,
    setSize: batchSize,
  });
  const claims = createClaim({ store, clock, workerId, visibilityMs });

  /**
   * Runs one delivery. Never throws for a job's failure: retries and dead letters live in the rows.
   * `batch` jobs of one workspace delivered at about the same time share one transaction, and
   * different workspaces' batches run side by side (see delivery-batcher.ts).
   */
  async function deliver(
    delivery: Delivery,
    opts: WorkerOptions,
    alarm: Alarm,
    batched: (workspaceId: string, ids: readonly string[]) => Promise<void>,
  ): Promise<void> {
    try {
      if (unitOf(delivery.name) === 'batch') {
        await batched(delivery.workspaceId, jobIdsOf(delivery));
        return;
      }
      const row = await claims.claim(delivery.id);
      if (!row) return;
      if (unitOf(row.name) === 'batch') await runner.runBatch([row], opts);
      else await runner.runOne(row, opts);
    } finally {
      // A slot in the broker's buffer freed up.
      alarm.wake();
    }
  }

  return {
    enqueue: (unit, jobs) => insertJobs(dbOf(unit), jobs, { clock, ids }),

    async work(opts) {
      const pools = opts.pools ?? JOB_POOLS;
      const alarm = createAlarm();
      alarms.add(alarm);
      const batched = createWorkspaceBatchers(async (jobIds) => {
        const rows = await claims.claimMany(jobIds);
        if (rows.length > 0) await runner.runBatch(rows, opts);
      }, batchSize);
      const consumer = broker.consume({
        pools,
        concurrency: opts.concurrency,
        visibilityMs,
        deliver: (delivery) => deliver(delivery, opts, alarm, batched),
      });
      const stopHeartbeat = runner.startHeartbeat();
      let nextSweep = 0;
      try {
        while (!opts.signal.aborted) {
          try {
            if (clock.now() >= nextSweep) {
              await recoverExpired(db, clock.now(), ['active', 'sent']);
              nextSweep = clock.now() + Math.max(1000, Math.min(visibilityMs / 4, resendAfterMs, 15_000));
            }
            // A worker relays only the pools it runs: a pool nobody runs keeps its jobs in the database.
            // One read says which pools have anything due (one round trip on PostgreSQL, where a
            // read per pool cost one or two each, several times per workflow run).
            const due = pools.length > 1 ? await relay.duePools(pools) : null;
            for (const pool of pools) {
              // One pool's broker failure must not starve the pools after it in the pass: before,
              // a pool whose broker queue kept failing left every later pool's jobs queued for good
              // (docs/decisions/2026-12-06-workflow-round-trips-postgres.md, point 3).
              try {
                await relay.relay(pool, opts.concurrency * (options.bufferPerWorker ?? 4), {
                  ...(due ? { due: due.has(pool) } : {}),
                });
              } catch (error) {
                onError(error);
              }
            }
          } catch (error) {
            onError(error);
          }
          // Woken by new work (notify), a finished job (room in the buffer) or the poll interval.
          await alarm.sleep(idlePollMs, opts.signal);
        }
      } finally {
        alarms.delete(alarm);
        await consumer.stop();
        stopHeartbeat();
      }
    },

    ...methods,

    close: () => broker.close(),
  };
}
