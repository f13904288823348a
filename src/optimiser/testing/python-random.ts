/**
 * CPython's `random.Random(seed)` (MT19937, init_by_array) with `random()` and `choices()`, so
 * tests can replay the streams of river's documented examples value for value.
 */
export interface PythonRandom {
  random(): number;
  choices<T>(population: readonly T[], k: number): T[];
}

const N = 624;

export function createPythonRandom(seed: number): PythonRandom {
  const mt = new Uint32Array(N);
  let index = N;
  mt[0] = 19650218;
  for (let i = 1; i < N; i++) {
    const prev = mt[i - 1] ?? 0;
    mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
  }
  const key = [seed >>> 0];
  let i = 1;
  let j = 0;
  for (let k = Math.max(N, key.length); k > 0; k--) {
    const prev = mt[i - 1] ?? 0;
    mt[i] = (((mt[i] ?? 0) ^ Math.imul(prev ^ (prev >>> 30), 1664525)) + (key[j] ?? 0) + j) >>> 0;
    i++;
    j++;
    if (i >= N) {
      mt[0] = mt[N - 1] ?? 0;
      i = 1;
    }
    if (j >= key.length) j = 0;
  }
  for (let k = N - 1; k > 0; k--) {
    const prev = mt[i - 1] ?? 0;
    mt[i] = (((mt[i] ?? 0) ^ Math.imul(prev ^ (prev >>> 30), 1566083941)) - i) >>> 0;
    i++;
    if (i >= N) {
      mt[0] = mt[N - 1] ?? 0;
      i = 1;
    }
  }
  mt[0] = 0x80000000;

  function int32(): number {
    if (index >= N) {
      for (let kk = 0; kk < N; kk++) {
        const y = ((mt[kk] ?? 0) & 0x80000000) | ((mt[(kk + 1) % N] ?? 0) & 0x7fffffff);
        mt[kk] = ((mt[(kk + 397) % N] ?? 0) ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0)) >>> 0;
      }
      index = 0;
    }
    let y = mt[index++] ?? 0;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  const random = () => ((int32() >>> 5) * 67108864 + (int32() >>> 6)) / 9007199254740992;
  return {
    random,
    choices: (population, k) =>
      Array.from(
        { length: k },
        () => population[Math.floor(random() * population.length)] as (typeof population)[number],
      ),
  };
}
