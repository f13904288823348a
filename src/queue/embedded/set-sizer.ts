/**
 * How many claimed jobs the embedded queue runs in one transaction (a set) while requests arrive.
 *
 * A set costs a fixed part (begin, the commit's fsync, the per-set lookups of each stage, page
 * reads after the other connection's commit reset SQLite's cache) plus a part per job. Sizing sets
 * by the average time per job counted the fixed part against every job: once it alone exceeded the
 * budget, sets stayed at one job for as long as requests arrived (measured under bench:ingest: 170
 * sets of one, 9.3 CPU ms each, during a 1,500/s load; docs/decisions/2026-12-06-worker-set-size.md).
 * So the time of a set is fitted as `fixed + perJob × jobs` (least squares, recent sets weighing
 * most), and the size is what fits the budget after the fixed part.
 *
 * The budget bounds how long the set holds what requests wait for (the write lock, or the event
 * loop inline). Letting a backlog grow sets past it (a floor doubling at each full claim) was
 * tried and dropped: on a loaded machine the worker thread, then at niceness 10, held the lock while
 * descheduled, and acceptance fell by half.
 */
export interface SetSizer {
  /** The size of the next set while requests arrive. */
  size(): number;
  /** A set of `jobs` took `ms` (the time it held the lock, not the time it waited for it). */
  observe(jobs: number, ms: number): void;
}

export interface SetSizerOptions {
  /** Target time of a set while requests arrive. */
  budgetMs: number;
  /** Smallest set while requests arrive. */
  minSize: number;
  /** Largest set while requests arrive. */
  maxSize: number;
}

/** Weight of the previous sets against the newest in the fit. */
const DECAY = 0.95;

export function createSetSizer(options: SetSizerOptions): SetSizer {
  const { budgetMs, minSize, maxSize } = options;
  // Exponentially weighted sums for the least-squares line ms = fixed + perJob × jobs.
  let w = 0;
  let sn = 0;
  let st = 0;
  let snn = 0;
  let snt = 0;
  return {
    size() {
      if (w === 0) return minSize;
      const variance = w * snn - sn * sn;
      const slope = variance > 1e-9 * w * snn ? (w * snt - sn * st) / variance : 0;
      // No spread in sizes yet (or a fit that says bigger sets are cheaper): the average per job,
      // which is conservative, as the fixed part counts against every job.
      const perJob = slope > 0 ? slope : st / Math.max(sn, 1);
      const fixed = slope > 0 ? Math.max(0, (st - slope * sn) / w) : 0;
      const fits = Math.floor((budgetMs - fixed) / Math.max(perJob, 1e-3));
      return Math.min(maxSize, Math.max(minSize, fits));
    },
    observe(jobs, ms) {
      if (jobs <= 0) return;
      w = DECAY * w + 1;
      sn = DECAY * sn + jobs;
      st = DECAY * st + ms;
      snn = DECAY * snn + jobs * jobs;
      snt = DECAY * snt + jobs * ms;
    },
  };
}
