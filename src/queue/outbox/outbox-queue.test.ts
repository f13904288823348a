import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createIdGenerator, inWorkspace, LeadloopError, systemClock } from '../../core/index.ts';
import type { JobPool } from '../catalog.ts';
import type { JobHandlers } from '../port.ts';
import { testDatabases, waitFor } from '../testing/queue-test-support.ts';
import type { Broker, Delivery } from './broker.ts';
import { createOutboxQueue } from './outbox-queue.ts';

/**
 * A broker whose `pipeline` queue fails every call (as a BullMQ queue that failed its connection
 * check did, for good), and which records what the other pools were handed.
 */
function brokenPipelineBroker(): Broker & { published: Map<JobPool, Delivery[]>; refused: number } {
  const published = new Map<JobPool, Delivery[]>();
  const broker = {
    published,
    refused: 0,
    ready: () => true,
    async waiting(pool: JobPool) {
      if (pool === 'pipeline') {
        broker.refused++;
        throw new LeadloopError('unavailable', 'the pipeline queue is broken', { retryable: true });
      }
      return 0;
    },
    async publish(pool: JobPool, deliveries: readonly Delivery[]) {
      published.set(pool, [...(published.get(pool) ?? []), ...deliveries]);
    },
    consume: () => ({ stop: async () => {} }),
    close: async () => {},
  };
  return broker;
}

for (const database of testDatabases(process.env.TEST_DATABASE_URL)) {
  describe(`outbox relay loop (${database.label})`, () => {
    it("relays the other pools of a pass when one pool's broker calls fail", async () => {
      const { queueStore, dispose } = await database.open();
      const broker = brokenPipelineBroker();
      const errors: unknown[] = [];
      const queue = createOutboxQueue(
        {
          store: queueStore,
          clock: systemClock,
          ids: createIdGenerator(),
          idlePollMs: 10,
          onError: (e) => errors.push(e),
        },
        { broker, brokerTimeoutMs: 5_000 },
      );
      const controller = new AbortController();
      try {
        await inWorkspace('ws_1', () =>
          queueStore.transaction((trx) =>
            queue.enqueue(trx, [
              { name: 'lead.process', workspaceId: 'ws_1', payload: { eventId: 'e1' } },
              { name: 'council.next_action', workspaceId: 'ws_1', payload: { leadId: 'lead_1' } },
            ]),
          ),
        );
        // The failing pool comes first in the pass: before, its error ended the pass there.
        const working = queue.work({
          handlers: {} as JobHandlers,
          concurrency: 1,
          pools: ['pipeline', 'council'],
          signal: controller.signal,
        });
        await waitFor(
          async () => (broker.published.get('council')?.length ?? 0) === 1 && broker.refused >= 2,
        );
        controller.abort();
        await working;
        assert.equal(broker.published.get('council')?.[0]?.name, 'council.next_action');
        assert.equal(broker.published.has('pipeline'), false);
        assert.ok(errors.length >= 1, 'the failing pool is reported');
      } finally {
        controller.abort();
        await queue.close();
        await dispose();
      }
    });
  });
}
