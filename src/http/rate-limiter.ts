import type { Clock } from '../core/index.ts';

/** A token bucket per key (a workspace, or a client address): `burst` tokens, refilled at `perSecond`. */
export interface RateLimiter {
  /** Takes one token; when none is left, says how many seconds until one is. */
  take(
    key: string,
    limit: { perSecond: number; burst: number },
  ): { allowed: true } | { allowed: false; retryAfterSeconds: number };
  /** Seconds until the bucket holds a whole token again, without taking one; 0 when it does. */
  wait(key: string, limit: { perSecond: number; burst: number }): number;
}

/**
 * Buckets in process memory: one table per kind of key (the text before the first `:`, so
 * `ingest:<workspace>` and `auth-failures:<address>` never share one), each at most `maxKeys`
 * buckets. When a table is full its least recently used bucket goes (a Map keeps insertion order,
 * and every use re-inserts its key). An attacker cycling through client addresses therefore evicts
 * only idle address buckets: never a workspace's, and never everyone's at once. A bucket that
 * comes back after eviction starts full, which only ever errs towards letting a request in.
 */
export function createMemoryRateLimiter(clock: Clock, maxKeys = 100_000): RateLimiter {
  const tables = new Map<string, Map<string, { tokens: number; at: number }>>();
  const tableOf = (key: string) => {
    const kind = key.slice(0, Math.max(0, key.indexOf(':')));
    let table = tables.get(kind);
    if (!table) {
      table = new Map();
      tables.set(kind, table);
    }
    return table;
  };
  function refill(key: string, { perSecond, burst }: { perSecond: number; burst: number }) {
    const now = clock.now();
    const buckets = tableOf(key);
    let bucket = buckets.get(key);
    if (bucket) buckets.delete(key);
    else {
      if (buckets.size >= maxKeys) {
        const oldest = buckets.keys().next();
        if (!oldest.done) buckets.delete(oldest.value);
      }
      bucket = { tokens: burst, at: now };
    }
    buckets.set(key, bucket);
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    return bucket;
  }
  const secondsUntilToken = (tokens: number, perSecond: number) =>
    Math.max(1, Math.ceil((1 - tokens) / perSecond));
  return {
    take(key, limit) {
      const bucket = refill(key, limit);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      return { allowed: false, retryAfterSeconds: secondsUntilToken(bucket.tokens, limit.perSecond) };
    },
    wait(key, limit) {
      if (!tableOf(key).has(key)) return 0;
      const bucket = refill(key, limit);
      return bucket.tokens >= 1 ? 0 : secondsUntilToken(bucket.tokens, limit.perSecond);
    },
  };
}
