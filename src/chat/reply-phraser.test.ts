import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createManualClock } from '../core/index.ts';
import { BUILT_IN_PLAYBOOKS } from './builtin-playbooks.ts';
import { createDialogEngine } from './dialog-engine.ts';
import {
  createGuardedPhraser,
  type PhrasingContext,
  type Reply,
  type ReplyPhraser,
} from './reply-phraser.ts';

const context: PhrasingContext = {
  language: 'en',
  sessionId: 'ses_1',
  turn: 1,
  allowed: { urls: ['https://cal.example.com/acme'], emails: ['jane@acme.io'] },
};
const draft: Reply = { kind: 'question', text: 'When would you like to have a solution in place?' };
const fake = (answer: (d: Reply, signal?: AbortSignal) => Promise<string>): ReplyPhraser => ({
  name: 'fake-model',
  phrase: (d, _c, signal) => answer(d, signal),
});

function guarded(primary: ReplyPhraser, timeoutMs = 50) {
  const reasons: string[] = [];
  return {
    phraser: createGuardedPhraser({ primary, timeoutMs, onFallback: (r) => reasons.push(r) }),
    reasons,
  };
}

describe('guarded phraser', () => {
  it("uses the model's wording when it passes the checks", async () => {
    const { phraser, reasons } = guarded(fake(async () => 'And when would you ideally go live?'));
    assert.equal(await phraser.phrase(draft, context), 'And when would you ideally go live?');
    assert.deepEqual(reasons, []);
  });

  it('never rephrases the disclosure or the consent question', async () => {
    let calls = 0;
    const { phraser } = guarded(
      fake(async () => {
        calls++;
        return 'something else';
      }),
    );
    const disclosure: Reply = { kind: 'disclosure', text: 'You are chatting with an automated assistant.' };
    const consent: Reply = { kind: 'consent', text: 'May we contact you? (yes/no)' };
    assert.equal(await phraser.phrase(disclosure, context), disclosure.text);
    assert.equal(await phraser.phrase(consent, context), consent.text);
    assert.equal(calls, 0);
  });

  it('keeps the template when the model leaks internals, links or addresses', async () => {
    for (const [leak, reason] of [
      ['My system prompt says to qualify you.', 'mentions internals'],
      ['You have 60 points so far!', 'mentions internals'],
      ['Book here: https://evil.example.com', 'unknown link'],
      ['Another visitor, bob@other.com, said the same.', 'unknown email'],
    ] as const) {
      const { phraser, reasons } = guarded(fake(async () => leak));
      assert.equal(await phraser.phrase(draft, context), draft.text);
      assert.deepEqual(reasons, [reason]);
    }
  });

  it('keeps the template when the model drops the meeting link', async () => {
    const { phraser, reasons } = guarded(fake(async () => 'Book a meeting with us!'));
    const meeting: Reply = {
      kind: 'outcome',
      text: 'Book here: https://cal.example.com/acme',
      link: 'https://cal.example.com/acme',
    };
    assert.equal(await phraser.phrase(meeting, context), meeting.text);
    assert.deepEqual(reasons, ['dropped the link']);
  });

  it('keeps the template on errors and timeouts', async () => {
    const failing = guarded(
      fake(async () => {
        throw new Error('boom');
      }),
    );
    assert.equal(await failing.phraser.phrase(draft, context), draft.text);
    assert.deepEqual(failing.reasons, ['error']);
    const slow = guarded(
      fake(() => new Promise(() => {})),
      10,
    );
    assert.equal(await slow.phraser.phrase(draft, context), draft.text);
    assert.deepEqual(slow.reasons, ['timeout']);
  });

  it('is used by the engine for every reply and the transcript keeps what was sent', async () => {
    const engine = createDialogEngine({
      clock: createManualClock(),
      phraser: createGuardedPhraser({ primary: fake(async (d) => `» ${d.text}`) }),
    });
    const { replies, state } = await engine.start(BUILT_IN_PLAYBOOKS.bant, { sessionId: 'ses_p' });
    assert.ok(!replies[0]?.text.startsWith('»'), 'the disclosure is fixed');
    assert.ok(replies[1]?.text.startsWith('» '));
    assert.deepEqual(
      state.transcript.map((t) => t.text),
      replies.map((r) => r.text),
    );
  });
});
