import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { searchCapacity } from '../bench/capacity-search.ts';

/** A deployment that holds every rate up to `limit`, recording what was probed. */
function deployment(limit: number) {
  const probed: number[] = [];
  return {
    probed,
    probe: async (rate: number) => {
      probed.push(rate);
      return { held: rate <= limit, result: { rate } };
    },
  };
}

describe('capacity search', () => {
  it('stops at the first probe when the target holds', async () => {
    const d = deployment(5000);
    const found = await searchCapacity({ upper: 3000, resolution: 100, probe: d.probe });
    assert.deepEqual(d.probed, [3000]);
    assert.equal(found.heldRate, 3000);
    assert.equal(found.failedRate, null);
  });

  it('brackets the limit to the resolution, probing each rate once', async () => {
    const d = deployment(1370);
    const found = await searchCapacity({ upper: 3000, resolution: 100, probe: d.probe });
    assert.equal(found.heldRate, 1300);
    assert.equal(found.failedRate, 1400);
    assert.ok(found.failedRate - found.heldRate <= 100);
    assert.equal(new Set(d.probed).size, d.probed.length);
    assert.deepEqual(
      found.probes.map((p) => [p.rate, p.held]),
      d.probed.map((rate) => [rate, rate <= 1370]),
    );
  });

  it('reports nothing held when even the lowest probe fails', async () => {
    const d = deployment(0);
    const found = await searchCapacity({ upper: 800, resolution: 100, probe: d.probe });
    assert.equal(found.heldRate, 0);
    assert.equal(found.failedRate, 100);
  });

  it('refuses a bound or resolution that is not positive', async () => {
    const d = deployment(1000);
    await assert.rejects(searchCapacity({ upper: 0, resolution: 100, probe: d.probe }), RangeError);
    await assert.rejects(searchCapacity({ upper: 1000, resolution: 0, probe: d.probe }), RangeError);
  });
});
