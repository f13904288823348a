import { asScheduler, type Clock } from '../../core/index.ts';
import type { JobsTable, Store } from '../../store/index.ts';
import { claimValues, type JobStatus } from '../job-rows.ts';

/**
 * Takes a delivered job's row: only a job handed to Redis (`sent`) or one whose previous worker's
 * lease ran out. Anything else (done, running elsewhere, re-queued) makes the delivery a no-op.
 * Committed before the job runs, so the attempt counts even if the process dies in it.
 */
export function createClaim(options: { store: Store; clock: Clock; workerId: string; visibilityMs: number }) {
  const { store, clock, workerId, visibilityMs } = options;
  const db = store.db;

  async function tryClaim(ids: string[]): Promise<JobsTable[]> {
    const now = clock.now();
    return asScheduler(() =>
      db
        .updateTable('jobs')
        .set(claimValues(now, visibilityMs, workerId))
        .where('id', 'in', ids)
        .where((eb) =>
          eb.or([
            eb('status', '=', 'sent' satisfies JobStatus),
            eb.and([eb('status', '=', 'active' satisfies JobStatus), eb('locked_until', '<', now)]),
          ]),
        )
        .returningAll()
        .execute(),
    );
  }

  /** Claims delivered jobs in one statement; returns the rows taken (missing ones: no-op deliveries). */
  async function claimMany(ids: string[]): Promise<JobsTable[]> {
    const taken = await tryClaim(ids);
    if (taken.length === ids.length || store.dialect !== 'postgres') return taken;
    // A broker can deliver before the relay's transaction commits the hand-over, and an update does not
    // wait for a row whose committed version does not match. Waiting for the relay's row lock and
    // trying again settles it: `sent` if the relay committed, still `queued` if it rolled back.
    const got = new Set(taken.map((r) => r.id));
    const missing = ids.filter((id) => !got.has(id));
    // One wait for the lot (a set is handed over in one relay transaction), then one more try.
    await asScheduler(() =>
      db.selectFrom('jobs').select('id').where('id', 'in', missing).forUpdate().execute(),
    );
    taken.push(...(await tryClaim(missing)));
    return taken;
  }

  return {
    claimMany,
    async claim(id: string): Promise<JobsTable | undefined> {
      return (await claimMany([id]))[0];
    },
  };
}
