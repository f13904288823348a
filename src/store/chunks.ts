const SIZES = [64, 16, 4, 1] as const;

/**
 * Splits rows into chunks of 64, 16, 4 and 1 for multi-row statements. SQLite compiles one program
 * per distinct SQL text and a 200-row insert's program is large, so arbitrary row counts would
 * fill the statement cache (and native memory) with programs used once; four sizes keep the set
 * of statements small and reusable.
 */
export function* fixedChunks<T>(items: readonly T[]): Generator<T[]> {
  let offset = 0;
  for (const size of SIZES) {
    while (items.length - offset >= size) {
      yield items.slice(offset, offset + size);
      offset += size;
    }
  }
}
