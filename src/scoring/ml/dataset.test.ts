import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LeadloopError } from '../../core/index.ts';
import { parseCsv } from './csv-table.ts';
import { parseBooleanValue, readTarget } from './dataset.ts';

function issueOf(error: unknown): { field: string; reason: string } {
  assert.ok(error instanceof LeadloopError);
  assert.equal(error.code, 'validation_failed');
  assert.ok(error.issues[0]);
  return error.issues[0];
}

const anyCase = (word: string) =>
  fc
    .array(fc.boolean(), { minLength: word.length, maxLength: word.length })
    .map((upper) => [...word].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));

describe('parseBooleanValue', () => {
  it('reads yes/no, true/false and 1/0 in any case and with surrounding spaces', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('yes', 'true', '1', 'no', 'false', '0'),
        fc.nat(),
        fc.nat(),
        (word, left, right) => {
          const expected = ['yes', 'true', '1'].includes(word) ? 1 : 0;
          fc.assert(
            fc.property(anyCase(word), (cased) => {
              assert.equal(
                parseBooleanValue(`${' '.repeat(left % 3)}${cased}${' '.repeat(right % 3)}`),
                expected,
              );
            }),
            { numRuns: 5 },
          );
        },
      ),
      { numRuns: 50 },
    );
  });

  it('leaves anything else undefined', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        fc.pre(
          !['yes', 'no', 'true', 'false', '1', '0', 'y', 'n', 't', 'f'].includes(text.trim().toLowerCase()),
        );
        assert.equal(parseBooleanValue(text), undefined);
      }),
    );
    assert.equal(parseBooleanValue(2), undefined);
    assert.equal(parseBooleanValue(null), undefined);
  });
});

describe('readTarget', () => {
  it('turns mixed spellings into 0/1 labels', () => {
    const table = parseCsv('x,won\n1,YES\n2,no\n3,True\n4,0\n5,1\n');
    assert.deepEqual(Array.from(readTarget(table, 'won')), [1, 0, 1, 0, 1]);
  });

  it('names the available columns when the target is missing', () => {
    const table = parseCsv('age,job,y\n1,a,yes\n2,b,no\n');
    assert.throws(
      () => readTarget(table, 'converted'),
      (e) => {
        const issue = issueOf(e);
        return issue.field === 'target' && issue.reason.includes('available columns: age, job, y');
      },
    );
  });

  it('rejects a target with a single class', () => {
    const table = parseCsv('x,y\n1,no\n2,no\n3,NO\n');
    assert.throws(
      () => readTarget(table, 'y'),
      (e) => /only negative/.test(issueOf(e).reason),
    );
  });

  it('gives the row number of an unparseable target value', () => {
    const table = parseCsv('x,y\n1,yes\n2,no\n3,maybe\n');
    assert.throws(
      () => readTarget(table, 'y'),
      (e) => {
        const issue = issueOf(e);
        return (
          issue.field === 'target.y' &&
          issue.reason.includes('data row 3') &&
          issue.reason.includes('"maybe"')
        );
      },
    );
  });

  it('rejects an empty target cell', () => {
    const table = parseCsv('x,y\n1,yes\n2,\n');
    assert.throws(
      () => readTarget(table, 'y'),
      (e) => issueOf(e).reason.includes('data row 2 has an empty value'),
    );
  });
});
