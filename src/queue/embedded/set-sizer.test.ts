import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSetSizer } from './set-sizer.ts';

const thread = { budgetMs: 8, minSize: 16, maxSize: 256 };

describe('set sizer', () => {
  it('does not count a set’s fixed cost against each job', () => {
    // 3 ms per set plus 0.25 ms per job: 20 jobs fill an 8.1 ms budget. The average per job of sets
    // of one (3.25 ms) would say 2.
    const sizer = createSetSizer({ ...thread, budgetMs: 8.1, minSize: 1 });
    for (const jobs of [1, 4, 2, 9, 3, 12, 5, 7]) sizer.observe(jobs, 3 + 0.25 * jobs);
    assert.equal(sizer.size(), 20);
  });

  it('keeps sets at their minimum when the fixed cost alone is over the budget', () => {
    const sizer = createSetSizer(thread);
    for (const jobs of [16, 20, 17, 30, 16]) sizer.observe(jobs, 12 + 0.3 * jobs);
    assert.equal(sizer.size(), 16);
  });

  it('without a spread of sizes, uses the average per job', () => {
    const sizer = createSetSizer({ ...thread, minSize: 1 });
    for (let i = 0; i < 5; i++) sizer.observe(4, 2);
    assert.equal(sizer.size(), 16);
  });
});
