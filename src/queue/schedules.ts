import { sql } from 'kysely';
import { asScheduler, type Clock, sleep } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import type { JobName, JobPayload } from './catalog.ts';
import type { Queue } from './port.ts';

/**
 * A periodic job per workspace: every workspace gets a due row of this name, and each time the row
 * is due one job of `job` is enqueued with `{ slot }`, the due time it stands for.
 */
export interface PeriodicJob<N extends JobName = JobName> {
  /** The schedule's name; one row per workspace and name. */
  name: string;
  job: N;
  everyMs: number;
  /**
   * When a workspace's first slot falls, from the moment its row is added (default 0: at once).
   * A daily sweep waits a day, so a fresh process does not sweep every workspace on boot.
   */
  firstRunAfterMs?: number;
  payload: (slot: number) => JobPayload<N>;
}

export interface Schedules {
  /**
   * Adds a due row for every workspace that has none (due at once). Cheap to repeat: new
   * workspaces are picked up on the next call.
   */
  ensureForAllWorkspaces(periodic: PeriodicJob): Promise<number>;
  /**
   * Enqueues one job for every due row and moves the row to its next slot, in one transaction per
   * row: the move is a compare-and-set on the due time, so when several processes tick at once only
   * one enqueues (the others' updates find the row moved). Missed slots (the process was down) are
   * not replayed one by one: the row jumps to the next slot after now, and the job that runs says
   * which slot it stands for. Returns how many jobs were enqueued.
   */
  tick(): Promise<number>;
  /** Ticks every `everyMs` until the signal aborts, ensuring the periodic jobs first each time. */
  run(options: { periodic: readonly PeriodicJob[]; everyMs: number; signal: AbortSignal }): Promise<void>;
}

export function createSchedules(options: {
  store: Store;
  queue: Queue;
  clock: Clock;
  onError?: (error: unknown) => void;
}): Schedules {
  const { store, queue, clock } = options;
  const payloads = new Map<string, PeriodicJob['payload']>();

  async function ensure(periodic: PeriodicJob): Promise<number> {
    payloads.set(periodic.name, periodic.payload);
    const now = clock.now();
    const first = now + (periodic.firstRunAfterMs ?? 0);
    // Workspaces are a directory table (no row-level security); schedules admit the scheduler.
    const result = await asScheduler(() =>
      store.db
        .insertInto('schedules')
        .columns(['workspace_id', 'name', 'job', 'every_ms', 'next_run_at', 'last_run_at', 'runs'])
        .expression((eb) =>
          eb
            .selectFrom('workspaces')
            .select([
              'workspaces.id',
              sql.lit(periodic.name).as('name'),
              sql.lit(periodic.job).as('job'),
              sql.lit(periodic.everyMs).as('every_ms'),
              sql.lit(first).as('next_run_at'),
              sql.lit(null).as('last_run_at'),
              sql.lit(0).as('runs'),
            ])
            .where(({ not, exists, selectFrom }) =>
              not(
                exists(
                  selectFrom('schedules')
                    .select('schedules.workspace_id')
                    .whereRef('schedules.workspace_id', '=', 'workspaces.id')
                    .where('schedules.name', '=', periodic.name),
                ),
              ),
            ),
        )
        .onConflict((oc) => oc.columns(['workspace_id', 'name']).doNothing())
        .executeTakeFirst(),
    );
    return Number(result.numInsertedOrUpdatedRows ?? 0);
  }

  async function tick(): Promise<number> {
    const now = clock.now();
    const due = await asScheduler(() =>
      store.db
        .selectFrom('schedules')
        .select(['workspace_id', 'name', 'job', 'every_ms', 'next_run_at'])
        .where('next_run_at', '<=', now)
        .orderBy('next_run_at')
        .limit(500)
        .execute(),
    );
    let enqueued = 0;
    for (const row of due) {
      const payload = payloads.get(row.name);
      if (!payload) continue;
      const slot = Number(row.next_run_at);
      const every = Number(row.every_ms);
      const next = slot + every * Math.max(1, Math.floor((now - slot) / every) + 1);
      const won = await asScheduler(() =>
        store.transaction(async (trx) => {
          const moved = await trx
            .updateTable('schedules')
            .set({ next_run_at: next, last_run_at: now, runs: sql<number>`runs + 1` })
            .where('workspace_id', '=', row.workspace_id)
            .where('name', '=', row.name)
            .where('next_run_at', '=', slot)
            .executeTakeFirst();
          if (Number(moved.numUpdatedRows) !== 1) return false;
          await queue.enqueue(trx, [
            {
              name: row.job as JobName,
              workspaceId: row.workspace_id,
              payload: payload(slot) as JobPayload<JobName>,
            },
          ]);
          return true;
        }),
      );
      if (won) enqueued += 1;
    }
    if (enqueued > 0) queue.notify();
    return enqueued;
  }

  return {
    ensureForAllWorkspaces: ensure,
    tick,
    async run({ periodic, everyMs, signal }) {
      while (!signal.aborted) {
        try {
          for (const p of periodic) await ensure(p);
          await tick();
        } catch (error) {
          options.onError?.(error);
        }
        await sleep(everyMs, signal).catch(() => undefined);
      }
    },
  };
}
