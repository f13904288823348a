import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import type { StoredOutcome, SubmissionRecord } from '../ingest/index.ts';
import type { NormalisedLead } from '../leads/index.ts';
import { createStoreReceiver, createStoreSender } from './one-writer.ts';

const record = (eventId: string, workspaceId = 'ws_1'): SubmissionRecord => ({
  eventId,
  workspaceId,
  source: 'webhook',
  payload: '{}',
  idempotencyKey: `key-${eventId}`,
  requestHash: 'h',
  body: JSON.stringify({ eventId }),
});
const lead = (email: string) => ({ email }) as unknown as NormalisedLead;

/** Both sides on one thread, over a real MessageChannel, with a store that records its calls. */
function pair(store: (now: number, records: SubmissionRecord[]) => Promise<StoredOutcome[]>) {
  const channel = new MessageChannel();
  const sender = createStoreSender(channel.port1);
  const handed: string[] = [];
  let notified = 0;
  const errors: unknown[] = [];
  const receiver = createStoreReceiver({
    port: channel.port2,
    store,
    handOver: (eventId) => handed.push(eventId),
    stored: () => notified++,
    onError: (error) => errors.push(error),
  });
  const close = () => {
    channel.port1.close();
    channel.port2.close();
  };
  return { sender, receiver, handed, errors, notified: () => notified, close };
}

describe('one writer: group commits stored on another thread’s connection', () => {
  it('stores what arrived before a set in one transaction and answers each request with its own outcomes', async () => {
    const calls: { now: number; ids: string[] }[] = [];
    const side = pair(async (now, records) => {
      calls.push({ now, ids: records.map((r) => r.eventId) });
      // The second record was a replay of an earlier request with its key.
      return records.map(
        (r): StoredOutcome =>
          r.eventId === 'evt_b'
            ? { kind: 'replayed', status: 202, body: '{"eventId":"evt_0"}' }
            : { kind: 'accepted' },
      );
    });
    try {
      const first = side.sender.storeElsewhere(
        200,
        [record('evt_a'), record('evt_b')],
        [
          ['evt_a', lead('a@x.example')],
          ['evt_b', lead('b@x.example')],
        ],
      );
      const second = side.sender.storeElsewhere(100, [record('evt_c')], [['evt_c', lead('c@x.example')]]);
      assert.ok(first && second);
      // Before the set: both requests are taken at once, though neither was dispatched yet.
      await side.receiver.flush();
      assert.deepEqual(calls, [{ now: 100, ids: ['evt_a', 'evt_b', 'evt_c'] }]);
      assert.deepEqual(await first, [
        { kind: 'accepted' },
        { kind: 'replayed', status: 202, body: '{"eventId":"evt_0"}' },
      ]);
      assert.deepEqual(await second, [{ kind: 'accepted' }]);
      // Only accepted submissions' leads reach the pipeline; the replay's event is not this one.
      assert.deepEqual(side.handed, ['evt_a', 'evt_c']);
      assert.equal(side.notified(), 1);
      // Nothing left for the next set.
      await side.receiver.flush();
      assert.equal(calls.length, 1);
    } finally {
      side.close();
    }
  });

  it('stores by itself when the thread is idle (no set to come)', async () => {
    const calls: string[][] = [];
    const side = pair(async (_now, records) => {
      calls.push(records.map((r) => r.eventId));
      return records.map((): StoredOutcome => ({ kind: 'accepted' }));
    });
    try {
      const outcomes = await side.sender.storeElsewhere(1, [record('evt_a')], []);
      assert.deepEqual(outcomes, [{ kind: 'accepted' }]);
      assert.deepEqual(calls, [['evt_a']]);
    } finally {
      side.close();
    }
  });

  it('with the log synced by the server, answers only once its sync of the thread’s commit ends', async () => {
    const channel = new MessageChannel();
    const syncs: { resolve(): void; reject(error: Error): void }[] = [];
    const sender = createStoreSender(channel.port1, {
      syncLog: () => new Promise<void>((resolve, reject) => syncs.push({ resolve, reject })),
    });
    const committed: string[] = [];
    const receiver = createStoreReceiver({
      port: channel.port2,
      store: async (_now, records) => {
        committed.push(...records.map((r) => r.eventId));
        return records.map((): StoredOutcome => ({ kind: 'accepted' }));
      },
      handOver: () => {},
      stored: () => {},
      onError: () => {},
    });
    try {
      let answered = false;
      const request = sender.storeElsewhere(1, [record('evt_a')], []);
      void request?.then(() => {
        answered = true;
      });
      await receiver.flush();
      // The thread has committed and replied; the server's sync has started and not ended.
      for (let i = 0; i < 50 && syncs.length === 0; i++) await new Promise((r) => setTimeout(r, 2));
      assert.deepEqual(committed, ['evt_a']);
      assert.equal(syncs.length, 1);
      assert.equal(sender.waiting(), 0, 'the thread has answered');
      await new Promise((r) => setTimeout(r, 10));
      assert.equal(answered, false, 'nobody is answered before the log is on the disk');
      syncs[0]?.resolve();
      assert.deepEqual(await request, [{ kind: 'accepted' }]);

      // A failed sync: the commit stays, and its callers are told to retry.
      const second = sender.storeElsewhere(1, [record('evt_b')], []);
      await receiver.flush();
      for (let i = 0; i < 50 && syncs.length === 1; i++) await new Promise((r) => setTimeout(r, 2));
      syncs[1]?.reject(new Error('EIO'));
      await assert.rejects(second as Promise<unknown>, (error: { code?: string; retryable?: boolean }) => {
        assert.equal(error.code, 'unavailable');
        assert.equal(error.retryable, true);
        return true;
      });
    } finally {
      channel.port1.close();
      channel.port2.close();
    }
  });

  it('answers every request of a failed transaction with a retryable error', async () => {
    const side = pair(async () => {
      throw new Error('disk full');
    });
    try {
      const first = side.sender.storeElsewhere(1, [record('evt_a')], []);
      const second = side.sender.storeElsewhere(1, [record('evt_b')], []);
      await side.receiver.flush();
      for (const request of [first, second])
        await assert.rejects(request as Promise<unknown>, (error: { code?: string; retryable?: boolean }) => {
          assert.equal(error.code, 'unavailable');
          assert.equal(error.retryable, true);
          return true;
        });
      assert.equal(side.errors.length, 1, 'one transaction failed');
      assert.equal(side.notified(), 0);
    } finally {
      side.close();
    }
  });

  it('stores on the server’s connection while the thread is slow to answer', async () => {
    const channel = new MessageChannel();
    let clock = 0;
    const sender = createStoreSender(channel.port1, { slowAfterMs: 50, now: () => clock });
    const receiver = createStoreReceiver({
      port: channel.port2,
      store: async (_now, records) => records.map((): StoredOutcome => ({ kind: 'accepted' })),
      handOver: () => {},
      stored: () => {},
      onError: () => {},
    });
    try {
      const first = sender.storeElsewhere(1, [record('evt_a')], []);
      assert.ok(first);
      clock = 40;
      // Within the bound the next batch goes to the thread as well.
      const second = sender.storeElsewhere(1, [record('evt_b')], []);
      assert.ok(second);
      clock = 51;
      // The oldest has waited longer than the bound: the caller stores this batch itself.
      assert.equal(sender.storeElsewhere(1, [record('evt_c')], []), null);
      await receiver.flush();
      await Promise.all([first, second]);
      // Answered: back to the thread.
      assert.ok(sender.storeElsewhere(1, [record('evt_d')], []));
    } finally {
      channel.port1.close();
      channel.port2.close();
    }
  });

  it('tells the callers of unanswered requests to retry when the thread stops', async () => {
    const channel = new MessageChannel();
    const sender = createStoreSender(channel.port1);
    try {
      // Nobody receives on port2: the thread died before answering.
      const request = sender.storeElsewhere(1, [record('evt_a')], []);
      sender.rejectAll('the worker thread stopped before answering; retry');
      await assert.rejects(request as Promise<unknown>, /stopped before answering/);
    } finally {
      channel.port1.close();
      channel.port2.close();
    }
  });
});
