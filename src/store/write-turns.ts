/**
 * How two threads of one process that share a SQLite file take turns at its one write lock: the
 * HTTP thread (group commits of accepted submissions: a request waits for them) goes first, the
 * worker thread (pipeline sets: nobody waits on one) yields to it, but only for so long: once the
 * worker has waited `patienceMs` it says so, and the HTTP thread lets it have the next turn. A
 * request's commit then waits at most for one pipeline set, whose size the worker bounds to a
 * time budget (queue/embedded), and the pipeline keeps a share of the lock however steadily
 * requests arrive. See docs/decisions/2026-12-06-write-lock-turns.md.
 */
export interface WriteTurns {
  /** Before each try for the lock (again after a busy try); resolves when this thread may try. */
  before(): Promise<void> | void;
  /** Once the transaction holds the lock (or gave up trying); `busyTries`: tries that found it taken. */
  after(busyTries: number): void;
  /** Milliseconds this side has waited for the lock so far (its share of WriteTurnsStats.waitMs). */
  waitedMs(): number;
}

/** What each side's turns cost it, since the memory was created (for /metrics and bench:ingest). */
export interface WriteTurnsStats {
  /** Transactions that got the lock. */
  turns: number;
  /** Tries that found the lock taken (each one costs a millisecond's wait). */
  busyTries: number;
  /** Total milliseconds from the first `before` to holding the lock. */
  waitMs: number;
  /** Turns the worker asked for after its patience ran out (worker side only). */
  claimed: number;
}

/** Int32 slots of the shared buffer. */
const WANTING = 0;
/** The worker has waited its patience: the HTTP thread lets it go next. */
const WORKER_DUE = 1;
const INT_SLOTS = 2;
/** Float64 counters after the Int32 slots: per role, STAT_FIELDS each (written only by that role). */
const STAT_FIELDS = 4;
const ROLES = ['first', 'yielding'] as const;
const STATS_OFFSET = 8 * Math.ceil((INT_SLOTS * Int32Array.BYTES_PER_ELEMENT) / 8);

/** The memory both threads' turns read; pass it to the worker thread (it is shared, not copied). */
export function createWriteTurnsMemory(): SharedArrayBuffer {
  return new SharedArrayBuffer(STATS_OFFSET + ROLES.length * STAT_FIELDS * Float64Array.BYTES_PER_ELEMENT);
}

function statsView(memory: SharedArrayBuffer, role: (typeof ROLES)[number]): Float64Array {
  return new Float64Array(memory, STATS_OFFSET + ROLES.indexOf(role) * STAT_FIELDS * 8, STAT_FIELDS);
}

/** Both sides' counters (a snapshot; each side writes only its own). */
export function writeTurnsStats(memory: SharedArrayBuffer): Record<'http' | 'worker', WriteTurnsStats> {
  const read = (role: (typeof ROLES)[number]): WriteTurnsStats => {
    const [turns = 0, busyTries = 0, waitMs = 0, claimed = 0] = statsView(memory, role);
    return { turns, busyTries, waitMs, claimed };
  };
  return { http: read('first'), worker: read('yielding') };
}

export interface WriteTurnsOptions {
  /**
   * `yielding` only: how long the worker waits for the HTTP thread to stop wanting the lock before
   * it claims the next turn. Short enough that the pipeline keeps up while requests arrive
   * steadily; the cost to a request is one pipeline set (its budget), not this.
   */
  patienceMs?: number;
  /** `first` only: the longest the HTTP thread holds back for a claimed turn (a dead worker's claim lapses). */
  maxHoldBackMs?: number;
  now?: () => number;
}

/**
 * `first`: says it wants the lock while it tries for it, and holds back while the worker has
 * claimed a turn. `yielding`: does not try while the other thread wants it, until it has waited
 * `patienceMs`; then it claims the next turn and tries regardless.
 */
export function createWriteTurns(
  memory: SharedArrayBuffer,
  role: 'first' | 'yielding',
  options: WriteTurnsOptions = {},
): WriteTurns {
  const cells = new Int32Array(memory, 0, INT_SLOTS);
  const stats = statsView(memory, role);
  const now = options.now ?? (() => performance.now());
  /** When this side's current acquisition began (its first `before`), or null between them. */
  let since: number | null = null;
  const settle = (busyTries: number) => {
    if (since === null) return;
    stats[0] = (stats[0] ?? 0) + 1;
    stats[1] = (stats[1] ?? 0) + busyTries;
    stats[2] = (stats[2] ?? 0) + (now() - since);
    since = null;
  };
  if (role === 'first') {
    const maxHoldBackMs = options.maxHoldBackMs ?? 50;
    // One connection per thread and one BEGIN at a time on it: a retry's `before` counts once.
    let wanting = false;
    return {
      async before() {
        since ??= now();
        if (Atomics.load(cells, WORKER_DUE) === 1) {
          // The worker's turn: stop wanting (so it tries) until it holds the lock.
          if (wanting) {
            wanting = false;
            Atomics.sub(cells, WANTING, 1);
          }
          const wait = Atomics.waitAsync(cells, WORKER_DUE, 1, maxHoldBackMs);
          if (wait.async) await wait.value;
          // Lapsed (the worker died or stalls between its claim and its BEGIN): take the lock back.
          Atomics.store(cells, WORKER_DUE, 0);
        }
        if (wanting) return;
        wanting = true;
        Atomics.add(cells, WANTING, 1);
      },
      after(busyTries) {
        settle(busyTries);
        if (!wanting) return;
        wanting = false;
        Atomics.sub(cells, WANTING, 1);
        Atomics.notify(cells, WANTING);
      },
      waitedMs: () => stats[2] ?? 0,
    };
  }
  const patienceMs = options.patienceMs ?? 5;
  return {
    async before() {
      since ??= now();
      for (;;) {
        if (Atomics.load(cells, WORKER_DUE) === 1) return;
        // Checked before the count too: while the HTTP thread holds the lock it no longer counts as
        // wanting it, and its next group commit follows at once, so a worker that only waited for
        // the count to drop would retry into held locks for as long as requests arrive.
        const left = patienceMs - (now() - since);
        if (left <= 0) {
          Atomics.store(cells, WORKER_DUE, 1);
          stats[3] = (stats[3] ?? 0) + 1;
          return;
        }
        const wanting = Atomics.load(cells, WANTING);
        if (wanting === 0) return;
        const wait = Atomics.waitAsync(cells, WANTING, wanting, left);
        if (wait.async) await wait.value;
      }
    },
    after(busyTries) {
      settle(busyTries);
      if (Atomics.compareExchange(cells, WORKER_DUE, 1, 0) === 1) Atomics.notify(cells, WORKER_DUE);
    },
    waitedMs: () => stats[2] ?? 0,
  };
}
