import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, describe, it } from 'node:test';
import { createIdGenerator, createManualClock, systemClock } from '../src/core/index.ts';
import { type BullmqQueue, createBullmqQueue } from '../src/queue/bullmq/bullmq-queue.ts';
import type { JobContext, JobName } from '../src/queue/index.ts';
import { openBullmqProbe } from '../src/queue/testing/bullmq-test-support.ts';
import { testDatabases, uniquePrefix } from '../src/queue/testing/queue-test-support.ts';
import type { Store } from '../src/store/index.ts';
import { freePort } from './support/cluster.ts';
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

/*
 * The outbox's fault behaviour with the BullMQ adapter: a relay whose hand-over does not commit, a
 * Redis that goes away and comes back empty, and a job delivered twice (helpers: support/outbox.ts).
 */

const redisUrl = process.env.TEST_REDIS_URL;
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

for (const database of testDatabases(process.env.TEST_DATABASE_URL)) {
  describe(`outbox with BullMQ (${database.label})`, {
    skip: redisUrl ? false : 'TEST_REDIS_URL is not set',
  }, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });
    /** A fresh database and BullMQ prefix; everything opened is closed after the suite. */
    async function setUp(url = redisUrl as string) {
      const { store, queueStore, dispose } = await database.open();
      const prefix = uniquePrefix();
      const probe = openBullmqProbe(url, prefix);
      const queues: BullmqQueue[] = [];
      const open = (over: Partial<Parameters<typeof createBullmqQueue>[0]> = {}) => {
        const queue = createBullmqQueue({
          store: queueStore,
          clock: systemClock,
          ids: createIdGenerator(),
          redisUrl: url,
          prefix,
          idlePollMs: 20,
          resendAfterMs: 300,
          ...over,
        });
        queues.push(queue);
        return queue;
      };
      cleanups.push(async () => {
        for (const queue of queues) await queue.close();
        await probe.close();
        await dispose();
      });
      return { store, queueStore, probe, open };
    }

    it('re-sends jobs whose hand-over to Redis did not commit, and runs each once', async () => {
      const { store, queueStore, probe, open } = await setUp();
      let crashes = 0;
      let inRedisAtCrash = 0;
      // The relay's first transaction fails at commit, after its jobs reached Redis.
      const crashing: Store = {
        ...queueStore,
        transaction: (fn) =>
          queueStore.transaction(async (trx) => {
            const result = await fn(trx);
            if (crashes === 0) {
              const ids = (await trx.selectFrom('jobs').select('id').execute()).map((r) => r.id);
              for (const id of ids) if (await probe.queue.getJob(id)) inRedisAtCrash++;
              if (inRedisAtCrash > 0) {
                crashes++;
                throw new Error('process died before the commit');
              }
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
      assert.equal(crashes, 1);
      assert.ok(inRedisAtCrash > 0, 'the failed hand-over had put jobs in Redis');
      assertEachOnce(await effectCounts(store), subjects);
    });

    it('runs a job delivered twice at the same time once, and ignores a delivery after it is done', async () => {
      const { store, probe, open } = await setUp();
      const deliverAgain = async (job: { id: string; workspaceId: string; name: string }, tag: string) => {
        const jobId = `${tag}-${job.id}`;
        const queue = probe.queueFor(job.name as JobName);
        await queue.add(
          job.name,
          { id: job.id, workspaceId: job.workspaceId, name: job.name },
          { jobId, removeOnComplete: true, removeOnFail: true },
        );
        await until(async () => (await queue.getJob(jobId)) === undefined);
      };
      let runs = 0;
      let ran: JobContext | undefined;
      const handlers = handlersOf(async (job) => {
        runs++;
        ran = job;
        // While this run holds the job, a second delivery of it arrives and finishes.
        if (runs === 1) await deliverAgain(job, 'dup');
        await effect(job.db, job);
      });
      const a = open();
      const stopA = startWorker(a, handlers, 2);
      const stopB = startWorker(open(), handlers, 2);
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
      const { store, probe, open } = await setUp();
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
      const a = open({ clock, visibilityTimeoutMs: 500 });
      const stopA = startWorker(a, handlers, 1);
      const stopB = startWorker(open({ clock, visibilityTimeoutMs: 500 }), handlers, 1);
      try {
        await enqueue(store, a, 'lead.process', ['e1']);
        await firstStarted;
        const [row] = await store.db.selectFrom('jobs').selectAll().execute();
        assert.ok(row);
        // The first worker stalls past its lease (a long pause); BullMQ re-delivers the job.
        clock.advance(600);
        await probe.queue.add(
          row.name,
          { id: row.id, workspaceId: row.workspace_id, name: row.name },
          { jobId: `redelivered-${row.id}`, removeOnComplete: true },
        );
        await until(async () => (await jobsLeft(store)) === 0);
      } finally {
        release();
        await stopA();
        await stopB();
      }
      assert.equal(runs, 2);
      assertEachOnce(await effectCounts(store), ['e1']);
    });

    it('accepts jobs while Redis is down and runs each once when it is back, even those Redis lost', {
      skip: hasRedisServer ? false : 'redis-server is not installed',
    }, async () => {
      const port = await freePort();
      let redis = await startRedis(port);
      cleanups.push(async () => {
        redis.kill('SIGKILL');
      });
      const { store, open } = await setUp(`redis://127.0.0.1:${port}`);
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
        // One job runs (held at the gate) and three wait in Redis when it dies with them.
        const held = ['lead_1', 'lead_2', 'lead_3', 'lead_4', 'lead_5', 'lead_6'];
        await enqueue(store, queue, 'council.next_action', held);
        await until(async () => {
          const sent = await store.db.selectFrom('jobs').select('id').where('status', '=', 'sent').execute();
          return sent.length === 3;
        });
        redis.kill('SIGKILL');
        await once(redis, 'exit');
        const started = Date.now();
        const whileDown = Array.from({ length: 10 }, (_, i) => `e${i}`);
        await enqueue(store, queue, 'lead.process', whileDown);
        assert.ok(Date.now() - started < 1000, 'enqueue does not wait for Redis');
        release();
        await new Promise((r) => setTimeout(r, 300));
        const waiting = await store.db
          .selectFrom('jobs')
          .select('id')
          .where('name', '=', 'lead.process')
          .where('status', '=', 'queued')
          .execute();
        assert.equal(waiting.length, 10, 'nothing is handed to a Redis that is down');
        redis = await startRedis(port);
        await until(async () => (await jobsLeft(store)) === 0, 30_000);
        assertEachOnce(await effectCounts(store), [...held, ...whileDown]);
      } finally {
        release();
        await stop();
      }
    });
  });
}

/** A private, memory-only Redis (never the machine's own), ready to accept connections. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) return child;
    if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
