import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { extractCompanySize } from './extract-company.ts';

const sizes = (text: string, expecting = false) => extractCompanySize(text, expecting).map((m) => m.value);

describe('extractCompanySize', () => {
  it('reads head counts in the usual phrasings', () => {
    assert.deepEqual(sizes('about 200 employees'), [{ min: 200, max: 200 }]);
    assert.deepEqual(sizes('a team of 15'), [{ min: 15, max: 15 }]);
    assert.deepEqual(sizes('a 50-person company'), [{ min: 50, max: 50 }]);
    assert.deepEqual(sizes('roughly 300 staff'), [{ min: 300, max: 300 }]);
    assert.deepEqual(sizes('between 50 and 100 people'), [{ min: 50, max: 100 }]);
    assert.deepEqual(sizes('1.5k employees'), [{ min: 1500, max: 1500 }]);
    assert.deepEqual(sizes('just me'), [{ min: 1, max: 1 }]);
    assert.deepEqual(sizes('wir sind 40 Mitarbeiter'), [{ min: 40, max: 40 }]);
  });

  it('reads a bare number only when the size was asked for', () => {
    assert.deepEqual(sizes('about 120'), []);
    assert.deepEqual(sizes('about 120', true), [{ min: 120, max: 120 }]);
  });

  it('never throws and keeps min <= max', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 160 }), fc.boolean(), (text, expecting) => {
        for (const m of extractCompanySize(text, expecting))
          assert.ok(m.value.min >= 1 && m.value.min <= m.value.max);
      }),
      { numRuns: 300 },
    );
  });

  it('reads back "N employees" for any N', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999 }), (n) => {
        assert.deepEqual(sizes(`we have ${n} employees`), [{ min: n, max: n }]);
      }),
    );
  });
});
