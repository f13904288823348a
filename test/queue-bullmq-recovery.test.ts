import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createIdGenerator, systemClock } from '../src/core/index.ts';
import { createBullmqQueue } from '../src/queue/bullmq/bullmq-queue.ts';
import type { JobPool } from '../src/queue/index.ts';
import { openBullmqProbe } from '../src/queue/testing/bullmq-test-support.ts';
import { testDatabases, uniquePrefix } from '../src/queue/testing/queue-test-support.ts';
import { freePort } from './support/cluster.ts';
import {
  assertEachOnce,
  effect,
  effectCounts,
  enqueue,
  handlersOf,
  jobsLeft,
  until,
} from './support/outbox.ts';
import { startRedis } from './support/outbox-brokers.ts';

/*
 * A pool's BullMQ queue is made the first time the relay needs that pool, and BullMQ checks its
 * connection then, once (an INFO for Redis's version). When that check failed (the queue was made
 * just as Redis went away), every later call on the queue failed too, for the life of the process,
 * and the relay's pass, which stopped at the first pool that threw, never reached the pools after
 * it: every job stayed queued after Redis came back (the outage case of test/queue-outbox.test.ts,
 * which hit it whenever a pool was first needed during the outage). Here the check is made to fail
 * on purpose, with no race: a private Redis refuses INFO while the relay first needs a pool.
 */

const redisServer = spawnSync('redis-server', ['--version']).status === 0;

for (const database of testDatabases(process.env.TEST_DATABASE_URL)) {
  describe(`BullMQ relay after a pool's queue failed its connection check (${database.label})`, {
    skip: redisServer ? false : 'redis-server is not installed',
  }, () => {
    it('relays the other pools meanwhile, and relays the pool once Redis answers the check again', async () => {
      const port = await freePort();
      const server = await startRedis(port);
      const url = `redis://127.0.0.1:${port}`;
      const admin = new Redis(url);
      const prefix = uniquePrefix();
      const probe = openBullmqProbe(url, prefix);
      const { store, queueStore, dispose } = await database.open();
      const errors: string[] = [];
      const queue = createBullmqQueue({
        store: queueStore,
        clock: systemClock,
        ids: createIdGenerator(),
        redisUrl: url,
        prefix,
        idlePollMs: 20,
        onError: (error) => errors.push(error instanceof Error ? error.message : String(error)),
      });
      const controller = new AbortController();
      // The failing pool comes first in the pass, so the pass reaches the other one only past it.
      const pools: JobPool[] = ['pipeline', 'council'];
      const working = queue.work({
        handlers: handlersOf((job) => effect(job.db, job)),
        concurrency: 2,
        pools,
        signal: controller.signal,
      });
      try {
        // The relay has made the council pool's queue, and both pools' consumers take deliveries (a
        // delivery of no row is a no-op): only the relay's pipeline queue is still to be made.
        await enqueue(store, queue, 'council.next_action', ['lead_1']);
        await until(async () => (await jobsLeft(store)) === 0);
        const nobody = { id: 'job_none', workspaceId: 'ws_1', name: 'lead.process' };
        await probe
          .queueFor('lead.process')
          .add(nobody.name, nobody, { jobId: 'nobody', removeOnComplete: true });
        await until(async () => (await probe.queueFor('lead.process').getJob('nobody')) === undefined);

        await admin.call('ACL', 'SETUSER', 'default', '-info');
        await enqueue(store, queue, 'lead.process', ['e1']);
        await until(async () => errors.some((message) => message.includes('NOPERM')));
        // While the pipeline pool cannot be relayed, the council pool still is.
        await enqueue(store, queue, 'council.next_action', ['lead_2']);
        await until(async () => (await effectCounts(store)).get('lead_2') === 1);
        // The council job's row goes once its run has finished; the pipeline job waits in the database.
        await until(async () => (await jobsLeft(store)) === 1);
        const waiting = await store.db.selectFrom('jobs').select(['name', 'status']).execute();
        assert.deepEqual(
          waiting.map((row) => `${row.name} ${row.status}`),
          ['lead.process queued'],
        );

        await admin.call('ACL', 'SETUSER', 'default', '+info');
        await until(async () => (await jobsLeft(store)) === 0);
        assertEachOnce(await effectCounts(store), ['lead_1', 'lead_2', 'e1']);
      } finally {
        controller.abort();
        await working;
        await queue.close();
        await probe.close();
        admin.disconnect();
        server.kill('SIGKILL');
        await dispose();
      }
    });
  });
}
