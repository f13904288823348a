/**
 * Durations (speed-to-lead, hand-off wait) are rolled up as counts per logarithmic bin, so a
 * quantile over any window is a sum of stored rows, with no per-lead values kept. Quarter-octave
 * bins bound the error of a quantile at 2^(1/4) − 1 ≈ 19% of its value (half that on average).
 */
const BINS_PER_OCTAVE = 4;

/** The bin of a duration in seconds: 0 holds [0, 1], bin k holds (2^((k−1)/4), 2^(k/4)]. */
export function binOf(seconds: number): number {
  if (!(seconds > 1)) return 0;
  return Math.ceil(BINS_PER_OCTAVE * Math.log2(seconds) - 1e-9);
}

const upperEdge = (bin: number) => 2 ** (bin / BINS_PER_OCTAVE);
const lowerEdge = (bin: number) => (bin === 0 ? 0 : 2 ** ((bin - 1) / BINS_PER_OCTAVE));

/**
 * The q-quantile of a histogram (bin → count), interpolated inside its bin (linearly in bin 0,
 * geometrically above); null when the histogram is empty.
 */
export function quantileOf(histogram: ReadonlyMap<number, number>, q: number): number | null {
  let n = 0;
  for (const count of histogram.values()) n += count;
  if (n === 0) return null;
  const target = q * n;
  let seen = 0;
  for (const bin of [...histogram.keys()].sort((a, b) => a - b)) {
    const count = histogram.get(bin) ?? 0;
    if (count === 0) continue;
    if (seen + count >= target) {
      const share = Math.min(1, Math.max(0, (target - seen) / count));
      const lo = lowerEdge(bin);
      const hi = upperEdge(bin);
      return bin === 0 ? hi * share : lo * (hi / lo) ** share;
    }
    seen += count;
  }
  return upperEdge(Math.max(...histogram.keys()));
}
