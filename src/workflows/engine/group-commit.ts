import type { Db, Store } from '../../store/index.ts';
import { withSavepoint } from '../../store/index.ts';

/** Runs a step's bookkeeping in a transaction shared with the other step jobs settling now. */
export type GroupCommit = <T>(fn: (trx: Db) => Promise<T>) => Promise<T>;

type Pending = {
  fn: (trx: Db) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
};

/**
 * Group commit for the step jobs of one process. A step that called out (HTTP, SMTP) records its
 * end in a transaction of its own, and with many runs in flight the commits, each waiting for the
 * disk, were most of a run's cost. Settles that arrive while a commit is under way wait for the next
 * one and share it: each runs in a savepoint of its own (one that throws undoes only its writes and
 * fails only its caller), and one commit makes all of them durable. A caller's promise settles only
 * after that commit, so nothing is reported done before it is stored; a failed commit fails every
 * caller of the group, whose jobs run again as after a crash.
 */
export function createGroupCommit(
  store: Pick<Store, 'transaction'>,
  options: { gatherMs?: number; maxGroup?: number } = {},
): GroupCommit {
  const gatherMs = options.gatherMs ?? 3;
  const maxGroup = options.maxGroup ?? 64;
  const waiting: Pending[] = [];
  let flushing = false;

  async function commitGroup(group: Pending[]): Promise<void> {
    if (group.length === 1) {
      const only = group[0] as Pending;
      await store.transaction((trx) => only.fn(trx)).then(only.resolve, only.reject);
      return;
    }
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      await store.transaction(async (trx) => {
        for (const pending of group)
          outcomes.push(
            await withSavepoint(trx, () => pending.fn(trx)).then(
              (value) => ({ ok: true, value }),
              (error: unknown) => ({ ok: false, value: error }),
            ),
          );
      });
    } catch (error) {
      for (const pending of group) pending.reject(error);
      return;
    }
    group.forEach((pending, i) => {
      const outcome = outcomes[i] as { ok: boolean; value: unknown };
      if (outcome.ok) pending.resolve(outcome.value);
      else pending.reject(outcome.value);
    });
  }

  async function flush(): Promise<void> {
    try {
      while (waiting.length > 0) await commitGroup(waiting.splice(0, maxGroup));
    } finally {
      flushing = false;
    }
  }

  return <T>(fn: (trx: Db) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      waiting.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (flushing) return;
      flushing = true;
      // A few milliseconds of gathering let the settles of the other jobs in flight join the group
      // (measured on the bench's workflow: with none, nearly every group held one settle).
      setTimeout(() => void flush(), gatherMs);
    });
}

/**
 * The commit step settles take on a store. SQLite has one writer, and each commit waits for the
 * disk, so settles share a commit (group commit above). PostgreSQL runs transactions of separate
 * connections side by side and already flushes the WAL of concurrent commits together; there, one
 * group at a time made every settle of the process wait behind the statement round trips of the
 * settles before it (measured: 14 ms a settle, groups of 3–14, in series), so each settle takes a
 * transaction of its own and runs alongside the others, as settles of separate worker processes do.
 */
export function createSettleCommit(store: Pick<Store, 'transaction' | 'dialect'>): GroupCommit {
  if (store.dialect === 'postgres') return (fn) => store.transaction(fn);
  return createGroupCommit(store);
}
