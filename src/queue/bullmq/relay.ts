import type { Queue as BullQueue } from 'bullmq';
import { asScheduler, type Clock } from '../../core/index.ts';
import type { Store } from '../../store/index.ts';
import { fixedChunks } from '../../store/index.ts';
import { fairDueIds, fairOrder, type JobStatus } from '../job-rows.ts';

/** What Redis holds of a job: ids only. The payload stays in the database row. */
export interface RelayedJob {
  id: string;
  workspaceId: string;
  name: string;
}

export interface RelayOptions {
  store: Store;
  clock: Clock;
  /** The BullMQ queue to hand jobs to, and whether its connection is up right now. */
  producer: () => { ready: boolean; queue: BullQueue<RelayedJob, void, string> };
  resendAfterMs: number;
  fairnessWindow?: number | undefined;
  redisTimeoutMs: number;
}

export interface Relay {
  /**
   * Tops the Redis buffer up to `bound` waiting jobs with due rows, fairly across workspaces, once
   * it has drained to half (so relaying costs one transaction per several jobs). Returns how many
   * jobs it handed over.
   */
  relay(bound: number): Promise<number>;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The outbox relay. In one transaction it picks due `queued` rows (skipping rows another relay has
 * locked, on PostgreSQL), adds them to BullMQ with the row id as job id, and marks them `sent`. If
 * the transaction does not commit after the add, the rows stay `queued` and are added again: BullMQ
 * ignores a job id it still holds, and a worker ignores a delivery whose row is not `sent`.
 */
export function createRelay(options: RelayOptions): Relay {
  const { store, clock, resendAfterMs, redisTimeoutMs } = options;
  const locks = store.dialect === 'postgres';
  return {
    async relay(bound) {
      const { ready, queue } = options.producer();
      // While Redis is away, jobs simply stay queued in the database (enqueue never needs Redis).
      if (!ready) return 0;
      const waiting = await withTimeout(queue.getWaitingCount(), redisTimeoutMs, 'redis getWaitingCount');
      if (waiting > bound / 2) return 0;
      const room = bound - waiting;
      return asScheduler(() =>
        store.transaction(async (trx) => {
          const now = clock.now();
          const fair = fairDueIds(trx, { now, limit: room, window: options.fairnessWindow });
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
            queue.addBulk(
              fairOrder(rows).map((row) => ({
                name: row.name,
                data: { id: row.id, workspaceId: row.workspace_id, name: row.name },
                // Redis keeps nothing once a delivery ends: the row records the outcome.
                opts: { jobId: row.id, removeOnComplete: true, removeOnFail: true },
              })),
            ),
            redisTimeoutMs,
            'redis addBulk',
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
