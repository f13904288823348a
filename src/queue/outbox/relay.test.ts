import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createIdGenerator, createManualClock, inWorkspace } from '../../core/index.ts';
import type { Store } from '../../store/index.ts';
import { insertJobs } from '../job-rows.ts';
import { testDatabases } from '../testing/queue-test-support.ts';
import type { Broker, Delivery } from './broker.ts';
import { createRelay } from './relay.ts';

/** A broker that is always up and empty, and records what it was handed. */
function recordingBroker(): Broker & { published: Delivery[] } {
  const published: Delivery[] = [];
  return {
    published,
    ready: () => true,
    waiting: async () => 0,
    async publish(_pool, deliveries) {
      published.push(...deliveries);
    },
    consume: () => ({ stop: async () => {} }),
    close: async () => {},
  };
}

for (const database of testDatabases(process.env.TEST_DATABASE_URL)) {
  describe(`outbox relay (${database.label})`, () => {
    it('opens no transaction for a pool with nothing due, and hands a due job over', async () => {
      const { queueStore, dispose } = await database.open();
      try {
        const clock = createManualClock(Date.UTC(2026, 11, 6));
        let transactions = 0;
        const counted: Store = {
          ...queueStore,
          transaction: (fn) => {
            transactions++;
            return queueStore.transaction(fn);
          },
        };
        const broker = recordingBroker();
        const relay = createRelay({
          store: counted,
          clock,
          broker,
          resendAfterMs: 60_000,
          brokerTimeoutMs: 5_000,
        });
        await inWorkspace('ws_1', () =>
          queueStore.transaction((trx) =>
            insertJobs(
              trx,
              [
                {
                  name: 'workflow.step',
                  workspaceId: 'ws_1',
                  payload: { runId: 'run_1', stepKey: 'pause' },
                  runAt: clock.now() + 1_000,
                },
              ],
              { clock, ids: createIdGenerator() },
            ),
          ),
        );

        // A timer not yet due, and a pool with no jobs at all: no transaction, nothing handed over.
        assert.deepEqual(await relay.duePools(['workflows', 'pipeline']), new Set());
        assert.equal(await relay.relay('workflows', 64), 0);
        assert.equal(await relay.relay('pipeline', 64), 0);
        assert.equal(transactions, 0);
        assert.equal(broker.published.length, 0);

        clock.advance(1_000);
        assert.deepEqual(await relay.duePools(['workflows', 'pipeline']), new Set(['workflows']));
        // Told that nothing is due, the relay believes it and reads nothing.
        assert.equal(await relay.relay('workflows', 64, { due: false }), 0);
        assert.equal(transactions, 0);
        assert.equal(await relay.relay('workflows', 64), 1);
        assert.equal(transactions, 1);
        assert.deepEqual(
          broker.published.map((d) => [d.name, d.workspaceId]),
          [['workflow.step', 'ws_1']],
        );
        // Handed over: the row is `sent`, so the next pass finds nothing due and opens nothing.
        assert.equal(await relay.relay('workflows', 64), 0);
        assert.equal(transactions, 1);
      } finally {
        await dispose();
      }
    });
  });
}
