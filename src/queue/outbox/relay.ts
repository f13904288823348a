import { asScheduler, type Clock, LeadloopError } from '../../core/index.ts';
import type { Db, Store } from '../../store/index.ts';
import { fixedChunks } from '../../store/index.ts';
import { type JobPool, jobNamesOf } from '../catalog.ts';
import { fairDueIds, fairOrder, type JobStatus } from '../job-rows.ts';
import type { Broker } from './broker.ts';

export interface RelayOptions {
  store: Store;
  clock: Clock;
  broker: Broker;
  resendAfterMs: number;
  fairnessWindow?: number | undefined;
  /** Broker calls made while the relay holds a database transaction give up after this long. */
  brokerTimeoutMs: number;
}

export interface Relay {
  /**
   * Tops a pool's broker buffer up to `bound` waiting deliveries with due rows, fairly across
   * workspaces, once it has drained to half (so relaying costs one transaction per several jobs).
   * Returns how many jobs it handed over.
   */
  relay(pool: JobPool, bound: number, options?: { due?: boolean }): Promise<number>;
  /**
   * The pools among `pools` with a queued job that is due, in one statement: a pass asks once
   * instead of once per pool, and gives each `relay` call the answer (`due`).
   */
  duePools(pools: readonly JobPool[]): Promise<Set<JobPool>>;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new LeadloopError('unavailable', `${what} timed out after ${ms} ms`, { retryable: true })),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Whether a pool has a queued job that is due (the jobs_due_by_name index answers it). */
async function anyDue(db: Db, pool: JobPool, now: number): Promise<boolean> {
  const row = await db
    .selectFrom('jobs')
    .select('id')
    .where('status', '=', 'queued' satisfies JobStatus)
    .where('name', 'in', jobNamesOf([pool]))
    .where('run_at', '<=', now)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Which of `pools` have a queued job that is due: one `exists` per pool, one statement. */
async function duePoolsIn(db: Db, pools: readonly JobPool[], now: number): Promise<Set<JobPool>> {
  if (pools.length === 0) return new Set();
  const row = await db
    .selectNoFrom((eb) =>
      pools.map((pool, i) =>
        eb
          .exists(
            eb
              .selectFrom('jobs')
              .select('id')
              .where('status', '=', 'queued' satisfies JobStatus)
              .where('name', 'in', jobNamesOf([pool]))
              .where('run_at', '<=', now)
              .limit(1),
          )
          .as(`p${i}`),
      ),
    )
    .executeTakeFirstOrThrow();
  const flags = row as Record<string, unknown>;
  // SQLite answers 1/0, PostgreSQL true/false.
  return new Set(
    pools.filter((_, i) => {
      const flag = flags[`p${i}`];
      return flag === true || Number(flag) === 1;
    }),
  );
}

/**
 * The outbox relay. In one transaction it picks due `queued` rows of a pool (skipping rows another
 * relay has locked, on PostgreSQL), hands them to the broker with the row id, and marks them `sent`.
 * If the transaction does not commit after the hand-over, the rows stay `queued` and are handed over
 * again: a worker ignores a delivery whose row is not `sent` (or whose lease it does not hold).
 */
export function createRelay(options: RelayOptions): Relay {
  const { store, clock, broker, resendAfterMs, brokerTimeoutMs } = options;
  const locks = store.dialect === 'postgres';
  return {
    duePools: (pools) => asScheduler(() => duePoolsIn(store.db, pools, clock.now())),
    async relay(pool, bound, relayOptions) {
      if (relayOptions?.due === false) return 0;
      // While the broker is away, jobs simply stay queued in the database (enqueue never needs it).
      if (!broker.ready()) return 0;
      const waiting = await withTimeout(broker.waiting(pool), brokerTimeoutMs, `broker waiting(${pool})`);
      if (waiting > bound / 2) return 0;
      const room = bound - waiting;
      // A pass relays every pool, and most passes find most pools with nothing due: a plain read
      // says so without a transaction (nor, on SQLite, the write lock). Each pool's transaction
      // made a pass over six pools take 114 ms at the median on a loaded PostgreSQL, and a job
      // enqueued mid-pass waits for the next one. A job committed after this read wakes the relay
      // again (notify), as one committed after the transaction's read did.
      if (relayOptions?.due !== true && !(await asScheduler(() => anyDue(store.db, pool, clock.now()))))
        return 0;
      return asScheduler(() =>
        store.transaction(async (trx) => {
          const now = clock.now();
          const fair = fairDueIds(trx, {
            now,
            limit: room,
            names: jobNamesOf([pool]),
            window: options.fairnessWindow,
          });
          const rows = await trx
            .selectFrom('jobs')
            .select(['id', 'workspace_id', 'name', 'run_at'])
            .where('id', 'in', fair)
            // See the embedded claim: rows are locked one level above the window function.
            .$if(locks, (q) =>
              q
                .where('status', '=', 'queued' satisfies JobStatus)
                .forUpdate()
                .skipLocked(),
            )
            .execute();
          if (rows.length === 0) return 0;
          await withTimeout(
            broker.publish(
              pool,
              fairOrder(rows).map((row) => ({ id: row.id, workspaceId: row.workspace_id, name: row.name })),
            ),
            brokerTimeoutMs,
            `broker publish(${pool})`,
          );
          for (const chunk of fixedChunks(rows.map((row) => row.id)))
            await trx
              .updateTable('jobs')
              .set({
                status: 'sent' satisfies JobStatus,
                locked_until: now + resendAfterMs,
                locked_by: null,
                updated_at: now,
              })
              .where('id', 'in', chunk)
              .execute();
          return rows.length;
        }),
      );
    },
  };
}
