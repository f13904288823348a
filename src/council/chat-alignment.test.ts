import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCouncilDecision } from './decision-record.ts';
import type { NextActionAnswer } from './question-schemas.ts';
import { leadWorkspace, testCouncil } from './testing/test-support.ts';

const question = { type: 'lead.next_action', leadId: 'lead_1' };
// A UK SaaS lead with marketing consent: no industry or regional rule changes the general answer.
const ukLead = { country: 'GB', consentPurposes: ['marketing', 'sales_contact'] };

describe('the council’s next action next to the chat’s outcome', () => {
  test('a nurture after the chat told the buyer "great fit" carries the chat outcome and says why', async () => {
    const { council } = testCouncil({
      ws_a: leadWorkspace({ lead: ukLead, score: { score: 40 } }),
    });
    const result = await council.ask(question, { workspaceId: 'ws_a' });
    assert.ok(result.ok);
    const decision = result.value;
    assert.equal(decision.decisionClass, 'start_nurture');
    assert.equal(decision.chat?.sessionId, 'ses_1');
    assert.equal(decision.chat?.outcome, 'qualified');
    assert.equal(decision.chat?.agrees, false);
    assert.match(decision.chat?.reason ?? '', /chat ended "qualified"/);
    assert.match(decision.chat?.reason ?? '', /good fit/);
    assert.match(decision.chat?.reason ?? '', /start a nurture sequence/);
    assert.match(decision.chat?.reason ?? '', /Score 40 is below the threshold 70/);
    assert.match(decision.explanation, /Against the chat: The chat ended "qualified"/);
    // Stored and read back, the decision keeps it.
    const stored = parseCouncilDecision(JSON.parse(JSON.stringify(decision)));
    assert.deepEqual(stored?.chat, decision.chat);
  });

  test('a routing after a qualified chat agrees and says so', async () => {
    const { council } = testCouncil({
      ws_a: leadWorkspace({
        lead: ukLead,
        score: { score: 85 },
        conversation: {
          slots: { need: 'Faster routing', authority: 'vp', timeline: { byDate: '2026-12-20' } },
        },
      }),
    });
    const result = await council.ask(question, { workspaceId: 'ws_a' });
    assert.ok(result.ok);
    assert.equal(result.value.decisionClass, 'route_to_rep');
    assert.deepEqual(result.value.chat, {
      sessionId: 'ses_1',
      outcome: 'qualified',
      agrees: true,
      reason: null,
    });
    assert.match(result.value.explanation, /The chat ended "qualified"; this recommendation follows it/);
  });

  test('a chat that disqualified, overridden by a hand-off request, names the request', async () => {
    const { council } = testCouncil({
      ws_a: leadWorkspace({
        lead: ukLead,
        conversation: { outcome: 'disqualified', handoffRequested: true },
      }),
    });
    const result = await council.ask(question, { workspaceId: 'ws_a' });
    assert.ok(result.ok);
    const output = result.value.output as NextActionAnswer;
    assert.equal(output.action, 'route_to_rep');
    assert.equal(result.value.chat?.agrees, false);
    assert.match(result.value.chat?.reason ?? '', /not be the right fit/);
    assert.match(result.value.chat?.reason ?? '', /asked to talk to a person/);
  });

  test('a lead without a chat, and questions other than the next action, carry none', async () => {
    const { council } = testCouncil({ ws_a: leadWorkspace({ lead: ukLead, conversation: null }) });
    const next = await council.ask(question, { workspaceId: 'ws_a' });
    assert.ok(next.ok);
    assert.equal(next.value.chat, null);
    const research = await council.ask({ type: 'lead.research', leadId: 'lead_1' }, { workspaceId: 'ws_a' });
    assert.ok(research.ok);
    assert.equal(research.value.chat, null);
  });
});
