/**
 * How two threads of one process that share a SQLite file take turns at its one write lock: the
 * HTTP thread (group commits of accepted submissions: a request waits for them) goes first, the
 * worker thread (pipeline sets: nobody waits on one) yields to it. See
 * docs/decisions/2026-12-06-worker-thread.md.
 */
export interface WriteTurns {
  /** Before each try for the lock (again after a busy try); resolves when this thread may try. */
  before(): Promise<void> | void;
  /** Once the transaction holds the lock (or gave up trying). */
  after(): void;
}

/** Int32 slots of the shared buffer. */
const WANTING = 0;
const SLOTS = 1;

/** The memory both threads' turns read; pass it to the worker thread (it is shared, not copied). */
export function createWriteTurnsMemory(): SharedArrayBuffer {
  return new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT);
}

/**
 * `first`: says it wants the lock while it tries for it. `yielding`: does not try while the other
 * thread wants it (it waits for the count to drop, at most `maxWaitMs` at a time, then looks again),
 * so a worker that commits set after set cannot take the lock back before a waiting request's
 * commit gets it.
 */
export function createWriteTurns(
  memory: SharedArrayBuffer,
  role: 'first' | 'yielding',
  maxWaitMs = 50,
): WriteTurns {
  const cells = new Int32Array(memory);
  if (role === 'first') {
    // One connection per thread and one BEGIN at a time on it: a retry's `before` counts once.
    let wanting = false;
    return {
      before() {
        if (wanting) return;
        wanting = true;
        Atomics.add(cells, WANTING, 1);
      },
      after() {
        if (!wanting) return;
        wanting = false;
        Atomics.sub(cells, WANTING, 1);
        Atomics.notify(cells, WANTING);
      },
    };
  }
  return {
    async before() {
      for (;;) {
        const wanting = Atomics.load(cells, WANTING);
        if (wanting === 0) return;
        const wait = Atomics.waitAsync(cells, WANTING, wanting, maxWaitMs);
        if (wait.async) await wait.value;
      }
    },
    after() {},
  };
}
