import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createIdGenerator } from './ids.ts';

describe('id generator', () => {
  it('keeps ids unique and in creation order within one millisecond and across the random pool refills', () => {
    let now = 1_765_000_000_000;
    const ids = createIdGenerator({ now: () => now });
    const made: string[] = [];
    // 4 KiB of pooled randomness is 256 draws of 16 bytes: 600 milliseconds refill it twice.
    for (let ms = 0; ms < 600; ms++) {
      now++;
      for (let i = 0; i < 3; i++) made.push(ids.next('evt'));
    }
    assert.equal(new Set(made).size, made.length);
    assert.deepEqual([...made].sort(), made);
    for (const id of made) assert.match(id, /^evt_[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it('takes the random part from the injected source, incrementing it within a millisecond', () => {
    const ids = createIdGenerator({ now: () => 0, random: () => new Uint8Array(16).fill(31) });
    assert.equal(ids.next('lead'), `lead_0000000000${'Z'.repeat(16)}`);
    // Every digit at its maximum wraps to zeros (the earlier ids stay unique by their millisecond).
    assert.equal(ids.next('lead'), `lead_0000000000${'0'.repeat(16)}`);
    assert.equal(ids.next('lead'), `lead_0000000000${'0'.repeat(15)}1`);
  });
});
