import type { Clock } from '../../core/index.ts';

/**
 * Token buckets per key (`<workspace>:<connector>`), one second of burst. In-process: with several
 * worker processes each holds its own buckets, so the rate a provider sees is at most the
 * per-process rate times the number of workers running workflow steps.
 */
export interface RateLimiter {
  /** 0 when a call may go now (and takes its token); otherwise milliseconds until one is free. */
  take(key: string, perSecond: number): number;
}

export function createRateLimiter(clock: Clock): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key, perSecond) {
      const now = clock.now();
      const bucket = buckets.get(key) ?? { tokens: perSecond, at: now };
      bucket.tokens = Math.min(perSecond, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
      bucket.at = now;
      if (buckets.size > 100_000) buckets.clear();
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.ceil(((1 - bucket.tokens) / perSecond) * 1000);
    },
  };
}
