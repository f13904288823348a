import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type Clock, createManualClock, LeadloopError } from '../../core/index.ts';
import { dbOf, type Store } from '../../store/index.ts';
import { JOB_NAMES, type JobPool } from '../catalog.ts';
import type { JobContext, JobHandlers, Queue } from '../port.ts';
import { testDatabases, uniquePrefix, waitFor } from './queue-test-support.ts';

export interface ConformanceHarness {
  /** The test's own view of the database (sees every row); the queue may use a store bound by row-level security. */
  store: Store;
  queue: Queue;
  clock: Clock & { advance(ms: number): void };
  workspaceId: string;
  /** A second workspace, for fairness between workspaces. */
  otherWorkspaceId: string;
  close(): Promise<void>;
}

/** A queue adapter that dispatches through a broker (BullMQ, RabbitMQ). */
interface BrokerAdapter {
  name: string;
  /** The broker's URL from the environment; the suite is one skipped test without it. */
  url: string | undefined;
  missing: string;
  open(options: {
    store: Store;
    clock: Clock;
    url: string;
    prefix: string;
  }): Queue & { close(): Promise<void> };
  /** Removes what the adapter left in the broker under the prefix. */
  forget(url: string, prefix: string): Promise<void>;
}

/** The conformance suite for a broker adapter, on every test database. */
export function brokerConformance(adapter: BrokerAdapter): void {
  const url = adapter.url;
  if (!url) {
    it(`queue conformance: ${adapter.name}`, { skip: adapter.missing });
    return;
  }
  for (const database of testDatabases(process.env.TEST_DATABASE_URL)) {
    queueConformance(`${adapter.name} (${database.label})`, async () => {
      const { store, queueStore, dispose } = await database.open();
      const clock = createManualClock(Date.UTC(2026, 10, 28));
      const prefix = uniquePrefix();
      const queue = adapter.open({ store: queueStore, clock, url, prefix });
      return {
        store,
        queue,
        clock,
        workspaceId: 'ws_1',
        otherWorkspaceId: 'ws_2',
        async close() {
          await queue.close();
          await adapter.forget(url, prefix);
          await dispose();
        },
      };
    });
  }
}

type Behaviour = (job: JobContext<'lead.process'>) => Promise<void>;

/**
 * The behaviour every queue adapter must show, run against a real store: exactly-once effects,
 * rollback of a failed job's effects, retries with backoff, dead letters and replay, recovery of
 * jobs whose worker died, and fairness between workspaces. `make` builds a fresh adapter on a fresh
 * database.
 */
export function queueConformance(name: string, make: () => Promise<ConformanceHarness>): void {
  describe(`queue conformance: ${name}`, () => {
    let h: ConformanceHarness;
    let behaviour: Behaviour;
    let controller: AbortController;
    let running: Promise<void>;
    // Every job name runs the test's behaviour; the tests enqueue `lead.process` only.
    const handlers = Object.fromEntries(
      JOB_NAMES.map((name) => [name, (job: JobContext<'lead.process'>) => behaviour(job)]),
    ) as unknown as JobHandlers;

    before(async () => {
      h = await make();
    });
    after(async () => {
      await h.close();
    });
    beforeEach(async () => {
      await h.store.db.deleteFrom('jobs').execute();
      await h.store.db.deleteFrom('domain_events').execute();
    });

    const startWorker = (pools?: readonly JobPool[]) => {
      controller = new AbortController();
      running = h.queue.work({
        handlers,
        concurrency: 4,
        signal: controller.signal,
        ...(pools ? { pools } : {}),
      });
    };
    const stopWorker = async () => {
      controller.abort();
      await running;
    };
    const effect = async (job: JobContext<'lead.process'>): Promise<void> => {
      await dbOf(job.db)
        .insertInto('domain_events')
        .values({
          id: `evt_${job.payload.eventId}_${job.attempt}`,
          workspace_id: job.workspaceId,
          type: 'lead.created',
          subject: job.payload.eventId,
          data: '{}',
          created_at: 0,
        })
        .execute();
    };
    const effects = async () =>
      (await h.store.db.selectFrom('domain_events').select('subject').orderBy('subject').execute()).map(
        (r) => r.subject,
      );
    const enqueueIn = (workspaceId: string, eventIds: string[]) =>
      h.store.transaction((trx) =>
        h.queue.enqueue(
          trx,
          eventIds.map((eventId) => ({ name: 'lead.process' as const, workspaceId, payload: { eventId } })),
        ),
      );
    const enqueue = (...eventIds: string[]) => enqueueIn(h.workspaceId, eventIds);
    const until = waitFor;
    const jobs = () => h.store.db.selectFrom('jobs').selectAll().execute();

    it('runs each job once, commits its effects and removes it', async () => {
      const seen: string[] = [];
      behaviour = async (job) => {
        seen.push(job.payload.eventId);
        await effect(job);
      };
      await enqueue('e1', 'e2', 'e3');
      startWorker();
      await until(async () => (await jobs()).length === 0);
      await stopWorker();
      assert.deepEqual(seen.sort(), ['e1', 'e2', 'e3']);
      assert.deepEqual(await effects(), ['e1', 'e2', 'e3']);
    });

    it("rolls back a failing job's effects alone and retries it later with backoff", async () => {
      behaviour = async (job) => {
        await effect(job);
        if (job.payload.eventId === 'bad') throw new Error('boom');
      };
      await enqueue('good', 'bad');
      startWorker();
      await until(async () => (await jobs()).every((j) => j.status === 'queued' && j.attempts === 1));
      await stopWorker();
      assert.deepEqual(await effects(), ['good']);
      const [retry] = await jobs();
      assert.equal(retry?.last_error, 'boom');
      assert.ok((retry?.run_at ?? 0) > h.clock.now(), 'the retry waits for its backoff');
    });

    it('dead-letters a job after its last attempt, and replays it on request', async () => {
      let fail = true;
      behaviour = async (job) => {
        if (fail) throw new Error('always');
        await effect(job);
      };
      await enqueue('poison');
      startWorker();
      // Each attempt fails and waits for its backoff; moving the clock past it lets the next one run.
      for (let attempt = 1; attempt <= 8; attempt++) {
        await until(async () => {
          const [job] = await jobs();
          return job?.attempts === attempt && (job.status === 'queued' || job.status === 'dead');
        });
        h.clock.advance(600_000);
        h.queue.notify();
      }
      const dead = await h.queue.listDead({ workspaceId: h.workspaceId });
      assert.equal(dead.length, 1);
      assert.equal(dead[0]?.attempts, 8);
      assert.equal(dead[0]?.lastError, 'always');
      assert.deepEqual(await h.queue.listDead({ workspaceId: 'ws_other' }), []);
      fail = false;
      assert.equal(await h.queue.replay({ workspaceId: h.workspaceId }), 1);
      await until(async () => (await jobs()).length === 0);
      await stopWorker();
      assert.deepEqual(await effects(), ['poison']);
    });

    it('dead-letters at once an error marked not retryable', async () => {
      behaviour = async () => {
        throw new LeadloopError('validation_failed', 'bad payload');
      };
      await enqueue('hopeless');
      startWorker();
      await until(async () => (await jobs())[0]?.status === 'dead');
      await stopWorker();
      assert.equal((await jobs())[0]?.attempts, 1);
    });

    it('recovers a job whose worker died holding its lease', async () => {
      behaviour = effect;
      await enqueue('orphan');
      // A worker claimed it and died: active, lease expired.
      await h.store.db
        .updateTable('jobs')
        .set({ status: 'active', attempts: 1, locked_by: 'dead-worker', locked_until: h.clock.now() - 1 })
        .execute();
      startWorker();
      await until(async () => (await jobs()).length === 0);
      await stopWorker();
      assert.deepEqual(await effects(), ['orphan']);
    });

    it("runs a small workspace's jobs before a large workspace's earlier backlog is half done", async () => {
      const completed: string[] = [];
      behaviour = async (job) => {
        job.afterCommit(() => completed.push(job.workspaceId));
      };
      await enqueueIn(
        h.workspaceId,
        Array.from({ length: 400 }, (_, i) => `big${i}`),
      );
      // Strictly later, so a queue ordered by time alone would run all 400 first.
      h.clock.advance(1);
      await enqueueIn(h.otherWorkspaceId, ['small0', 'small1', 'small2', 'small3', 'small4']);
      startWorker();
      await until(async () => (await jobs()).length === 0, 30_000);
      await stopWorker();
      assert.equal(completed.length, 405);
      const lastSmall = completed.lastIndexOf(h.otherWorkspaceId);
      const bigBefore = completed.slice(0, lastSmall).filter((w) => w === h.workspaceId).length;
      assert.ok(bigBefore < 200, `${bigBefore} of the large workspace's jobs completed first`);
    });

    it('runs only the pools a worker is given: a council worker never runs a pipeline job, and vice versa', async () => {
      const ran: string[] = [];
      behaviour = async (job) => {
        job.afterCommit(() => ran.push(job.name));
      };
      const enqueueBoth = () =>
        h.store.transaction((trx) =>
          h.queue.enqueue(trx, [
            { name: 'lead.process', workspaceId: h.workspaceId, payload: { eventId: 'e1' } },
            { name: 'council.next_action', workspaceId: h.workspaceId, payload: { leadId: 'lead_1' } },
          ]),
        );
      const left = async () => (await jobs()).map((j) => `${j.name}:${j.attempts}`);
      for (const [pool, runs, stays] of [
        ['council', 'council.next_action', 'lead.process'],
        ['pipeline', 'lead.process', 'council.next_action'],
      ] as const) {
        ran.length = 0;
        await h.store.db.deleteFrom('jobs').execute();
        await enqueueBoth();
        startWorker([pool]);
        await until(async () => (await jobs()).length === 1);
        // Give a wrongly configured worker time to take the other job too.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await stopWorker();
        assert.deepEqual(ran, [runs], `a ${pool} worker ran only ${runs}`);
        assert.deepEqual(await left(), [`${stays}:0`], `the ${stays} job was never claimed`);
      }
    });

    it('enqueues nothing when the transaction that enqueued rolls back', async () => {
      await assert.rejects(
        h.store.transaction(async (trx) => {
          await h.queue.enqueue(trx, [
            { name: 'lead.process', workspaceId: h.workspaceId, payload: { eventId: 'never' } },
          ]);
          throw new Error('rollback');
        }),
      );
      assert.equal((await jobs()).length, 0);
    });
  });
}
