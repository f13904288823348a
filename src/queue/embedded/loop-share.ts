/**
 * How long the inline worker leaves the event loop to requests after a set, as a multiple of the
 * set's own time. Requests come first (3×: a quarter of the loop for the sets) while the pipeline
 * keeps up; while claims come back full (a backlog), the multiple falls step by step to 0.25 (four
 * fifths for the sets), so acceptance slows to what the process can also process instead of the
 * backlog growing for as long as the load lasts, and it rises again once the backlog is gone.
 */
export function createLoopShare() {
  const most = 3;
  const least = 0.25;
  const step = 0.9;
  let factor = most;
  return {
    observe(behind: boolean): void {
      factor = behind ? Math.max(least, factor * step) : Math.min(most, factor / step);
    },
    pause: (elapsedMs: number): number => factor * elapsedMs,
    get factor(): number {
      return factor;
    },
  };
}
