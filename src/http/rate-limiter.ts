import type { Clock } from '../core/index.ts';

/** A token bucket per key (the workspace id): `burst` tokens, refilled at `perSecond`. */
export interface RateLimiter {
  /** Takes one token; when none is left, says how many seconds until one is. */
  take(
    key: string,
    limit: { perSecond: number; burst: number },
  ): { allowed: true } | { allowed: false; retryAfterSeconds: number };
}

export function createMemoryRateLimiter(clock: Clock, maxKeys = 100_000): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key, { perSecond, burst }) {
      const now = clock.now();
      let bucket = buckets.get(key);
      if (!bucket) {
        if (buckets.size >= maxKeys) buckets.clear();
        bucket = { tokens: burst, at: now };
        buckets.set(key, bucket);
      }
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
      bucket.at = now;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond)) };
    },
  };
}
