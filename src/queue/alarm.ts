/**
 * Lets a polling loop sleep until it is woken or its poll interval passes. A wake-up that arrives
 * while the loop is busy is kept, so the next sleep returns at once instead of missing new work.
 */
export interface Alarm {
  wake(): void;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export function createAlarm(): Alarm {
  let pending = false;
  let ring: (() => void) | null = null;
  return {
    wake() {
      if (ring) ring();
      else pending = true;
    },
    sleep(ms, signal) {
      if (pending || signal.aborted) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          ring = null;
          resolve();
        }
        ring = done;
        signal.addEventListener('abort', done, { once: true });
      });
    },
  };
}
