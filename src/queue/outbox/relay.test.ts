import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  asScheduler,
  type Clock,
  createIdGenerator,
  createManualClock,
  inWorkspace,
} from '../../core/index.ts';
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

/** Enqueues `n` `lead.process` jobs in a workspace, in one transaction. */
function pipelineJobsIn(store: Store, clock: Clock) {
  const ids = createIdGenerator();
  return (workspaceId: string, n: number) =>
    inWorkspace(workspaceId, () =>
      store.transaction((trx) =>
        insertJobs(
          trx,
          Array.from({ length: n }, (_, i) => ({
            name: 'lead.process' as const,
            workspaceId,
            payload: { eventId: `evt_${workspaceId}_${i}` },
          })),
          { clock, ids },
        ),
      ),
    );
}

/** A relay over a recording broker, counting the transactions it opens. */
function countingRelay(store: Store, clock: Clock, setSize?: number) {
  let transactions = 0;
  const counted: Store = {
    ...store,
    transaction: (fn) => {
      transactions++;
      return store.transaction(fn);
    },
  };
  const broker = recordingBroker();
  const relay = createRelay({
    store: counted,
    clock,
    broker,
    resendAfterMs: 60_000,
    brokerTimeoutMs: 5_000,
    ...(setSize === undefined ? {} : { setSize }),
  });
  return { relay, broker, transactions: () => transactions };
}

/** Each delivery as its workspace and the number of jobs in its set. */
const sets = (published: Delivery[]) => published.map((d) => [d.workspaceId, d.ids?.length]);

/**
 * 150 jobs of `ws_1` queued before 3 of `ws_2`, handed over in sets of 64 in one pass: `ws_2`'s set
 * comes second, not behind `ws_1`'s whole backlog.
 */
const FAIR_SETS = [
  ['ws_1', 64],
  ['ws_2', 3],
  ['ws_1', 61],
];

for (const database of testDatabases(process.env.TEST_DATABASE_URL)) {
  describe(`outbox relay (${database.label})`, () => {
    /** A test on a fresh database (disposed after it) with a manual clock at 2026-12-06. */
    const relayTest = (
      name: string,
      body: (queueStore: Store, clock: ReturnType<typeof createManualClock>) => Promise<void>,
    ) =>
      it(name, async () => {
        const { queueStore, dispose } = await database.open();
        try {
          await body(queueStore, createManualClock(Date.UTC(2026, 11, 6)));
        } finally {
          await dispose();
        }
      });

    relayTest(
      'opens no transaction for a pool with nothing due, and hands a due job over',
      async (queueStore, clock) => {
        const { relay, broker, transactions } = countingRelay(queueStore, clock);
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
        assert.equal(transactions(), 0);
        assert.equal(broker.published.length, 0);

        clock.advance(1_000);
        assert.deepEqual(await relay.duePools(['workflows', 'pipeline']), new Set(['workflows']));
        // Told that nothing is due, the relay believes it and reads nothing.
        assert.equal(await relay.relay('workflows', 64, { due: false }), 0);
        assert.equal(transactions(), 0);
        assert.equal(await relay.relay('workflows', 64), 1);
        assert.equal(transactions(), 1);
        assert.deepEqual(
          broker.published.map((d) => [d.name, d.workspaceId]),
          [['workflow.step', 'ws_1']],
        );
        // Handed over: the row is `sent`, so the next pass finds nothing due and opens nothing.
        assert.equal(await relay.relay('workflows', 64), 0);
        assert.equal(transactions(), 1);
      },
    );

    relayTest(
      "hands a workspace's pipeline jobs over in sets, one delivery each, in fair order",
      async (queueStore, clock) => {
        const enqueue = pipelineJobsIn(queueStore, clock);
        await enqueue('ws_1', 150);
        clock.advance(1);
        await enqueue('ws_2', 3);
        const { relay, broker } = countingRelay(queueStore, clock, 64);
        // A bound of 64 jobs is still two sets: the first pass hands over 128 jobs in two deliveries.
        assert.equal(await relay.relay('pipeline', 64), 128);
        assert.deepEqual(sets(broker.published), FAIR_SETS);
        assert.equal(await relay.relay('pipeline', 64), 25);
        assert.deepEqual(sets(broker.published.slice(3)), [['ws_1', 25]]);
        // Every job handed over once, each delivery led by its first job.
        const handed = broker.published.flatMap((d) => d.ids ?? [d.id]);
        assert.equal(new Set(handed).size, 153);
        for (const d of broker.published) assert.equal(d.id, d.ids?.[0]);
        const jobs = await asScheduler(() =>
          queueStore.db.selectFrom('jobs').select(['id', 'status']).execute(),
        );
        assert.deepEqual(new Set(jobs.map((j) => j.id)), new Set(handed));
        assert.ok(jobs.every((j) => j.status === 'sent'));
      },
    );

    relayTest(
      'skips the due read after a pass that filled its room, and reads again after one that did not',
      async (queueStore, clock) => {
        const { relay, transactions } = countingRelay(queueStore, clock, 64);
        await pipelineJobsIn(queueStore, clock)('ws_1', 128);
        assert.equal(await relay.relay('pipeline', 64), 128);
        assert.equal(transactions(), 1);
        // The room was full, so the next pass goes straight to its transaction (without the read,
        // which would have found nothing due and opened none).
        assert.equal(await relay.relay('pipeline', 64), 0);
        assert.equal(transactions(), 2);
        // That pass was not full: the next one reads first, finds nothing due and opens nothing.
        assert.equal(await relay.relay('pipeline', 64), 0);
        assert.equal(transactions(), 2);
      },
    );

    relayTest(
      "hands one workspace's backlog over in sets of 256, and several workspaces' in sets of 64",
      async (queueStore, clock) => {
        const enqueue = pipelineJobsIn(queueStore, clock);
        const { relay, broker } = countingRelay(queueStore, clock);
        await enqueue('ws_1', 662);
        assert.equal(await relay.relay('pipeline', 64), 512);
        assert.deepEqual(sets(broker.published), [
          ['ws_1', 256],
          ['ws_1', 256],
        ]);
        // 150 of ws_1 left, then a second workspace: the pass takes what sets of 64 would have
        // taken, in fair order, and leaves the rest queued for the next pass.
        clock.advance(1);
        await enqueue('ws_2', 3);
        broker.published.length = 0;
        assert.equal(await relay.relay('pipeline', 64), 128);
        assert.deepEqual(sets(broker.published), FAIR_SETS);
        const queued = await asScheduler(() =>
          queueStore.db.selectFrom('jobs').select('id').where('status', '=', 'queued').execute(),
        );
        assert.equal(queued.length, 25);
        assert.equal(await relay.relay('pipeline', 64), 25);
      },
    );
  });
}
