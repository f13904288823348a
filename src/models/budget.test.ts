import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createManualClock } from '../core/index.ts';
import { createInMemoryTokenBudget } from './budget.ts';

describe('in-memory token budget', () => {
  test('reserves until the window is full, then refuses with the time to the next window', async () => {
    const clock = createManualClock(Date.UTC(2026, 10, 28, 10, 0, 15));
    const budget = createInMemoryTokenBudget({ tokensPerWindow: 1000, windowMs: 60_000, clock });
    const first = await budget.reserve('ws_a', 600);
    assert.equal(first.ok, true);
    const second = await budget.reserve('ws_a', 500);
    assert.deepEqual(second, { ok: false, limit: 1000, used: 600, retryAfterMs: 45_000 });
    assert.equal((await budget.reserve('ws_a', 400)).ok, true);
    assert.equal(budget.status('ws_a').remaining, 0);
  });

  test('settling replaces the reservation with the tokens really used', async () => {
    const clock = createManualClock();
    const budget = createInMemoryTokenBudget({ tokensPerWindow: 1000, clock });
    const decision = await budget.reserve('ws_a', 600);
    assert.ok(decision.ok);
    await budget.settle(decision.reservation, 150);
    assert.equal(budget.status('ws_a').used, 150);
    const over = await budget.reserve('ws_a', 100);
    assert.ok(over.ok);
    await budget.settle(over.reservation, 400); // a call can use more than it reserved
    assert.equal(budget.status('ws_a').used, 550);
  });

  test('keeps workspaces apart and supports per-workspace limits', async () => {
    const clock = createManualClock();
    const budget = createInMemoryTokenBudget({
      tokensPerWindow: (ws) => (ws === 'ws_big' ? 10_000 : 100),
      clock,
    });
    assert.equal((await budget.reserve('ws_small', 150)).ok, false);
    assert.equal((await budget.reserve('ws_big', 150)).ok, true);
    assert.equal(budget.status('ws_small').used, 0);
  });

  test('a new window starts empty and a late settlement of the old window changes nothing', async () => {
    const clock = createManualClock(0);
    const budget = createInMemoryTokenBudget({ tokensPerWindow: 100, windowMs: 1000, clock });
    const decision = await budget.reserve('ws_a', 90);
    assert.ok(decision.ok);
    clock.advance(1000);
    assert.equal(budget.status('ws_a').used, 0);
    await budget.settle(decision.reservation, 10);
    assert.equal(budget.status('ws_a').used, 0);
    assert.equal(budget.status('ws_a').resetsAt, 2000);
  });
});
