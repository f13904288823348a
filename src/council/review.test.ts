import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createManualClock } from '../core/index.ts';
import type { CouncilDecision } from './decision-record.ts';
import type { NextActionAnswer } from './question-schemas.ts';
import { applyFeedback, overrideDecision } from './review.ts';
import { leadWorkspace, NOW, testCouncil } from './testing/test-support.ts';

const clock = createManualClock(NOW);
const actor = { type: 'api_key' as const, id: 'key_1' };

async function decision(
  type: 'lead.next_action' | 'performance.review' = 'lead.next_action',
): Promise<CouncilDecision> {
  const { council } = testCouncil({ ws_a: leadWorkspace({ lead: { country: 'US', industry: null } }) });
  const result = await council.ask(type === 'lead.next_action' ? { type, leadId: 'lead_1' } : { type }, {
    workspaceId: 'ws_a',
  });
  if (!result.ok) throw result.error;
  return result.value;
}

const nurture = (d: CouncilDecision): NextActionAnswer => ({
  ...(d.output as NextActionAnswer),
  action: 'start_nurture',
  reasons: ['The rep team is at capacity this quarter.'],
});

describe('feedback', () => {
  test('accept rewards 1, reject 0, an edit keeping the class 0.5 and one changing it 0', async () => {
    const d = await decision();
    assert.equal(d.decisionClass, 'route_to_rep');
    const reward = (input: unknown) => {
      const review = applyFeedback(d, input, clock);
      assert.ok(review.ok);
      return review.value.reward;
    };
    assert.equal(reward({ verdict: 'accept', by: 'usr_1' }), 1);
    assert.equal(reward({ verdict: 'reject', by: 'usr_1', comment: 'wrong region' }), 0);
    const sameClass = { ...(d.output as NextActionAnswer), reasons: ['Edited reason.'] };
    assert.equal(reward({ verdict: 'edit', by: 'usr_1', output: sameClass }), 0.5);
    assert.equal(reward({ verdict: 'edit', by: 'usr_1', output: nurture(d) }), 0);
  });

  test('rejects an edit whose output does not fit the question, naming the field', async () => {
    const d = await decision();
    const review = applyFeedback(d, { verdict: 'edit', by: 'usr_1', output: { action: 'call_now' } }, clock);
    assert.equal(review.ok, false);
    assert.ok(!review.ok && review.error.some((issue) => issue.field.startsWith('body.output')));
    assert.equal(applyFeedback(d, { verdict: 'maybe', by: 'usr_1' }, clock).ok, false);
  });
});

describe('override (GDPR Art. 22)', () => {
  test('records the reviewer, the reason, both classes and an audit record without personal data', async () => {
    const d = await decision();
    const result = overrideDecision(
      d,
      { by: 'usr_7', reason: 'Customer asked for e-mail only', output: nurture(d) },
      { clock, actor },
    );
    assert.ok(result.ok);
    const override = result.value;
    assert.equal(override.decisionId, d.id);
    assert.equal(override.subject, 'lead_1');
    assert.equal(override.previous.decisionClass, 'route_to_rep');
    assert.equal(override.decisionClass, 'start_nurture');
    assert.equal(override.basis, 'GDPR Art. 22(3): human intervention');
    assert.equal(override.at, '2026-11-28T12:00:00.000Z');
    assert.equal(override.audit.action, 'council.decision.override');
    assert.deepEqual(override.audit.actor, actor);
    assert.match(override.previous.outputHash, /^[0-9a-f]{64}$/);
    assert.doesNotMatch(JSON.stringify(override.audit), /Anna|Nordwind|capacity/);
  });

  test('requires a reason and a valid answer', async () => {
    const d = await decision();
    assert.equal(
      overrideDecision(d, { by: 'usr_7', reason: '', output: nurture(d) }, { clock, actor }).ok,
      false,
    );
    assert.equal(
      overrideDecision(d, { by: 'usr_7', reason: 'Because', output: {} }, { clock, actor }).ok,
      false,
    );
  });

  test('only decisions about a lead can be overridden', async () => {
    const d = await decision('performance.review');
    const result = overrideDecision(
      d,
      { by: 'usr_7', reason: 'Because', output: d.output },
      { clock, actor },
    );
    assert.equal(result.ok, false);
  });
});
