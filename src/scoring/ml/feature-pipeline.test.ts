import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseCsv } from './csv-table.ts';
import type { LeadRecord, RawValue } from './dataset.ts';
import { recordSource, tableSource } from './dataset.ts';
import type { EncodedRows } from './feature-pipeline.ts';
import { createEncoder, fitPipeline } from './feature-pipeline.ts';
import type { FeatureSpec } from './feature-spec.ts';
import { deriveValue, inferFeatureSpec, parseNumber } from './feature-spec.ts';

const TRAINING = parseCsv(
  [
    'age;job;vip;email;signup;last_seen;visits;spend;y',
    ...Array.from({ length: 60 }, (_, i) => {
      const job = i % 3 === 0 ? 'admin' : i % 3 === 1 ? 'technician' : i === 59 ? 'astronaut' : 'retired';
      const age = i === 7 ? '' : String(20 + (i % 40));
      return `${age};${job};${i % 2 ? 'yes' : 'no'};p${i}@${i % 4 ? 'gmail.com' : 'acme.io'};2024-01-01;2024-0${1 + (i % 9)}-15;${i % 7};${i * 10};${i % 5 === 0 ? 'yes' : 'no'}`;
    }),
  ].join('\n'),
);

const SPEC: FeatureSpec = {
  features: [
    { name: 'age', kind: 'numeric', source: { op: 'column', column: 'age' } },
    {
      name: 'job',
      kind: 'categorical',
      source: { op: 'column', column: 'job' },
      label: 'job',
      levelLabels: { retired: 'is retired' },
    },
    { name: 'vip', kind: 'boolean', source: { op: 'column', column: 'vip' } },
    { name: 'mail', kind: 'categorical', source: { op: 'emailDomainKind', column: 'email' } },
    { name: 'recency', kind: 'numeric', source: { op: 'daysBetween', from: 'signup', to: 'last_seen' } },
    {
      name: 'spend_per_visit',
      kind: 'numeric',
      source: { op: 'ratio', numerator: 'spend', denominator: 'visits' },
    },
    { name: 'log_spend', kind: 'numeric', source: { op: 'log1p', column: 'spend' } },
    { name: 'never_visited', kind: 'boolean', source: { op: 'equals', column: 'visits', value: '0' } },
  ],
};

function encodeOne(spec: FeatureSpec, record: LeadRecord) {
  const pipeline = fitPipeline(spec, tableSource(TRAINING));
  const encoder = createEncoder(pipeline);
  const rows = encoder.encode(recordSource([record]));
  return { encoder, rows };
}

const rawValue: fc.Arbitrary<RawValue> = fc.oneof(
  fc.string(),
  fc.double(),
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    1e308,
    -1e308,
    'Infinity',
    '-inf',
    'NaN',
    '',
    'null',
  ),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
);

describe('feature pipeline', () => {
  it('encodes any input, however malformed, to finite design values and valid bins', () => {
    const pipeline = fitPipeline(SPEC, tableSource(TRAINING));
    const encoder = createEncoder(pipeline);
    const columns = TRAINING.columns;
    fc.assert(
      fc.property(fc.array(rawValue, { minLength: columns.length, maxLength: columns.length }), (values) => {
        const record = Object.fromEntries(columns.map((c, i) => [c, values[i]]));
        const rows: EncodedRows = encoder.encode(recordSource([record]));
        assert.ok(rows.designValue.every(Number.isFinite));
        rows.designIndex.forEach((j) => {
          assert.ok(j >= 0 && j < encoder.designWidth);
        });
        rows.bins.forEach((b, f) => {
          assert.ok(b < encoder.binCounts[f]!);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('gives missing, rare and unseen categories their own codes', () => {
    const spec: FeatureSpec = { features: [SPEC.features[1]!], minCategoryCount: 2 };
    const job = (value: RawValue) => {
      const { encoder, rows } = encodeOne(spec, { job: value });
      const feature = encoder.features[0]!;
      return {
        bin: rows.bins[0]!,
        text: feature.describe(value, rows.bins[0]!),
        levels: feature.state.kind === 'categorical' ? feature.state.levels : [],
      };
    };
    const known = job('admin');
    assert.deepEqual(known.levels, ['admin', 'technician', 'retired'], 'most frequent first');
    assert.equal(known.text, 'job: admin');
    assert.equal(job(' retired ').text, 'is retired');
    assert.equal(job('astronaut').bin, 3, 'seen once in training: the "other" bucket');
    assert.match(job('astronaut').text, /uncommon/);
    assert.equal(job(undefined).bin, 4);
    assert.equal(job('NA').bin, 4);
    assert.equal(job('pilot').bin, 5);
    assert.match(job('pilot').text, /new value/);
  });

  it('imputes missing numbers, flags them and clips extremes to the training range', () => {
    const spec: FeatureSpec = { features: [SPEC.features[0]!] };
    const at = (value: RawValue) => Array.from(encodeOne(spec, { age: value }).rows.designValue);
    const [typical] = at(36); // about the training mean
    const [huge, hugeMissing] = at(1e12);
    const [inf] = at(Number.POSITIVE_INFINITY);
    const [top] = at(59);
    assert.ok(Math.abs(typical!) < 0.1);
    assert.equal(hugeMissing, 0);
    assert.ok(Math.abs(huge! - top!) < 0.01, 'clipped to about the 99.9% quantile');
    assert.equal(inf, huge);
    assert.deepEqual(at('n/a'), [0, 1]);
    assert.deepEqual(at(Number.NaN), [0, 1]);
  });

  it('derives free-mail, recency, ratio, log and equality features', () => {
    const read = (record: Record<string, RawValue>) => (c: string) => record[c];
    const none = new Set<string>(['']);
    assert.equal(
      deriveValue({ op: 'emailDomainKind', column: 'e' }, read({ e: 'Ann@GMail.com' }), none),
      'free',
    );
    assert.equal(
      deriveValue({ op: 'emailDomainKind', column: 'e' }, read({ e: 'ann@acme.io' }), none),
      'business',
    );
    assert.equal(
      deriveValue({ op: 'emailDomainKind', column: 'e' }, read({ e: 'not an email' }), none),
      undefined,
    );
    assert.equal(
      deriveValue(
        { op: 'daysBetween', from: 'a', to: 'b' },
        read({ a: '2024-01-01', b: '2024-01-31' }),
        none,
      ),
      30,
    );
    assert.equal(
      deriveValue({ op: 'daysBetween', from: 'a', to: 'b' }, read({ a: 'soon', b: '2024-01-31' }), none),
      undefined,
    );
    assert.equal(
      deriveValue({ op: 'ratio', numerator: 'a', denominator: 'b' }, read({ a: '10', b: 4 }), none),
      2.5,
    );
    assert.equal(
      deriveValue({ op: 'ratio', numerator: 'a', denominator: 'b' }, read({ a: '10', b: 0 }), none),
      undefined,
    );
    assert.equal(deriveValue({ op: 'log1p', column: 'a' }, read({ a: Math.E - 1 }), none), 1);
    assert.equal(deriveValue({ op: 'equals', column: 'a', value: '999' }, read({ a: ' 999' }), none), true);
    assert.equal(deriveValue({ op: 'equals', column: 'a', value: '999' }, read({ a: '' }), none), undefined);
  });

  it('parses numbers strictly: no empty-string zeros, no trailing text', () => {
    const missing = new Set(['', 'na']);
    assert.equal(parseNumber(' 1.5e3 ', missing), 1500);
    assert.equal(parseNumber('-.5', missing), -0.5);
    assert.ok(Number.isNaN(parseNumber('', missing)));
    assert.ok(Number.isNaN(parseNumber('12abc', missing)));
    assert.ok(Number.isNaN(parseNumber('0x10', missing)), 'hex is not data');
    assert.ok(Number.isNaN(parseNumber('0b1', missing)));
    assert.equal(parseNumber('007', missing), 7);
    assert.ok(Number.isNaN(parseNumber('NA', missing)));
    assert.equal(parseNumber('-Infinity', missing), Number.NEGATIVE_INFINITY);
    // `===` rather than Object.is: "-0" and "0" are the same number to a salesperson.
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (x) => {
        assert.ok(parseNumber(String(x), missing) === x, String(x));
      }),
      { numRuns: 1000 },
    );
  });

  it('infers numeric, boolean and categorical columns and skips identifiers and constants', () => {
    const table = parseCsv(
      [
        'id,age,vip,plan,constant,empty,y',
        ...Array.from(
          { length: 300 },
          (_, i) =>
            `u${i},${20 + (i % 50)},${i % 2 ? 'TRUE' : 'false'},${['a', 'b', 'unknown'][i % 3]},same,,${i % 2}`,
        ),
      ].join('\n'),
    );
    const { spec, skipped } = inferFeatureSpec(tableSource(table), { exclude: ['y'] });
    assert.deepEqual(
      spec.features.map((f) => [f.name, f.kind]),
      [
        ['age', 'numeric'],
        ['vip', 'boolean'],
        ['plan', 'categorical'],
      ],
    );
    assert.deepEqual(
      skipped.map((s) => s.column),
      ['id', 'constant', 'empty'],
    );
  });

  it('encodes a CSV row and the same lead as a record identically', () => {
    const pipeline = fitPipeline(SPEC, tableSource(TRAINING));
    const encoder = createEncoder(pipeline);
    const fromTable = encoder.encode(tableSource(TRAINING));
    const records = TRAINING.rows.map((row) =>
      Object.fromEntries(TRAINING.columns.map((c, i) => [c, row[i]])),
    );
    const fromRecords = encoder.encode(recordSource(records));
    assert.deepEqual(fromRecords.designValue, fromTable.designValue);
    assert.deepEqual(fromRecords.bins, fromTable.bins);
  });
});
