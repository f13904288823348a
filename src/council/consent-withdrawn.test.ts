import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { leadWorkspace, testCouncil } from './testing/test-support.ts';
import type { LeadSnapshot } from './tools-port.ts';

const question = { type: 'lead.next_action', leadId: 'lead_1' };

/** A US SaaS lead below the threshold with a distant timeline: the council's answer is nurture by e-mail. */
function usLead(lead: Partial<LeadSnapshot> = {}) {
  return leadWorkspace({
    lead: { country: 'US', consentPurposes: ['marketing', 'sales_contact'], ...lead },
    score: { score: 40 },
    conversation: {
      slots: {
        need: 'Faster routing',
        authority: 'vp',
        timeline: { byDate: '2027-06-01' },
        budget: { min: 5000, max: 5000, currency: 'USD' },
      },
    },
  });
}

describe('the council honours withdrawn consent', () => {
  test('no nurture e-mail is proposed once the person withdrew email_marketing, in any region', async () => {
    const baseline = await testCouncil({ ws_a: usLead() }).council.ask(question, { workspaceId: 'ws_a' });
    assert.ok(baseline.ok);
    assert.equal(baseline.value.decisionClass, 'start_nurture', 'without a withdrawal the answer is nurture');

    const withdrawn = await testCouncil({
      ws_a: usLead({ consentPurposes: ['sales_contact'], consentWithdrawn: ['email_marketing'] }),
    }).council.ask(question, { workspaceId: 'ws_a' });
    assert.ok(withdrawn.ok);
    assert.notEqual(withdrawn.value.decisionClass, 'start_nurture');
    for (const vote of withdrawn.value.votes)
      assert.notEqual(vote.decisionClass, 'start_nurture', `${vote.agentId} proposed nurture`);
    assert.match(JSON.stringify(withdrawn.value.output), /withdrew consent to marketing e-mail/);
  });

  test('a lead whose e-mail consent was never given (not withdrawn) keeps the regional rule alone', async () => {
    const result = await testCouncil({ ws_a: usLead({ consentPurposes: [] }) }).council.ask(question, {
      workspaceId: 'ws_a',
    });
    assert.ok(result.ok);
    assert.equal(result.value.decisionClass, 'start_nurture', 'US: nurture e-mail needs no prior opt-in');
  });
});
