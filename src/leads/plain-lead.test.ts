import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { leadInputSchema } from './lead-schema.ts';
import { parsePlainLead } from './plain-lead.ts';

/** Strings near the schema's bounds, with the whitespace zod trims. */
const edgyString = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', ' ', '  x  ', '\t\n', 'DE', ' us ', 'u1', 'ABC', '\u00a0gb\u00a0', '\ufeffx'),
  fc
    .tuple(
      fc.constantFrom(0, 1, 2, 39, 40, 41, 99, 100, 101, 199, 200, 201, 320, 321, 2000, 2001),
      fc.boolean(),
    )
    .map(([n, padded]) => (padded ? ` ${'a'.repeat(n)} ` : 'a'.repeat(n))),
);
const fieldValue = fc.oneof(
  { weight: 6, arbitrary: edgyString },
  fc.integer(),
  fc.constant(null),
  fc.boolean(),
  fc.constant(undefined),
  fc.array(fc.string(), { maxLength: 2 }),
);
const attributeValue = fc.oneof(
  edgyString,
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 1 }),
);
const attributes = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.dictionary(fc.oneof(edgyString, fc.constantFrom('1', 'constructor')), attributeValue, {
      maxKeys: 6,
    }),
  },
  fc
    .integer({ min: 99, max: 102 })
    .map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))),
  fc.constant(Object.create(null) as Record<string, unknown>),
  fc.constant([]),
  fc.string(),
);
const utm = fc.oneof(
  fc.record(
    { source: fieldValue, medium: fieldValue, campaign: fieldValue, term: fieldValue, content: fieldValue },
    { requiredKeys: [] },
  ),
  fc.constant({ source: 'x', other: 'y' }),
  fc.constant(null),
);
const lead = fc.record(
  {
    email: fieldValue,
    name: fieldValue,
    phone: fieldValue,
    company: fieldValue,
    title: fieldValue,
    country: fieldValue,
    source: fieldValue,
    utm,
    attributes,
    consent: fc.constant({
      purposes: ['marketing'],
      textVersion: 'v1',
      timestamp: '2026-01-01T00:00:00Z',
      method: 'form',
    }),
    emial: fc.string(),
  },
  { requiredKeys: [] },
);
/** Leads that mostly pass, so the comparison covers the path's answers, not only its refusals. */
const word = fc.string({ minLength: 1, maxLength: 20 }).map((w) => (w.trim() === '' ? `${w}x` : w));
const likelyValid = fc.record(
  {
    email: fc.oneof({ weight: 4, arbitrary: word }, edgyString),
    name: word,
    phone: fc.string({ maxLength: 41 }),
    company: word,
    title: word,
    country: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('de', ' US', 'gb ', 'Fr') }, edgyString),
    source: word,
    utm: fc.record(
      { source: word, campaign: word, term: fc.oneof({ weight: 4, arbitrary: word }, edgyString) },
      { requiredKeys: [] },
    ),
    attributes: fc.dictionary(
      fc.oneof(word, edgyString),
      fc.oneof(word, fc.double(), fc.integer(), fc.boolean(), fc.constant(null)),
      {
        maxKeys: 5,
      },
    ),
  },
  { requiredKeys: [] },
);
/** The same lead as JSON would deliver it (undefined dropped), with its keys in another order. */
const shuffled = fc.tuple(lead, fc.integer()).map(([value, seed]) => {
  const entries = Object.entries(JSON.parse(JSON.stringify(value)) as Record<string, unknown>);
  entries.sort((a, b) => ((a[0].charCodeAt(0) * seed) % 7) - ((b[0].charCodeAt(0) * seed) % 7));
  return Object.fromEntries(entries);
});

describe('parsePlainLead', () => {
  it('returns exactly what zod returns (same keys, order and trimmed values) whenever it answers', () => {
    let answered = 0;
    fc.assert(
      fc.property(fc.oneof({ weight: 6, arbitrary: likelyValid }, lead, shuffled, fc.anything()), (value) => {
        const plain = parsePlainLead(value);
        if (plain === undefined) return;
        answered++;
        const parsed = leadInputSchema.safeParse(value);
        assert.ok(parsed.success, `zod rejected what the plain path took: ${JSON.stringify(value)}`);
        assert.deepStrictEqual(plain, parsed.data);
        assert.equal(JSON.stringify(plain), JSON.stringify(parsed.data));
      }),
      { numRuns: 3000 },
    );
    assert.ok(answered > 150, `the plain path answered only ${answered} times`);
  });

  it('takes the benchmark mix and a lead with utm and attributes, and leaves consent and typos to zod', () => {
    const submitted = {
      attributes: { employees: 120, plan: ' pro ', trial: true, note: null },
      email: ' Ada@Example.COM ',
      name: ' Ada Lovelace',
      utm: { campaign: ' launch ', source: 'newsletter' },
      country: 'gb',
    };
    assert.deepStrictEqual(parsePlainLead(submitted), leadInputSchema.parse(submitted));
    assert.equal(JSON.stringify(parsePlainLead(submitted)), JSON.stringify(leadInputSchema.parse(submitted)));
    assert.equal(parsePlainLead({ ...submitted, emial: 'typo@example.com' }), undefined);
    assert.equal(
      parsePlainLead({
        ...submitted,
        consent: {
          purposes: ['marketing'],
          textVersion: 'v1',
          timestamp: '2026-01-01T00:00:00Z',
          method: 'form',
        },
      }),
      undefined,
    );
    assert.equal(parsePlainLead({ name: '   ' }), undefined);
    assert.equal(parsePlainLead({ country: 'GBR' }), undefined);
    assert.equal(parsePlainLead(JSON.parse('{"attributes": {"__proto__": 1}}')), undefined);
  });
});
