/** A source of uniform numbers in [0, 1); injected so that every split and sample is reproducible. */
export type Random = () => number;

/**
 * mulberry32: 32 bits of state, fast, and good enough for shuffles and subsamples. Cryptographic
 * quality is not needed here; reproducibility across machines is.
 */
export function createSeededRandom(seed: number): Random {
  let state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
