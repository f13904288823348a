import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conversation } from './testing/conversation.ts';

describe('a correction after the end', () => {
  it('re-opens the slot instead of saying the conversation has ended', async () => {
    const { converse, say } = conversation({
      sessionId: 'ses_reopen',
      startsAt: Date.parse('2026-12-06T10:00:00Z'),
      pauseMs: 10_000,
    });
    // The last message declines the offer to leave contact details that comes before a disqualification.
    const { state } = await converse(
      'We need faster lead routing',
      "I'm the CEO",
      'next quarter',
      'about 500 dollars',
      'no thanks',
    );
    assert.equal(state.phase, 'ended');
    assert.equal(state.outcome, 'disqualified');
    const corrected = await say(state, 'sorry, I meant 50k');
    assert.notEqual(corrected.state.phase, 'ended');
    assert.deepEqual(corrected.state.slots.budget?.value, {
      min: 50_000,
      max: 50_000,
      currency: 'USD',
      period: 'one_off',
    });
    assert.ok(corrected.events.some((e) => e.type === 'reopened'));
    assert.doesNotMatch(corrected.replies.map((r) => r.text).join(' '), /has ended/);
  });
});
