import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDeliveryBatcher, createWorkspaceBatchers } from './delivery-batcher.ts';

/** A batcher of at most `limit` ids whose first batch waits for `release()`, so later ones queue up. */
function heldBatcher(limit: number) {
  const batches: string[][] = [];
  let release: () => void = () => {};
  const add = createDeliveryBatcher(async (ids) => {
    batches.push(ids);
    if (batches.length === 1) await new Promise<void>((r) => (release = r));
  }, limit);
  return { batches, add, release: () => release() };
}

describe('delivery batcher', () => {
  it('groups deliveries that arrive while a batch runs into the next batch, up to the limit', async () => {
    const { batches, add, release } = heldBatcher(3);
    const first = add('a');
    await new Promise((r) => setImmediate(r));
    const rest = ['b', 'c', 'd', 'e'].map((id) => add(id));
    release();
    await Promise.all([first, ...rest]);
    assert.deepEqual(batches, [['a'], ['b', 'c', 'd'], ['e']]);
  });

  it('never splits a delivery that carries a set, and adds others only while they fit', async () => {
    const { batches, add, release } = heldBatcher(4);
    const first = add(['a', 'b', 'c', 'd', 'e']);
    await new Promise((r) => setImmediate(r));
    const rest = [add(['f', 'g']), add('h'), add(['i', 'j']), add('k')];
    release();
    await Promise.all([first, ...rest]);
    assert.deepEqual(batches, [
      ['a', 'b', 'c', 'd', 'e'],
      ['f', 'g', 'h'],
      ['i', 'j', 'k'],
    ]);
  });

  it('rejects every delivery of a batch that failed, and carries on with the next', async () => {
    const add = createDeliveryBatcher(async (ids) => {
      if (ids.includes('bad')) throw new Error('database away');
    }, 10);
    const results = await Promise.allSettled([add('bad'), add('x')]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    await add('later');
  });

  it('runs different workspaces side by side and one workspace’s deliveries together', async () => {
    const running = new Set<string>();
    let overlap = false;
    const batches: string[][] = [];
    const add = createWorkspaceBatchers(async (ids) => {
      const ws = (ids[0] as string).split(':')[0] as string;
      running.add(ws);
      if (running.size > 1) overlap = true;
      batches.push(ids);
      await new Promise((r) => setTimeout(r, 20));
      running.delete(ws);
    }, 10);
    await Promise.all([add('A', 'A:1'), add('B', 'B:1'), add('A', 'A:2'), add('B', 'B:2')]);
    assert.ok(overlap, 'A and B ran at the same time');
    assert.deepEqual(batches.map((b) => b.join(',')).sort(), ['A:1,A:2', 'B:1,B:2']);
  });
});
