import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TurnResult } from './dialog-engine-types.ts';
import { conversation } from './testing/conversation.ts';

/** A BANT conversation whose answers disqualify (a 300-dollar one-off budget). */
async function disqualifiedVisitor(
  locale?: string,
  turns = ['I need a booking form for my yoga studio', "I'm the owner", 'next month', '300 dollars'],
) {
  const { converse, say } = conversation({
    sessionId: `ses_offer_${locale ?? 'en'}`,
    locale,
    startsAt: Date.parse('2026-12-06T10:00:00Z'),
  });
  return { result: await converse(...turns), say };
}

const text = (result: TurnResult) => result.replies.map((r) => r.text).join(' ');

describe('before a disqualification, the visitor is offered to leave contact details', () => {
  it('offers instead of ending, and records the decision as disqualified', async () => {
    const { result } = await disqualifiedVisitor();
    assert.notEqual(result.state.phase, 'ended');
    assert.equal(result.state.phase, 'contact');
    assert.equal(result.state.contactOffer, true);
    assert.match(text(result), /not be the right fit/);
    assert.match(text(result), /email address/);
    assert.match(text(result), /say no/);
    assert.ok(!result.events.some((e) => e.type === 'ended'));
  });

  it('takes the address and the consent, then ends disqualified with both kept', async () => {
    const { result, say } = await disqualifiedVisitor();
    const contact = await say(result.state, 'sure, it is maya@yogaloft.example');
    assert.equal(contact.state.contact.email, 'maya@yogaloft.example');
    assert.equal(contact.state.pending, 'consent');
    const consent = await say(contact.state, 'yes');
    assert.equal(consent.state.phase, 'ended');
    assert.equal(consent.state.outcome, 'disqualified');
    assert.equal(consent.state.consentDecision, 'given');
    assert.ok(consent.state.consent?.purposes.length);
    assert.match(text(consent), /get back to you if anything changes/);
  });

  it('ends disqualified without contact details when the visitor declines', async () => {
    const { result, say } = await disqualifiedVisitor();
    const declined = await say(result.state, 'no, thanks');
    assert.equal(declined.state.phase, 'ended');
    assert.equal(declined.state.outcome, 'disqualified');
    assert.equal(declined.state.contact.email, undefined);
    assert.equal(declined.state.consent, null);
  });

  it('re-decides when the visitor corrects an answer instead: a budget corrected upwards is asked for contact as a lead', async () => {
    const { result, say } = await disqualifiedVisitor();
    const corrected = await say(result.state, 'sorry, I meant 30k dollars');
    assert.deepEqual(corrected.state.slots.budget?.value, {
      min: 30_000,
      max: 30_000,
      currency: 'USD',
      period: 'one_off',
    });
    assert.equal(corrected.state.contactOffer, false);
    assert.equal(corrected.state.phase, 'contact');
    assert.doesNotMatch(text(corrected), /right fit/);
    const lead = await say(corrected.state, 'maya@yogaloft.example');
    const done = await say(lead.state, 'yes');
    assert.equal(done.state.outcome, 'qualified');
  });

  it('speaks the visitor’s language', async () => {
    const { result } = await disqualifiedVisitor('de-DE', [
      'Ich brauche ein Buchungsformular für mein Yogastudio',
      'Ich bin die Inhaberin',
      'nächsten Monat',
      'ungefähr 300 Euro',
    ]);
    assert.equal(result.state.contactOffer, true);
    assert.match(text(result), /E-Mail-Adresse/);
  });
});
