/**
 * Page-Hinkley change detector on a stream of numbers (Page 1954), in the form river uses:
 * a cumulative sum of deviations from the running mean, less a tolerance `delta`, floored at zero,
 * optionally faded by `alpha`. It alarms when the sum reaches `threshold` after `minInstances`
 * values, then starts afresh.
 *
 * `mode` picks the side: river's detector once watched only increases (river#810); a loop that
 * guards conversion or qualification needs `down`.
 */
export type DetectorMode = 'up' | 'down' | 'both';

export interface PageHinkleyOptions {
  minInstances: number;
  delta: number;
  threshold: number;
  alpha: number;
  mode: DetectorMode;
}

/** Serialisable state, checkpointed so a restart neither resets nor fires. */
export interface PageHinkleyState {
  n: number;
  mean: number;
  up: number;
  down: number;
}

export interface PageHinkley {
  /** Adds one value; true when a change is detected (the detector then restarts). */
  update(x: number): boolean;
  /** The larger of the two one-sided statistics, for evidence. */
  statistic(): number;
  state(): PageHinkleyState;
}

/** river's defaults; the loop tunes its own values in the simulator (docs/optimiser.md). */
export const PAGE_HINKLEY_DEFAULTS: PageHinkleyOptions = {
  minInstances: 30,
  delta: 0.005,
  threshold: 50,
  alpha: 1 - 1e-4,
  mode: 'both',
};

export function createPageHinkley(
  options: Partial<PageHinkleyOptions> = {},
  initial?: PageHinkleyState,
): PageHinkley {
  const o = { ...PAGE_HINKLEY_DEFAULTS, ...options };
  let s: PageHinkleyState = initial ? { ...initial } : fresh();
  return {
    update(x) {
      s.n += 1;
      s.mean += (x - s.mean) / s.n;
      s.up = o.mode === 'down' ? 0 : Math.max(0, o.alpha * s.up + (x - s.mean - o.delta));
      s.down = o.mode === 'up' ? 0 : Math.max(0, o.alpha * s.down + (s.mean - x - o.delta));
      if (s.n >= o.minInstances && Math.max(s.up, s.down) >= o.threshold) {
        s = fresh();
        return true;
      }
      return false;
    },
    statistic: () => Math.max(s.up, s.down),
    state: () => ({ ...s }),
  };
}

function fresh(): PageHinkleyState {
  return { n: 0, mean: 0, up: 0, down: 0 };
}
