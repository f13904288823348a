import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { canonicalJson } from './canonical-json.ts';

/** JSON values, plus what JSON.stringify drops or rewrites: undefined in objects and arrays, dates. */
const value = fc.letrec((tie) => ({
  any: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ stringUnit: 'binary' }),
    fc.constant(undefined),
    fc.date({ noInvalidDate: true }),
    fc.array(tie('any')),
    fc.dictionary(fc.string({ unit: 'binary' }), tie('any')),
  ),
})).any;

describe('canonicalJson', () => {
  it('writes exactly what the canonicalize package writes', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary' }), value), (input) => {
        assert.equal(canonicalJson(input), canonicalize(input));
      }),
      { numRuns: 2000 },
    );
  });

  it('sorts keys by UTF-16 code units at every depth (RFC 8785 example order)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew',
      '1': 'One',
      '\u{1f600}': 'Emoji',
      '\u0080': 'Control',
      '\u00f6': 'Latin',
    };
    const keys = Object.keys(JSON.parse(canonicalJson(input)) as object);
    // JSON.parse reorders integer-like keys first; compare the raw text order instead.
    assert.equal(keys.length, 7);
    const text = canonicalJson(input);
    const order = ['\\r', '1', '\u0080', '\u00f6', '\u20ac', '\u{1f600}', '\ufb33'].map((k) =>
      text.indexOf(`"${k}"`),
    );
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      order,
    );
    assert.equal(canonicalJson({ b: [3, { d: 1, c: 2 }], a: 1e21 }), '{"a":1e+21,"b":[3,{"c":2,"d":1}]}');
  });

  it('refuses what has no canonical form, as canonicalize does', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [
      { n: Number.NaN },
      { n: Number.POSITIVE_INFINITY },
      { s: 'a\ud800b' },
      { '\udc00': 1 },
      cyclic,
    ]) {
      assert.throws(() => canonicalize(bad));
      assert.throws(() => canonicalJson(bad));
    }
    // A repeated (not circular) object is fine.
    const shared = { x: 1 };
    assert.equal(canonicalJson({ a: shared, b: shared }), '{"a":{"x":1},"b":{"x":1}}');
  });
});
