const SIZES = [64, 16] as const;

/**
 * Splits rows into chunks of 64 and 16, then the rest (fewer than 16) as one chunk, for multi-row
 * statements. SQLite compiles one program per distinct SQL text and a 200-row insert's program is
 * large, so arbitrary row counts would fill the statement cache (and native memory) with programs
 * used once; these sizes keep the set of statements small (at most 17 per statement) and reusable,
 * while a handful of rows still goes in one statement. `maxSize` caps every chunk.
 */
export function* fixedChunks<T>(items: readonly T[], maxSize = 64): Generator<T[]> {
  let offset = 0;
  for (const size of SIZES) {
    if (size > maxSize) continue;
    while (items.length - offset >= size) {
      yield items.slice(offset, offset + size);
      offset += size;
    }
  }
  while (offset < items.length) {
    const size = Math.min(items.length - offset, maxSize);
    yield items.slice(offset, offset + size);
    offset += size;
  }
}
