import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hashImmutableList, hashValue, stableJson } from './hashing.ts';

describe('hashing', () => {
  test('stable JSON ignores key order and undefined fields', () => {
    assert.equal(stableJson({ b: 1, a: { d: [1, 2], c: undefined } }), '{"a":{"d":[1,2]},"b":1}');
    assert.equal(hashValue({ a: 1, b: 2 }), hashValue({ b: 2, a: 1 }));
  });

  test('a list hash depends on each item’s content and on their order, not on object identity', () => {
    const one = { id: 'a', instructions: 'x' };
    const two = { id: 'b', instructions: 'y' };
    const hash = hashImmutableList([one, two]);
    assert.equal(hashImmutableList([one, two]), hash, 'the same objects again');
    assert.equal(hashImmutableList([{ ...one }, { ...two }]), hash, 'equal copies');
    assert.notEqual(hashImmutableList([two, one]), hash);
    assert.notEqual(hashImmutableList([one, { ...two, instructions: 'z' }]), hash);
    assert.notEqual(hashImmutableList([one]), hash);
  });
});
