import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createManualClock } from '../core/index.ts';
import { createMemoryRateLimiter } from './rate-limiter.ts';

describe('memory rate limiter', () => {
  const tenant = { perSecond: 1, burst: 5 };
  const address = { perSecond: 1, burst: 2 };

  it('keeps a workspace’s drained bucket while 100,000 client addresses churn through', () => {
    const clock = createManualClock(0);
    const limiter = createMemoryRateLimiter(clock, 1_000);
    for (let i = 0; i < 5; i++) assert.equal(limiter.take('ingest:ws_a', tenant).allowed, true);
    assert.equal(limiter.take('ingest:ws_a', tenant).allowed, false);
    for (let i = 0; i < 100_000; i++)
      limiter.take(`auth-failures:10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, address);
    assert.equal(limiter.take('ingest:ws_a', tenant).allowed, false, 'the tenant’s limit was reset');
  });

  it('evicts the least recently used address bucket, not the busy ones', () => {
    const clock = createManualClock(0);
    const limiter = createMemoryRateLimiter(clock, 3);
    for (const ip of ['a', 'b']) {
      limiter.take(`auth-failures:${ip}`, address);
      limiter.take(`auth-failures:${ip}`, address);
    }
    assert.equal(limiter.wait('auth-failures:a', address), 1);
    limiter.take('auth-failures:a', address); // a is now the most recently used
    limiter.take('auth-failures:c', address);
    limiter.take('auth-failures:d', address); // full: b, the least recently used, goes
    assert.equal(limiter.wait('auth-failures:a', address), 1, 'a kept its (empty) bucket');
    assert.equal(limiter.wait('auth-failures:b', address), 0, 'b was evicted');
  });
});
