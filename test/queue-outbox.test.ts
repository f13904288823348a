import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createManualClock } from '../src/core/index.ts';
import type { JobContext } from '../src/queue/index.ts';
import { testDatabases } from '../src/queue/testing/queue-test-support.ts';
import type { Store } from '../src/store/index.ts';
import {
  assertEachOnce,
  effect,
  effectCounts,
  enqueue,
  handlersOf,
  jobsLeft,
  startWorker,
  until,
} from './support/outbox.ts';
import { outboxBrokers } from './support/outbox-brokers.ts';

/*
 * The outbox's fault behaviour with every broker adapter (BullMQ and RabbitMQ), on every database:
 * a relay whose hand-over does not commit, a broker that goes away and comes back empty, a job
 * delivered twice, and a run whose lease another worker took over. What differs per broker lives
 * in support/outbox-brokers.ts; the assertions are the same for all.
 */

const settle = () => new Promise((r) => setTimeout(r, 300));

for (const broker of outboxBrokers(process.env)) {
  for (const database of testDatabases(process.env.TEST_DATABASE_URL)) {
    describe(`outbox with ${broker.label} (${database.label})`, { skip: broker.skip }, () => {
      const cleanups: (() => Promise<void>)[] = [];
      after(async () => {
        for (const cleanup of cleanups.reverse()) await cleanup();
      });
      /** A fresh database and broker prefix; everything opened is closed after the suite. */
      async function setUp(url?: string, adminUrl?: string) {
        const { store, queueStore, dispose } = await database.open();
        const harness = await broker.harness(queueStore, url, adminUrl);
        cleanups.push(async () => {
          await harness.dispose();
          await dispose();
        });
        return { store, queueStore, harness };
      }

      it(`re-sends jobs whose hand-over to ${broker.label} did not commit, and runs each once`, async () => {
        const { store, queueStore, harness } = await setUp();
        let crashes = 0;
        // The relay's first hand-over fails at commit, after the broker holds its deliveries.
        const crashing: Store = {
          ...queueStore,
          transaction: (fn) =>
            queueStore.transaction(async (trx) => {
              const result = await fn(trx);
              if (crashes === 0 && (await harness.handedOver(trx, result))) {
                crashes++;
                throw new Error('process died before the commit');
              }
              return result;
            }),
        };
        const queue = harness.open({ store: crashing });
        const subjects = Array.from({ length: 20 }, (_, i) => `e${i}`);
        await enqueue(store, queue, 'lead.process', subjects);
        const stop = startWorker(
          queue,
          handlersOf((job) => effect(job.db, job)),
        );
        await until(async () => (await jobsLeft(store)) === 0);
        await stop();
        assert.equal(crashes, 1, 'a hand-over the broker held was rolled back');
        assertEachOnce(await effectCounts(store), subjects);
      });

      it('runs a job delivered twice at the same time once, and ignores a delivery after it is done', async () => {
        const { store, harness } = await setUp();
        const deliverAgain = async (job: JobContext, tag: string) => {
          const delivery = { id: job.id, workspaceId: job.workspaceId, name: job.name };
          await harness.deliver(delivery, tag);
          await harness.taken(delivery, tag);
        };
        let runs = 0;
        let ran: JobContext | undefined;
        const handlers = handlersOf(async (job) => {
          runs++;
          ran = job;
          // While this run holds the job, a second delivery of it arrives and is taken.
          if (runs === 1) await deliverAgain(job, 'dup');
          await effect(job.db, job);
        });
        const a = harness.open();
        const stopA = startWorker(a, handlers, 2);
        const stopB = startWorker(harness.open(), handlers, 2);
        await enqueue(store, a, 'council.next_action', ['lead_1']);
        await until(async () => (await jobsLeft(store)) === 0);
        assert.ok(ran);
        await deliverAgain(ran, 'late');
        await stopA();
        await stopB();
        assert.equal(runs, 1);
        assertEachOnce(await effectCounts(store), ['lead_1']);
      });

      it('commits none of the effects of a run whose lease another worker took over', {
        skip:
          database.label === 'SQLite' ? 'SQLite has one connection: a second run waits for the first' : false,
      }, async () => {
        const { store, harness } = await setUp();
        let release: () => void = () => {};
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        let started: () => void = () => {};
        const firstStarted = new Promise<void>((resolve) => {
          started = resolve;
        });
        let runs = 0;
        const handlers = handlersOf(async (job) => {
          runs++;
          await effect(job.db, job);
          if (runs === 1) {
            started();
            await gate;
          }
        });
        // A clock that moves only when told: the lease (500 ms) expires when the test says so, and not
        // far enough for a periodic sweep (every 1000 ms) to re-queue the job behind the test's back.
        const clock = createManualClock(Date.UTC(2026, 10, 28));
        // One slot each, both started before the job exists, so the second delivery goes to the
        // worker that is not running it.
        const a = harness.open({ clock, visibilityTimeoutMs: 500 });
        const stopA = startWorker(a, handlers, 1);
        const stopB = startWorker(harness.open({ clock, visibilityTimeoutMs: 500 }), handlers, 1);
        try {
          await enqueue(store, a, 'lead.process', ['e1']);
          await firstStarted;
          const [row] = await store.db.selectFrom('jobs').selectAll().execute();
          assert.ok(row);
          // The first worker stalls past its lease (a long pause); the broker delivers the job again.
          clock.advance(600);
          await harness.deliver({ id: row.id, workspaceId: row.workspace_id, name: row.name }, 'redelivered');
          await until(async () => (await jobsLeft(store)) === 0);
        } finally {
          release();
          await stopA();
          await stopB();
        }
        assert.equal(runs, 2);
        assertEachOnce(await effectCounts(store), ['e1']);
      });

      it(`accepts jobs while ${broker.label} is unreachable and runs each once when it is back, even those it lost`, {
        skip: broker.outageSkip,
      }, async () => {
        const outage = await broker.outage();
        cleanups.push(() => outage.close());
        const { store, harness } = await setUp(outage.url, outage.adminUrl);
        const queue = harness.open();
        let release: () => void = () => {};
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        const stop = startWorker(
          queue,
          handlersOf(async (job) => {
            if (job.name === 'council.next_action') await gate;
            await effect(job.db, job);
          }),
          1,
        );
        try {
          // One job runs (held at the gate) and three wait in the broker when it goes away.
          const held = ['lead_1', 'lead_2', 'lead_3', 'lead_4', 'lead_5', 'lead_6'];
          await enqueue(store, queue, 'council.next_action', held);
          await until(() => harness.holdingThree(store));
          await outage.down();
          const started = Date.now();
          const whileDown = Array.from({ length: 10 }, (_, i) => `e${i}`);
          await enqueue(store, queue, 'lead.process', whileDown);
          assert.ok(Date.now() - started < 1000, 'enqueue does not wait for the broker');
          release();
          await settle();
          const waiting = await store.db
            .selectFrom('jobs')
            .select('id')
            .where('name', '=', 'lead.process')
            .where('status', '=', 'queued')
            .execute();
          assert.equal(waiting.length, 10, 'nothing is handed to a broker that cannot be reached');
          // The broker comes back without what it held (the waiting deliveries and the one it took back).
          await harness.loseEverything();
          await outage.up();
          await until(async () => (await jobsLeft(store)) === 0, 30_000);
          assertEachOnce(await effectCounts(store), [...held, ...whileDown]);
        } finally {
          release();
          await stop();
        }
      });
    });
  }
}
