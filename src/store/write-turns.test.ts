import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createWriteTurns, createWriteTurnsMemory, writeTurnsStats } from './write-turns.ts';

/* Both roles on one thread: the shared memory and Atomics.waitAsync behave as across threads. */

describe('write-lock turns between the HTTP thread and the worker thread', () => {
  it('lets the worker claim the next turn after its patience while the HTTP thread keeps wanting the lock', async () => {
    const memory = createWriteTurnsMemory();
    const http = createWriteTurns(memory, 'first');
    const worker = createWriteTurns(memory, 'yielding', { patienceMs: 5 });
    const order: string[] = [];

    await http.before(); // a group commit wants the lock, and keeps wanting it (retrying)
    const workerTurn = Promise.resolve(worker.before()).then(() => order.push('worker may try'));
    await workerTurn;
    assert.deepEqual(order, ['worker may try'], 'the worker does not wait for the HTTP thread forever');

    // The HTTP thread gets its lock, commits, and its next group commit holds back for the worker.
    http.after(0);
    const nextCommit = Promise.resolve(http.before()).then(() => order.push('http may try'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(order, ['worker may try'], 'the next group commit waits while the worker has its turn');
    order.push('worker holds the lock');
    worker.after(2);
    await nextCommit;
    assert.deepEqual(order, ['worker may try', 'worker holds the lock', 'http may try']);
    http.after(0);

    const stats = writeTurnsStats(memory);
    assert.equal(stats.worker.turns, 1);
    assert.equal(stats.worker.claimed, 1);
    assert.equal(stats.worker.busyTries, 2);
    assert.equal(stats.http.turns, 2);
  });

  it('yields to the HTTP thread before its patience runs out', async () => {
    const memory = createWriteTurnsMemory();
    const http = createWriteTurns(memory, 'first');
    const worker = createWriteTurns(memory, 'yielding', { patienceMs: 60_000 });
    await http.before();
    let mayTry = false;
    const turn = Promise.resolve(worker.before()).then(() => {
      mayTry = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(mayTry, false);
    http.after(0);
    await turn;
    assert.equal(mayTry, true);
    assert.equal(writeTurnsStats(memory).worker.claimed, 0);
  });

  it('takes the lock back when a claimed turn is never used (a worker that died holding its claim)', async () => {
    const memory = createWriteTurnsMemory();
    const http = createWriteTurns(memory, 'first', { maxHoldBackMs: 10 });
    let clock = 0;
    const worker = createWriteTurns(memory, 'yielding', { patienceMs: 5, now: () => clock });
    await http.before();
    const claim = worker.before();
    clock = 10;
    await claim; // claimed; the worker never calls after()
    http.after(0);
    await http.before(); // resolves once the claim lapses
    http.after(0);
    // The lapsed claim is cleared: the next group commit does not hold back again.
    await http.before();
    http.after(0);
    assert.equal(writeTurnsStats(memory).http.turns, 3);
  });
});
