import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createManualClock } from '../core/index.ts';
import { BUILT_IN_PLAYBOOKS } from './builtin-playbooks.ts';
import { createDialogEngine } from './dialog-engine.ts';

describe('a correction after the end', () => {
  it('re-opens the slot instead of saying the conversation has ended', async () => {
    const clock = createManualClock(Date.parse('2026-12-06T10:00:00Z'));
    const engine = createDialogEngine({ clock });
    let { state } = await engine.start(BUILT_IN_PLAYBOOKS.bant, { sessionId: 'ses_reopen' });
    // The last message declines the offer to leave contact details that comes before a disqualification.
    for (const text of [
      'We need faster lead routing',
      "I'm the CEO",
      'next quarter',
      'about 500 dollars',
      'no thanks',
    ]) {
      clock.advance(10_000);
      ({ state } = await engine.handle(state, text));
    }
    assert.equal(state.phase, 'ended');
    assert.equal(state.outcome, 'disqualified');
    clock.advance(10_000);
    const corrected = await engine.handle(state, 'sorry, I meant 50k');
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
