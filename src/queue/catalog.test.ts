import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JOB_NAMES, JOB_POOLS, jobCatalog, jobNamesOf, parsePools } from './catalog.ts';

describe('job pools', () => {
  it('derives the pools from the catalog, each job kind in exactly one', () => {
    assert.deepEqual([...JOB_POOLS].sort(), [
      'council',
      'optimiser',
      'pipeline',
      'privacy',
      'scoring',
      'workflows',
    ]);
    assert.deepEqual(jobNamesOf(['council']), ['council.next_action']);
    assert.deepEqual(jobNamesOf(undefined), JOB_NAMES);
    assert.equal(JOB_POOLS.flatMap((pool) => jobNamesOf([pool])).length, JOB_NAMES.length);
    for (const name of jobNamesOf(['pipeline'])) assert.equal(jobCatalog[name].pool, 'pipeline');
  });

  it('parses an --only list, and names what is not a pool', () => {
    assert.deepEqual(parsePools('pipeline, council,pipeline'), { ok: true, value: ['pipeline', 'council'] });
    const bad = parsePools('pipeline,councl');
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : bad.error, /unknown pool "councl"; pools are pipeline, scoring, council/);
    assert.equal(parsePools(' , ').ok, false);
  });
});
