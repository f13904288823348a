import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { extractContact } from './extract-contact.ts';

describe('extractContact', () => {
  it('finds email addresses in running text and lower-cases them', () => {
    const found = extractContact('Tom here (Tom@AcmeRobotics.com). Thanks!');
    assert.deepEqual(
      found.emails.map((e) => e.value),
      ['tom@acmerobotics.com'],
    );
    assert.equal(found.malformedEmail, false);
  });

  it('flags an email address that is cut off', () => {
    assert.equal(extractContact('my email is jake@').malformedEmail, true);
    assert.equal(extractContact('jane.doe@acme').malformedEmail, true);
    assert.equal(extractContact('no email, sorry').malformedEmail, false);
  });

  it('takes international and cued phone numbers, not amounts or dates', () => {
    assert.deepEqual(
      extractContact('call me on +44 20 7946 0958').phones.map((p) => p.value),
      ['+442079460958'],
    );
    assert.deepEqual(
      extractContact('you can call me at 0171 2345678').phones.map((p) => p.value),
      ['01712345678'],
    );
    assert.deepEqual(extractContact('budget is 1.200.000 and the date 2027-01-15').phones, []);
    assert.deepEqual(extractContact('we have 12345678 reasons').phones, []);
  });

  it('reads back any generated address', () => {
    const address = fc
      .tuple(
        fc.stringMatching(/^[a-z][a-z0-9._-]{0,15}[a-z0-9]$/),
        fc.stringMatching(/^[a-z][a-z0-9-]{0,12}[a-z]$/),
        fc.constantFrom('com', 'io', 'de', 'co.uk'),
      )
      .filter(([local]) => !local.includes('..'))
      .map(([local, domain, tld]) => `${local}@${domain}.${tld}`);
    fc.assert(
      fc.property(address, (email) => {
        assert.deepEqual(
          extractContact(`sure, it's ${email} thanks`).emails.map((e) => e.value),
          [email],
        );
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.boolean(), (text, expecting) => {
        const found = extractContact(text, expecting);
        for (const phone of found.phones) assert.match(phone.value, /^\+?\d{7,15}$/);
      }),
      { numRuns: 300 },
    );
  });
});
