import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createIdGenerator, createManualClock } from '../../core/index.ts';
import { JOB_NAMES } from '../catalog.ts';
import type { JobHandlers } from '../port.ts';
import { queueConformance } from '../testing/queue-conformance.ts';
import { testDatabases, waitFor } from '../testing/queue-test-support.ts';
import { createEmbeddedQueue } from './embedded-queue.ts';

for (const database of testDatabases(process.env.TEST_DATABASE_URL)) {
  queueConformance(`embedded (${database.label})`, async () => {
    const { store, queueStore, dispose } = await database.open();
    const clock = createManualClock(Date.UTC(2026, 10, 28));
    const queue = createEmbeddedQueue({
      store: queueStore,
      clock,
      ids: createIdGenerator(),
      idlePollMs: 5,
      random: () => 0.5,
    });
    return { store, queue, clock, workspaceId: 'ws_1', otherWorkspaceId: 'ws_2', close: dispose };
  });
}

describe('embedded queue: long jobs while requests arrive', () => {
  it('holds long jobs back while the batch jobs are behind, except one per interval', async () => {
    const [sqlite] = testDatabases(undefined);
    const { store, dispose } = await (sqlite as NonNullable<typeof sqlite>).open();
    const clock = createManualClock(Date.UTC(2026, 10, 28));
    const queue = createEmbeddedQueue({
      store,
      clock,
      ids: createIdGenerator(),
      idlePollMs: 5,
      batchSize: 64,
      ownWhileBehindEveryMs: 2000,
    });
    const order: string[] = [];
    const handlers = Object.fromEntries(
      JOB_NAMES.map((name) => [
        name,
        async () => {
          order.push(name === 'lead.process' ? 'b' : 'o');
          // Each batch job takes 20 ms of (manual) time: a full claim of 64 takes 1,280 ms.
          if (name === 'lead.process') clock.advance(20);
        },
      ]),
    ) as unknown as JobHandlers;
    await store.transaction((trx) =>
      queue.enqueue(trx, [
        ...Array.from({ length: 5 }, (_, i) => ({
          name: 'council.next_action' as const,
          workspaceId: 'ws_1',
          payload: { leadId: `lead_${i}` },
        })),
        ...Array.from({ length: 192 }, (_, i) => ({
          name: 'lead.process' as const,
          workspaceId: 'ws_1',
          payload: { eventId: `evt_${i}` },
        })),
      ]),
    );
    const controller = new AbortController();
    // Requests arrive throughout.
    const running = queue.work({ handlers, concurrency: 4, signal: controller.signal, busy: () => true });
    try {
      await waitFor(async () => order.filter((x) => x === 'o').length === 5);
      const longBefore = (batchJobs: number) => {
        let seen = 0;
        let long = 0;
        for (const x of order) {
          if (x === 'b' && ++seen >= batchJobs) break;
          if (x === 'o') long++;
        }
        return long;
      };
      // The first starts before the backlog is known; then none for two full claims (2,560 ms)...
      assert.equal(longBefore(128), 1);
      // ...then one, as the interval has passed although the batch jobs are still behind...
      assert.equal(longBefore(192), 2);
      // ...and the rest one at a time once the pipeline has caught up, requests still arriving.
      assert.equal(order.filter((x) => x === 'b').length, 192);
    } finally {
      controller.abort();
      await running;
      await dispose();
    }
  });
});
