import { asScheduler, type Clock, LeadloopError } from '../../core/index.ts';
import type { Db, Store } from '../../store/index.ts';
import { fixedChunks } from '../../store/index.ts';
import { type JobName, type JobPool, jobCatalog, jobNamesOf } from '../catalog.ts';
import { fairDueIds, fairOrder, inPick, type JobStatus } from '../job-rows.ts';
import type { Broker, Delivery } from './broker.ts';

export interface RelayOptions {
  store: Store;
  clock: Clock;
  broker: Broker;
  resendAfterMs: number;
  fairnessWindow?: number | undefined;
  /** Broker calls made while the relay holds a database transaction give up after this long. */
  brokerTimeoutMs: number;
  /**
   * Most jobs of one `batch` kind and one workspace handed over in one delivery when a pass holds
   * one workspace's jobs (default 256).
   */
  setSize?: number | undefined;
  /**
   * The same when a pass holds several workspaces' jobs (default 64, at most `setSize`): a smaller
   * set, so a small workspace is not held behind a large one's sets.
   */
  sharedSetSize?: number | undefined;
}

export interface Relay {
  /**
   * Tops a pool's broker buffer up to `bound` waiting jobs with due rows, fairly across
   * workspaces, once it has drained to half (so relaying costs one transaction per several jobs).
   * A pool of `batch` kinds is handed over in sets (one delivery per set), and its buffer holds at
   * least two sets. Returns how many jobs it handed over.
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

/** Whether every kind of a pool commits its effects with its acknowledgement, so it can go in sets. */
const setPool = (pool: JobPool): boolean =>
  jobNamesOf([pool]).every((name) => jobCatalog[name].unitOfWork === 'batch');

/**
 * Deliveries for rows in fair order. Rows of a `batch` kind go in sets of one kind and one
 * workspace, up to `setSize`, each placed where its first row falls in the fair order; other rows
 * are a delivery each.
 */
function deliveriesOf(
  rows: readonly { id: string; workspace_id: string; name: string; run_at: number }[],
  setSize: number,
): Delivery[] {
  const made: { delivery: Delivery; key: string }[] = [];
  const open = new Map<string, string[]>();
  for (const row of fairOrder(rows)) {
    const key = `${row.name}\u0000${row.workspace_id}`;
    if (jobCatalog[row.name as JobName]?.unitOfWork !== 'batch' || setSize <= 1) {
      made.push({ delivery: { id: row.id, workspaceId: row.workspace_id, name: row.name }, key });
      continue;
    }
    const set = open.get(key);
    if (set && set.length < setSize) {
      set.push(row.id);
      continue;
    }
    const fresh = [row.id];
    open.set(key, fresh);
    made.push({ delivery: { id: row.id, workspaceId: row.workspace_id, name: row.name, ids: fresh }, key });
  }
  // A set of one is an ordinary delivery.
  return made.map(({ delivery: d }) =>
    d.ids && d.ids.length === 1 ? { id: d.id, workspaceId: d.workspaceId, name: d.name } : d,
  );
}

const severalWorkspaces = (rows: readonly { workspace_id: string }[]): boolean =>
  rows.some((row) => row.workspace_id !== rows[0]?.workspace_id);

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
 * relay has locked, on PostgreSQL), hands them to the broker by row id (a `batch` kind's rows in
 * sets, see `deliveriesOf`), and marks them `sent`.
 * If the transaction does not commit after the hand-over, the rows stay `queued` and are handed over
 * again: a worker ignores a delivery whose row is not `sent` (or whose lease it does not hold).
 */
export function createRelay(options: RelayOptions): Relay {
  const { store, clock, broker, resendAfterMs, brokerTimeoutMs } = options;
  const locks = store.dialect === 'postgres';
  const setSize = options.setSize ?? 256;
  const sharedSetSize = Math.min(setSize, options.sharedSetSize ?? 64);
  /** Pools whose last pass filled its room: the next pass skips the read that asks whether any is due. */
  const backlogged = new Set<JobPool>();
  return {
    duePools: (pools) => asScheduler(() => duePoolsIn(store.db, pools, clock.now())),
    async relay(pool, bound, relayOptions) {
      if (relayOptions?.due === false) return 0;
      // While the broker is away, jobs simply stay queued in the database (enqueue never needs it).
      if (!broker.ready()) return 0;
      const waiting = await withTimeout(broker.waiting(pool), brokerTimeoutMs, `broker waiting(${pool})`);
      // The broker counts deliveries; a set pool's deliveries hold up to `setSize` jobs each.
      const sets = setPool(pool);
      const roomFor = (perDelivery: number) => {
        const deliveriesBound = Math.max(perDelivery > 1 ? 2 : 1, Math.ceil(bound / perDelivery));
        return { open: waiting <= deliveriesBound / 2, jobs: (deliveriesBound - waiting) * perDelivery };
      };
      const room = roomFor(sets ? setSize : 1);
      if (!room.open) return 0;
      // A pass relays every pool, and most passes find most pools with nothing due: a plain read
      // says so without a transaction (nor, on SQLite, the write lock). Each pool's transaction
      // made a pass over six pools take 114 ms at the median on a loaded PostgreSQL, and a job
      // enqueued mid-pass waits for the next one. A job committed after this read wakes the relay
      // again (notify), as one committed after the transaction's read did.
      // After a pass that filled its room the pool has a backlog, and the read would only say so
      // (a round trip on PostgreSQL, two when the connection's session held another scope): skipped.
      if (
        relayOptions?.due !== true &&
        !backlogged.has(pool) &&
        !(await asScheduler(() => anyDue(store.db, pool, clock.now())))
      )
        return 0;
      backlogged.delete(pool);
      return asScheduler(() =>
        store.transaction(async (trx) => {
          const now = clock.now();
          const fair = fairDueIds(trx, {
            now,
            limit: room.jobs,
            names: jobNamesOf([pool]),
            window: options.fairnessWindow,
          });
          const picked = await trx
            .selectFrom('jobs')
            .select(['id', 'workspace_id', 'name', 'run_at'])
            // See the embedded claim: rows are locked one level above the window function.
            .$if(locks, (q) =>
              q
                .where(inPick(fair))
                .where('status', '=', 'queued' satisfies JobStatus)
                .forUpdate()
                .skipLocked(),
            )
            .$if(!locks, (q) => q.where('id', 'in', fair))
            .execute();
          if (picked.length === 0) return 0;
          if (picked.length === room.jobs) backlogged.add(pool);
          // Several workspaces in the pass: sets of `sharedSetSize`, and only the rows those sets'
          // room holds, first in fair order (what a pass at that set size would have picked); the
          // others stay queued, unlocked at commit.
          const shared = sets && sharedSetSize < setSize && severalWorkspaces(picked);
          const rows = shared ? fairOrder(picked).slice(0, roomFor(sharedSetSize).jobs) : picked;
          if (rows.length === 0) return 0;
          await withTimeout(
            broker.publish(pool, deliveriesOf(rows, shared ? sharedSetSize : setSize)),
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
