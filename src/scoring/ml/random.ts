import type { Random } from '../../core/index.ts';

export type { Random } from '../../core/index.ts';
export { createSeededRandom } from '../../core/index.ts';

/** Fisher–Yates over a copy of 0..n-1. */
export function shuffledIndices(n: number, random: Random): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = out[i]!;
    out[i] = out[j]!;
    out[j] = tmp;
  }
  return out;
}
