import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createIdGenerator, createManualClock, systemClock } from '../src/core/index.ts';
import type { JobContext } from '../src/queue/index.ts';
import { createRabbitmqQueue, type RabbitmqQueue } from '../src/queue/rabbitmq/rabbitmq-queue.ts';
import { testDatabases, uniquePrefix } from '../src/queue/testing/queue-test-support.ts';
import { deleteRabbitmqTopology, openRabbitmqProbe } from '../src/queue/testing/rabbitmq-test-support.ts';
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
import { startTcpProxy } from './support/tcp-proxy.ts';

/*
 * The outbox's fault behaviour with the RabbitMQ adapter: a relay whose hand-over does not commit,
 * every connection cut while the broker loses what it held, and a job delivered twice (helpers:
 * support/outbox.ts). The broker's own restart is the test's proxy going away and coming back: a
 * private rabbitmq-server takes 20 s or more to start on a loaded machine.
 */

const amqpUrl = process.env.TEST_AMQP_URL;
const databases = testDatabases(process.env.TEST_DATABASE_URL);
const settle = () => new Promise((r) => setTimeout(r, 300));

for (const database of databases) {
  describe(`outbox with RabbitMQ (${database.label})`, {
    skip: amqpUrl ? false : 'TEST_AMQP_URL is not set',
  }, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });
    /** A fresh database and prefix; `url` is where the queues connect (a proxy, a private node). */
    async function setUp(url = amqpUrl as string, adminUrl = url) {
      const { store, queueStore, dispose } = await database.open();
      const prefix = uniquePrefix();
      const queues: RabbitmqQueue[] = [];
      const open = (over: Partial<Parameters<typeof createRabbitmqQueue>[0]> = {}) => {
        const queue = createRabbitmqQueue({
          store: queueStore,
          clock: systemClock,
          ids: createIdGenerator(),
          amqpUrl: url,
          prefix,
          idlePollMs: 20,
          resendAfterMs: 300,
          ...over,
        });
        queues.push(queue);
        return queue;
      };
      const probe = await openRabbitmqProbe(adminUrl, prefix).catch(() => null);
      cleanups.push(async () => {
        for (const queue of queues) await queue.close();
        await probe?.close();
        await deleteRabbitmqTopology(adminUrl, prefix).catch(() => {});
        await dispose();
      });
      return { store, queueStore, probe, open, prefix };
    }

    it('re-sends jobs whose hand-over to RabbitMQ did not commit, and runs each once', async () => {
      const { store, queueStore, open } = await setUp();
      let crashes = 0;
      // The relay's first hand-over fails at commit, after the broker confirmed its deliveries.
      const crashing: Store = {
        ...queueStore,
        transaction: (fn) =>
          queueStore.transaction(async (trx) => {
            const result = await fn(trx);
            if (crashes === 0 && typeof result === 'number' && result > 0) {
              crashes++;
              throw new Error('process died before the commit');
            }
            return result;
          }),
      };
      const queue = open({ store: crashing });
      const subjects = Array.from({ length: 20 }, (_, i) => `e${i}`);
      await enqueue(store, queue, 'lead.process', subjects);
      const stop = startWorker(
        queue,
        handlersOf((job) => effect(job.db, job)),
      );
      await until(async () => (await jobsLeft(store)) === 0);
      await stop();
      assert.equal(crashes, 1, 'a confirmed hand-over was rolled back');
      assertEachOnce(await effectCounts(store), subjects);
    });

    it('runs a job delivered twice at the same time once, and ignores a delivery after it is done', async () => {
      const { store, probe, open } = await setUp();
      assert.ok(probe);
      const deliverAgain = async (job: JobContext) => {
        await probe.deliver({ id: job.id, workspaceId: job.workspaceId, name: job.name });
        // Taken by a consumer, then given time to be claimed (a no-op) and acknowledged.
        await until(async () => (await probe.ready('council')) === 0);
        await settle();
      };
      let runs = 0;
      let ran: JobContext | undefined;
      const handlers = handlersOf(async (job) => {
        runs++;
        ran = job;
        // While this run holds the job, a second delivery of it arrives.
        if (runs === 1) await deliverAgain(job);
        await effect(job.db, job);
      });
      const a = open();
      const stopA = startWorker(a, handlers, 2);
      const stopB = startWorker(open(), handlers, 2);
      await enqueue(store, a, 'council.next_action', ['lead_1']);
      await until(async () => (await jobsLeft(store)) === 0);
      assert.ok(ran);
      await deliverAgain(ran);
      await stopA();
      await stopB();
      assert.equal(runs, 1);
      assertEachOnce(await effectCounts(store), ['lead_1']);
    });

    it('commits none of the effects of a run whose lease another worker took over', {
      skip:
        database.label === 'SQLite' ? 'SQLite has one connection: a second run waits for the first' : false,
    }, async () => {
      const { store, probe, open } = await setUp();
      assert.ok(probe);
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
      // See the BullMQ suite: the lease expires when the test moves this clock.
      const clock = createManualClock(Date.UTC(2026, 10, 28));
      const a = open({ clock, visibilityTimeoutMs: 500 });
      const stopA = startWorker(a, handlers, 1);
      const stopB = startWorker(open({ clock, visibilityTimeoutMs: 500 }), handlers, 1);
      try {
        await enqueue(store, a, 'lead.process', ['e1']);
        await firstStarted;
        const [row] = await store.db.selectFrom('jobs').selectAll().execute();
        assert.ok(row);
        // The first worker stalls past its lease; the broker delivers the job again (to the idle worker).
        clock.advance(600);
        await probe.deliver({ id: row.id, workspaceId: row.workspace_id, name: row.name });
        await until(async () => (await jobsLeft(store)) === 0);
      } finally {
        release();
        await stopA();
        await stopB();
      }
      assert.equal(runs, 2);
      assertEachOnce(await effectCounts(store), ['e1']);
    });

    it('accepts jobs while the connection is cut and runs each once when it is back, even those the broker lost', async () => {
      const target = new URL(amqpUrl as string);
      const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5672) });
      cleanups.push(() => proxy.close());
      const proxied = new URL(amqpUrl as string);
      proxied.port = String(proxy.port);
      const { store, probe, open } = await setUp(proxied.toString(), amqpUrl);
      assert.ok(probe);
      const queue = open();
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
        // One job runs (held at the gate) and three wait in the broker when the connection drops.
        const held = ['lead_1', 'lead_2', 'lead_3', 'lead_4', 'lead_5', 'lead_6'];
        await enqueue(store, queue, 'council.next_action', held);
        await until(async () => (await probe.ready('council')) === 3);
        await proxy.cut();
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
        // The broker loses what it held (the three waiting and the unacknowledged one it took back).
        await probe.purge();
        await proxy.restore();
        await until(async () => (await jobsLeft(store)) === 0, 30_000);
        assertEachOnce(await effectCounts(store), [...held, ...whileDown]);
      } finally {
        release();
        await stop();
      }
    });
  });
}
