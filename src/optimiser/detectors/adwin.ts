/**
 * ADWIN (Bifet & Gavaldà 2007): an adaptive window kept as an exponential histogram (row i holds
 * buckets of 2^i values, at most `maxBuckets` per row); every `clock` values it tests each cut of
 * the window into an older and a newer part and drops old buckets while the two means differ by
 * more than the Hoeffding/Bernstein bound. It never needs a reference rate, which makes it the
 * confirming, slow-drift detector; it is slow on rare events (docs/optimiser.md).
 *
 * Parameters follow river's defaults. The cut loop visits every bucket boundary, oldest first;
 * river's loop skips the newest bucket of each row (river#1539), so delays differ slightly.
 */
export interface AdwinOptions {
  delta: number;
  clock: number;
  maxBuckets: number;
  minWindowLength: number;
  gracePeriod: number;
  /** Skip the newest bucket of each row in the cut loop, as river does (river#1539). */
  riverCutLoop: boolean;
}

export const ADWIN_DEFAULTS: AdwinOptions = {
  delta: 0.002,
  clock: 32,
  maxBuckets: 5,
  minWindowLength: 5,
  gracePeriod: 10,
  riverCutLoop: false,
};

/** Row i: totals and variances of its buckets, oldest first. Row 0 holds the newest values. */
export interface AdwinState {
  rows: { totals: number[]; variances: number[] }[];
  width: number;
  total: number;
  variance: number;
  tick: number;
}

export interface Adwin {
  update(x: number): boolean;
  width(): number;
  mean(): number;
  state(): AdwinState;
}

export function createAdwin(options: Partial<AdwinOptions> = {}, initial?: AdwinState): Adwin {
  const o = { ...ADWIN_DEFAULTS, ...options };
  const s: AdwinState = initial
    ? structuredClone(initial)
    : { rows: [], width: 0, total: 0, variance: 0, tick: 0 };

  function insert(x: number): void {
    if (s.rows.length === 0) s.rows.push({ totals: [], variances: [] });
    s.rows[0]?.totals.push(x);
    s.rows[0]?.variances.push(0);
    s.width += 1;
    if (s.width > 1) {
      const prevMean = s.total / (s.width - 1);
      s.variance += ((s.width - 1) * (x - prevMean) * (x - prevMean)) / s.width;
    }
    s.total += x;
    compress();
  }

  function compress(): void {
    for (let i = 0; i < s.rows.length; i++) {
      const row = s.rows[i];
      if (!row || row.totals.length <= o.maxBuckets) return;
      const n = 2 ** i;
      const [t1 = 0, t2 = 0] = row.totals.splice(0, 2);
      const [v1 = 0, v2 = 0] = row.variances.splice(0, 2);
      const d = t1 / n - t2 / n;
      if (i + 1 === s.rows.length) s.rows.push({ totals: [], variances: [] });
      const next = s.rows[i + 1];
      next?.totals.push(t1 + t2);
      next?.variances.push(v1 + v2 + (n * n * d * d) / (2 * n));
    }
  }

  function dropOldest(): void {
    const i = s.rows.length - 1;
    const row = s.rows[i];
    if (!row) return;
    const n = 2 ** i;
    const u = row.totals.shift() ?? 0;
    const v = row.variances.shift() ?? 0;
    s.width -= n;
    s.total -= u;
    if (s.width > 0) {
      const d = u / n - s.total / s.width;
      s.variance -= v + (n * s.width * d * d) / (n + s.width);
    } else {
      s.variance = 0;
    }
    if (row.totals.length === 0) s.rows.pop();
  }

  function significantCut(): boolean {
    let n0 = 0;
    let u0 = 0;
    const deltaPrime = Math.log((2 * Math.log(s.width)) / o.delta);
    const varianceInWindow = s.variance / s.width;
    for (let i = s.rows.length - 1; i >= 0; i--) {
      const row = s.rows[i];
      if (!row) continue;
      const n = 2 ** i;
      const last = o.riverCutLoop ? row.totals.length - 1 : row.totals.length;
      for (let k = 0; k < last; k++) {
        n0 += n;
        u0 += row.totals[k] ?? 0;
        const n1 = s.width - n0;
        if (n1 <= 0) return false;
        if (n0 < o.minWindowLength || n1 < o.minWindowLength) continue;
        const diff = u0 / n0 - (s.total - u0) / n1;
        const m = 1 / (n0 - o.minWindowLength + 1) + 1 / (n1 - o.minWindowLength + 1);
        const eps = Math.sqrt(2 * m * varianceInWindow * deltaPrime) + (2 / 3) * deltaPrime * m;
        if (Math.abs(diff) > eps) return true;
      }
    }
    return false;
  }

  return {
    update(x) {
      insert(x);
      s.tick += 1;
      if (s.tick % o.clock !== 0 || s.width <= o.gracePeriod) return false;
      let changed = false;
      while (s.width > o.gracePeriod && significantCut()) {
        changed = true;
        dropOldest();
      }
      return changed;
    },
    width: () => s.width,
    mean: () => (s.width > 0 ? s.total / s.width : 0),
    state: () => structuredClone(s),
  };
}
