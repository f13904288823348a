/**
 * Group commit for deliveries: a broker hands deliveries over one at a time, but `batch` jobs of one
 * workspace all take that workspace's audit-chain head, so one transaction per delivery serialises
 * them on its lock (measured: about 150 jobs/s per workspace on PostgreSQL). Deliveries that arrive
 * while a batch runs wait and go together into the next one: one transaction, one lock, one disk
 * flush. A delivery may carry a set of jobs; it is never split, and a batch takes further deliveries
 * while it stays within `maxBatch` jobs. Each delivery resolves once the batch holding it has settled.
 */
export function createDeliveryBatcher(
  run: (ids: string[]) => Promise<void>,
  maxBatch: number,
): (ids: string | readonly string[]) => Promise<void> {
  let waiting: { ids: readonly string[]; resolve(): void; reject(error: unknown): void }[] = [];
  let running = false;

  /** The next batch: the first waiting delivery, then more while they fit in `maxBatch` jobs. */
  function take(): typeof waiting {
    let jobs = 0;
    let n = 0;
    for (const delivery of waiting) {
      if (n > 0 && jobs + delivery.ids.length > maxBatch) break;
      jobs += delivery.ids.length;
      n++;
    }
    const batch = waiting.slice(0, n);
    waiting = waiting.slice(n);
    return batch;
  }

  async function drain(): Promise<void> {
    running = true;
    try {
      while (waiting.length > 0) {
        const batch = take();
        try {
          await run(batch.flatMap((d) => d.ids));
          for (const d of batch) d.resolve();
        } catch (error) {
          for (const d of batch) d.reject(error);
        }
      }
    } finally {
      running = false;
    }
  }

  return (ids) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ ids: typeof ids === 'string' ? [ids] : ids, resolve, reject });
      // setImmediate lets the deliveries BullMQ is handing over right now join this batch.
      if (!running && waiting.length === 1) setImmediate(() => void drain());
    });
}

/**
 * One batcher per workspace: batches of different workspaces run side by side (each takes only its
 * own workspace's audit-chain head), while one workspace's deliveries still group together.
 */
export function createWorkspaceBatchers(
  run: (ids: string[]) => Promise<void>,
  maxBatch: number,
): (workspaceId: string, ids: string | readonly string[]) => Promise<void> {
  const batchers = new Map<
    string,
    { add: (ids: string | readonly string[]) => Promise<void>; pending: number }
  >();
  return (workspaceId, ids) => {
    let entry = batchers.get(workspaceId);
    if (!entry) {
      entry = { add: createDeliveryBatcher(run, maxBatch), pending: 0 };
      batchers.set(workspaceId, entry);
    }
    const current = entry;
    current.pending++;
    return current.add(ids).finally(() => {
      // Forget idle workspaces, so the map holds only those with deliveries in flight.
      if (--current.pending === 0 && batchers.get(workspaceId) === current) batchers.delete(workspaceId);
    });
  };
}
