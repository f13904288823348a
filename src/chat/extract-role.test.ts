import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { extractRoles, selfAuthority } from './extract-role.ts';

const own = (text: string, pending = true) => selfAuthority(extractRoles(text), pending)?.level;

describe('extractRoles', () => {
  it('reads titles as visitors write them: title only, "X here", "as X", functions around the title', () => {
    const unasked = (text: string) => selfAuthority(extractRoles(text), false);
    assert.equal(unasked('Director of Demand Generation')?.level, 'director');
    assert.equal(unasked('Head of Procurement. I run the vendor selection')?.level, 'director');
    assert.equal(unasked('Purchasing manager, collecting offers on behalf of our board')?.level, 'manager');
    assert.equal(unasked('Partner at a mid-size law firm.')?.level, 'executive');
    assert.equal(unasked('As CFO I want to understand our cost per lead')?.level, 'executive');
    assert.equal(unasked('As the RevOps lead I own our routing rules')?.level, 'manager');
    assert.equal(unasked('I own three dental practices')?.level, 'executive');
    assert.equal(unasked('I look after marketing')?.level, 'director');
    assert.equal(unasked("I'm on the sales team")?.level, 'individual');
    assert.equal(unasked('I lead the inside sales team')?.level, 'manager');
    assert.equal(unasked('my title is Growth Lead')?.level, 'manager');
  });

  it('spans the whole title, so no piece of it is left for the need', () => {
    const text = 'Vice President, Revenue Operations';
    const [role] = extractRoles(text);
    assert.deepEqual([role?.start, role?.end], [0, text.length]);
    const growth = extractRoles('Head of Growth here, reporting to the CMO')[0];
    assert.equal(
      'Head of Growth here, reporting to the CMO'.slice(growth?.start, growth?.end),
      'Head of Growth',
    );
  });

  it('keeps a prospect a prospect: "the inbound lead" and "our partner portal" name no one', () => {
    assert.deepEqual(extractRoles('the inbound lead is lost'), []);
    assert.deepEqual(extractRoles('leads from the partner portal'), []);
  });

  it('maps titles to authority levels', () => {
    assert.equal(own("I'm the CTO"), 'executive');
    assert.equal(own('co-founder and CEO'), 'executive');
    assert.equal(own('managing director'), 'executive');
    assert.equal(own('VP of Sales'), 'vp');
    assert.equal(own('Senior Director of RevOps'), 'director');
    assert.equal(own('Head of Growth'), 'director');
    assert.equal(own("I'm a marketing manager"), 'manager');
    assert.equal(own('team lead, outbound'), 'manager');
    assert.equal(own('data analyst'), 'individual');
    assert.equal(own('individual contributor'), 'individual');
  });

  it('reads decision statements: signing off is executive, deferring to a boss is individual', () => {
    assert.equal(own("I'm the one who signs off on tools like this", false), 'executive');
    assert.equal(own('it is my call', false), 'executive');
    assert.equal(own("I'd need to check with my boss", false), 'individual');
  });

  it('does not take a compound title apart: an account executive is not an executive', () => {
    assert.equal(own('account executive'), 'individual');
    assert.equal(own('SDR manager'), 'manager');
    assert.equal(own('executive assistant'), 'individual');
  });

  it("tells the visitor's own role from someone else's", () => {
    const roles = extractRoles("I'm a sales ops specialist, I report to the CEO");
    assert.deepEqual(
      roles.map((r) => [r.level, r.subject]),
      [
        ['individual', 'self'],
        ['executive', 'other'],
      ],
    );
    assert.equal(extractRoles('Our CFO signs off')[0]?.subject, 'other');
  });

  it('reads responsibility statements', () => {
    assert.equal(own('I head up sales ops', false), 'director');
    assert.equal(own("I'm in charge of the sales team", false), 'manager');
  });

  it('reads German, Spanish and French titles', () => {
    assert.equal(own('Ich bin Geschäftsführer'), 'executive');
    assert.equal(own('Ich bin Marketingleiterin'), 'director');
    assert.equal(own('Teamleiterin im Vertrieb'), 'manager');
    assert.equal(own('Soy gerente de ventas'), 'manager');
    assert.equal(own('Je suis directrice commerciale'), 'director');
    assert.equal(own('Ich leite den Vertrieb', false), 'director');
  });

  it('never throws and returns non-overlapping spans', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 160 }), (text) => {
        const roles = extractRoles(text);
        roles.forEach((role, i) => {
          const next = roles[i + 1];
          if (next !== undefined) assert.ok(role.end <= next.start);
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('extractRoles: titles in any position', () => {
  const own = (text: string) => extractRoles(text).find((r) => r.subject === 'self')?.level;
  it('reads a title-only message, "X here" and a signature as the visitor', () => {
    assert.equal(own('Director of Demand Generation'), 'director');
    assert.equal(own('Head of Growth here, reporting to the CMO'), 'director');
    assert.equal(own('Procurement specialist, gathering quotes for our CMO'), 'individual');
    assert.equal(own("I'm the SDR manager"), 'manager');
    assert.equal(own('Hi, this is Jane Roe, VP Sales at Acme'), 'vp');
    assert.equal(own('CMO here'), 'executive');
    assert.equal(own('as the CRO I own the number'), 'executive');
  });
  it('does not read a title the visitor wants to buy or someone else holds', () => {
    assert.equal(own('We need an AI assistant for our site'), undefined);
    assert.equal(own('my boss is the CFO'), undefined);
  });
});
