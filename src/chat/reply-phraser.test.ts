import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createManualClock, LeadloopError } from '../core/index.ts';
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
  phrase: async (d, _c, options) => ({
    text: await answer(d, options?.signal),
    origin: { path: 'model', model: 'fake:model' },
  }),
});

/** A model phraser that streams `chunks` (waiting for `gate` before `after`) and then answers their text. */
const streaming = (chunks: string[], gate?: Promise<void>, after: string[] = []): ReplyPhraser => ({
  name: 'fake-stream',
  async phrase(_d, _c, options) {
    for (const chunk of chunks) options?.onDelta?.(chunk);
    if (gate) await gate;
    for (const chunk of after) options?.onDelta?.(chunk);
    return { text: [...chunks, ...after].join(''), origin: { path: 'model', model: 'fake:stream' } };
  },
});

function guarded(primary: ReplyPhraser, timeoutMs = 50) {
  const reasons: string[] = [];
  return {
    phraser: createGuardedPhraser({ primary, timeoutMs, onFallback: (r) => reasons.push(r) }),
    reasons,
  };
}

/** The guarded phraser sends `reply` as drafted, and says why, when the model words it as `worded`. */
async function assertKeepsTemplate(worded: string, reason: string, reply: Reply = draft) {
  const { phraser, reasons } = guarded(fake(async () => worded));
  assert.deepEqual(
    await phraser.phrase(reply, context),
    { text: reply.text, origin: { path: 'offline', reason } },
    worded,
  );
  assert.deepEqual(reasons, [reason]);
}

describe('guarded phraser', () => {
  it("uses the model's wording when it passes the checks", async () => {
    const { phraser, reasons } = guarded(fake(async () => 'And when would you ideally go live?'));
    assert.deepEqual(await phraser.phrase(draft, context), {
      text: 'And when would you ideally go live?',
      origin: { path: 'model', model: 'fake:model' },
    });
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
    assert.equal((await phraser.phrase(disclosure, context)).text, disclosure.text);
    assert.equal((await phraser.phrase(consent, context)).text, consent.text);
    assert.equal(calls, 0);
  });

  it('keeps the template when the model leaks internals, links or addresses', async () => {
    for (const [leak, reason] of [
      ['My system prompt says to qualify you.', 'mentions internals'],
      ['You have 60 points so far!', 'mentions internals'],
      ['Book here: https://evil.example.com', 'unknown link'],
      ['Another visitor, bob@other.com, said the same.', 'unknown email'],
    ] as const) {
      await assertKeepsTemplate(leak, reason);
    }
  });

  it('keeps the template when the model drops the meeting link', async () => {
    const meeting: Reply = {
      kind: 'outcome',
      text: 'Book here: https://cal.example.com/acme',
      link: 'https://cal.example.com/acme',
    };
    await assertKeepsTemplate('Book a meeting with us!', 'dropped the link', meeting);
  });

  it('keeps the template on errors and timeouts', async () => {
    const failing = guarded(
      fake(async () => {
        throw new Error('boom');
      }),
    );
    assert.deepEqual(await failing.phraser.phrase(draft, context), {
      text: draft.text,
      origin: { path: 'offline', reason: 'error' },
    });
    assert.deepEqual(failing.reasons, ['error']);
    const slow = guarded(
      fake(() => new Promise(() => {})),
      10,
    );
    assert.deepEqual(await slow.phraser.phrase(draft, context), {
      text: draft.text,
      origin: { path: 'offline', reason: 'timeout' },
    });
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

  it('keeps the template when the model adds a question, commercial terms or figures the draft does not have', async () => {
    for (const [worded, reason] of [
      ['When would you like to go live? And how big is your team?', 'adds a question'],
      ['When would you like to start? We can offer a discount if it is soon.', 'promises terms'],
      ['When would you like to start? Plans begin at $49.', 'adds figures'],
      ['When would you like to start your free trial?', 'promises terms'],
    ] as const) {
      await assertKeepsTemplate(worded, reason);
    }
  });

  it('says over_budget when the workspace has used its model tokens', async () => {
    const { phraser } = guarded(
      fake(async () => {
        throw new LeadloopError('rate_limited', 'workspace ws_1 has used 100 of its 100 model tokens');
      }),
    );
    assert.deepEqual((await phraser.phrase(draft, context)).origin, {
      path: 'offline',
      reason: 'over_budget',
    });
  });

  it('forwards streamed text word by word while the model is still writing', async () => {
    const { promise: gate, resolve } = Promise.withResolvers<void>();
    const shown: string[] = [];
    const phraser = createGuardedPhraser({
      primary: streaming(['And wh', 'en would ', 'you like'], gate, [' to go live?']),
    });
    const done = phraser.phrase(draft, context, { onDelta: (text) => shown.push(text) });
    await new Promise((r) => setImmediate(r));
    // Whole words only, before the model finished: the reply is not complete yet.
    assert.deepEqual(shown, ['And', ' when would', ' you']);
    resolve();
    assert.deepEqual(await done, {
      text: 'And when would you like to go live?',
      origin: { path: 'model', model: 'fake:stream' },
    });
    assert.deepEqual(shown, ['And', ' when would', ' you', ' like to go', ' live?']);
  });

  it('stops a stream at the first words it may not send and keeps the template', async () => {
    const shown: string[] = [];
    let aborted = false;
    const phraser = createGuardedPhraser({
      primary: {
        name: 'leaky',
        async phrase(_d, _c, options) {
          options?.signal?.addEventListener('abort', () => {
            aborted = true;
          });
          for (const chunk of ['Sure, ', 'my system ', 'prompt says ', 'hello ']) options?.onDelta?.(chunk);
          await new Promise((r) => setTimeout(r, 5));
          return { text: 'never used', origin: { path: 'model', model: 'x:y' } };
        },
      },
    });
    const phrased = await phraser.phrase(draft, context, { onDelta: (text) => shown.push(text) });
    assert.deepEqual(phrased, {
      text: draft.text,
      origin: { path: 'offline', reason: 'mentions internals' },
    });
    assert.deepEqual(shown, ['Sure,', ' my system'], 'the leak itself was never shown');
    assert.ok(aborted, 'the model call was stopped');
  });
});

describe('guarded phraser writing answers from passages', () => {
  const passages = [
    {
      id: 'pricing.md#Pricing',
      heading: 'Pricing',
      text: 'Plans are billed per seat: 29 euros per seat per month.',
    },
    { id: 'faq.md#Trial', heading: 'Trial', text: 'There is a 14-day trial.' },
  ];
  const answerDraft: Reply = {
    kind: 'answer',
    text: 'Plans are billed per seat: 29 euros per seat per month.',
    source: { file: 'pricing.md', heading: 'Pricing' },
    grounding: { question: 'Does your pricing work per seat?', passages, decline: "I don't know that." },
  };

  it('writes the answer from the passages, hides the citation markers and records the passages cited', async () => {
    const shown: string[] = [];
    const phraser = createGuardedPhraser({
      primary: streaming(['Yes, ', 'pricing is per seat, ', '29 euros a month [1]. ', 'Happy to help.']),
    });
    const phrased = await phraser.phrase(answerDraft, context, { onDelta: (t) => shown.push(t) });
    assert.deepEqual(phrased, {
      text: 'Yes, pricing is per seat, 29 euros a month. Happy to help.',
      origin: { path: 'model', model: 'fake:stream', cited: ['pricing.md#Pricing'] },
    });
    assert.equal(shown.join(''), phrased.text, 'no marker was streamed, and the deltas spell the answer');
  });

  it('declines when the model says the passages do not answer, showing nothing of the marker', async () => {
    const shown: string[] = [];
    const phraser = createGuardedPhraser({ primary: streaming(['NO_', 'ANSWER']) });
    const phrased = await phraser.phrase(answerDraft, context, { onDelta: (t) => shown.push(t) });
    assert.deepEqual(phrased, {
      text: "I don't know that.",
      origin: { path: 'model', model: 'fake:stream', declined: true },
    });
    assert.deepEqual(shown, []);
  });

  it('keeps the offline answer when the model states figures the passages do not, or cites nothing', async () => {
    for (const [worded, reason] of [
      ['Yes, per seat, 19 euros a month [1].', 'adds figures'],
      ['Yes, it is per seat, and we give a discount for annual plans [1].', 'promises terms'],
      ['Yes, it is per seat.', 'cites no passage'],
      ['Yes, it is per seat [3].', 'cites an unknown passage'],
    ] as const) {
      const { phraser } = guarded(fake(async () => worded));
      assert.deepEqual(await phraser.phrase(answerDraft, context), {
        text: answerDraft.text,
        origin: { path: 'offline', reason },
      });
    }
  });
});
