import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { leadInputSchema } from './lead-schema.ts';
import { normaliseEmail, normaliseLead, normalisePhone } from './normalise.ts';

describe('lead normalisation', () => {
  it('lower-cases and trims emails and derives the company domain of a business email', () => {
    const result = normaliseLead({ email: '  Ada.Lovelace@Example-Corp.COM ' });
    assert.ok(result.ok);
    assert.equal(result.value.email, 'ada.lovelace@example-corp.com');
    assert.equal(result.value.companyDomain, 'example-corp.com');
    assert.equal(result.value.freeEmail, false);
  });

  it('derives no company domain from a free-mail address', () => {
    const result = normaliseLead({ email: 'someone@gmail.com' });
    assert.ok(result.ok);
    assert.equal(result.value.companyDomain, null);
    assert.equal(result.value.freeEmail, true);
  });

  it('formats phones as E.164, using the country for national numbers', () => {
    assert.deepEqual(normalisePhone('+44 20 7946 0958', undefined), { ok: true, value: '+442079460958' });
    assert.deepEqual(normalisePhone('030 901820', 'DE'), { ok: true, value: '+4930901820' });
    assert.deepEqual(normalisePhone('(415) 555-2671', 'us'), { ok: true, value: '+14155552671' });
    assert.equal(normalisePhone('12', undefined).ok, false);
  });

  it('requires an email or a phone and names each bad field', () => {
    const none = normaliseLead({ name: 'Nobody' });
    assert.deepEqual(none, {
      ok: false,
      error: [{ field: 'email', reason: 'is required unless phone is given' }],
    });
    const bad = normaliseLead({ email: 'not-an-email', phone: 'abc' });
    assert.ok(!bad.ok);
    assert.deepEqual(
      bad.error.map((i) => i.field),
      ['email', 'phone'],
    );
  });

  it('never throws on arbitrary strings and normalises idempotently', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.option(fc.constantFrom('US', 'GB', 'DE', 'FR', 'zz')),
        (email, phone, country) => {
          const result = normaliseLead({ email, phone, ...(country ? { country } : {}) });
          if (result.ok && result.value.email)
            assert.deepEqual(normaliseEmail(result.value.email), { ok: true, value: result.value.email });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rejects unknown top-level fields so typos do not drop data', () => {
    const parsed = leadInputSchema.safeParse({ emial: 'a@b.co' });
    assert.equal(parsed.success, false);
  });
});
