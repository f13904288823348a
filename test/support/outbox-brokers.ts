import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { type Clock, createIdGenerator, systemClock } from '../../src/core/index.ts';
import { createBullmqQueue } from '../../src/queue/bullmq/bullmq-queue.ts';
import { jobCatalog } from '../../src/queue/catalog.ts';
import type { JobName, Queue } from '../../src/queue/index.ts';
import type { Delivery } from '../../src/queue/outbox/broker.ts';
import type { OutboxQueueOptions } from '../../src/queue/outbox/outbox-queue.ts';
import { createRabbitmqQueue } from '../../src/queue/rabbitmq/rabbitmq-queue.ts';
import { openBullmqProbe } from '../../src/queue/testing/bullmq-test-support.ts';
import { uniquePrefix } from '../../src/queue/testing/queue-test-support.ts';
import { deleteRabbitmqTopology, openRabbitmqProbe } from '../../src/queue/testing/rabbitmq-test-support.ts';
import type { Store, UnitOfWork } from '../../src/store/index.ts';
import { freePort } from './cluster.ts';
import { until } from './outbox.ts';
import { startTcpProxy } from './tcp-proxy.ts';

/*
 * What differs between brokers in the outbox fault suite (test/queue-outbox.test.ts): how a queue is
 * opened, how a test delivers a job again the way a relay would, and how the broker is made to go
 * away and come back having lost what it held. Everything else is one suite for every broker.
 */

export type QueueOverrides = { store?: Store; clock?: Clock; visibilityTimeoutMs?: number };
type ClosableQueue = Queue & { close(): Promise<void> };

/** One broker's queues on one database, opened for one test (`dispose` closes them all). */
export interface BrokerHarness {
  open(over?: QueueOverrides): ClosableQueue;
  /** Publishes another delivery of the job (a duplicate, a late copy, a re-delivery after a lease). */
  deliver(delivery: Delivery, tag: string): Promise<void>;
  /** Waits until a consumer has taken (and finished with) the delivery `deliver` made. */
  taken(delivery: Delivery, tag: string): Promise<void>;
  /** Whether the relay's hand-over put its jobs in the broker (the crash test fails commits only then). */
  handedOver(unit: UnitOfWork, relayed: unknown): Promise<boolean>;
  /** Whether three `council.next_action` deliveries wait in the broker (the outage test's set-up). */
  holdingThree(store: Store): Promise<boolean>;
  /** Drops whatever the broker holds (a broker that comes back empty). */
  loseEverything(): Promise<void>;
  dispose(): Promise<void>;
}

/** A broker the test can take away and bring back. */
interface Outage {
  url: string;
  adminUrl: string;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export interface OutboxBroker {
  label: string;
  /** Why the suite skips on this machine, or false. */
  skip: string | false;
  outageSkip: string | false;
  harness(queueStore: Store, url?: string, adminUrl?: string): Promise<BrokerHarness>;
  outage(): Promise<Outage>;
}

/**
 * The queues a harness opens on its database, polling every 20 ms and handing a job over again after
 * 300 ms (so the fault tests run in seconds); `create` adds what the broker needs, `close` closes them all.
 */
function openedQueues(queueStore: Store, create: (base: OutboxQueueOptions) => ClosableQueue) {
  const queues: ClosableQueue[] = [];
  return {
    open(over: QueueOverrides = {}): ClosableQueue {
      const queue = create({
        store: queueStore,
        clock: systemClock,
        ids: createIdGenerator(),
        idlePollMs: 20,
        resendAfterMs: 300,
        ...over,
      });
      queues.push(queue);
      return queue;
    },
    async close() {
      for (const queue of queues) await queue.close();
    },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 300));
const sentRows = async (store: Store) =>
  (await store.db.selectFrom('jobs').select('id').where('status', '=', 'sent').execute()).length;

function bullmq(redisUrl: string | undefined): OutboxBroker {
  return {
    label: 'BullMQ',
    skip: redisUrl ? false : 'TEST_REDIS_URL is not set',
    outageSkip:
      spawnSync('redis-server', ['--version']).status === 0 ? false : 'redis-server is not installed',
    async harness(queueStore, url = redisUrl as string) {
      const prefix = uniquePrefix();
      const probe = openBullmqProbe(url, prefix);
      const queues = openedQueues(queueStore, (base) =>
        createBullmqQueue({ ...base, redisUrl: url, prefix }),
      );
      const jobId = (delivery: Delivery, tag: string) => `${tag}-${delivery.id}`;
      return {
        open: queues.open,
        async deliver(delivery, tag) {
          await probe.queueFor(delivery.name as JobName).add(delivery.name, delivery, {
            jobId: jobId(delivery, tag),
            removeOnComplete: true,
            removeOnFail: true,
          });
        },
        async taken(delivery, tag) {
          const queue = probe.queueFor(delivery.name as JobName);
          await until(async () => (await queue.getJob(jobId(delivery, tag))) === undefined);
        },
        // The relay returns its count once `addBulk` resolved, i.e. once Redis holds the deliveries
        // (a set's BullMQ id is not a row id, so looking rows up in Redis would miss it).
        handedOver: async (_unit, relayed) => typeof relayed === 'number' && relayed > 0,
        holdingThree: async (store) => (await sentRows(store)) === 3,
        // A private Redis without persistence loses everything when it dies.
        async loseEverything() {},
        async dispose() {
          await queues.close();
          await probe.close();
        },
      };
    },
    async outage() {
      const port = await freePort();
      let redis = await startRedis(port);
      return {
        url: `redis://127.0.0.1:${port}`,
        adminUrl: `redis://127.0.0.1:${port}`,
        async down() {
          redis.kill('SIGKILL');
          await once(redis, 'exit');
        },
        async up() {
          redis = await startRedis(port);
        },
        async close() {
          redis.kill('SIGKILL');
        },
      };
    },
  };
}

function rabbitmq(amqpUrl: string | undefined): OutboxBroker {
  return {
    label: 'RabbitMQ',
    skip: amqpUrl ? false : 'TEST_AMQP_URL is not set',
    outageSkip: false,
    async harness(queueStore, url = amqpUrl as string, adminUrl = url) {
      const prefix = uniquePrefix();
      const probe = await openRabbitmqProbe(adminUrl, prefix);
      const queues = openedQueues(queueStore, (base) =>
        createRabbitmqQueue({ ...base, amqpUrl: url, prefix }),
      );
      return {
        open: queues.open,
        deliver: (delivery) => probe.deliver(delivery),
        async taken(delivery) {
          const pool = jobCatalog[delivery.name as JobName].pool;
          await until(async () => (await probe.ready(pool)) === 0);
          // Taken by a consumer, then given time to be claimed (a no-op) and acknowledged.
          await settle();
        },
        // With publisher confirms, a relayed count above zero means the broker holds the deliveries.
        handedOver: async (_unit, relayed) => typeof relayed === 'number' && relayed > 0,
        holdingThree: async () => (await probe.ready('council')) === 3,
        loseEverything: () => probe.purge(),
        async dispose() {
          await queues.close();
          await probe.close();
          await deleteRabbitmqTopology(adminUrl, prefix).catch(() => {});
        },
      };
    },
    // A private rabbitmq-server takes 20 s or more to start on a loaded machine: the broker "goes
    // away" as a proxy in front of it that cuts every connection and refuses new ones.
    async outage() {
      const target = new URL(amqpUrl as string);
      const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5672) });
      const proxied = new URL(amqpUrl as string);
      proxied.port = String(proxy.port);
      return {
        url: proxied.toString(),
        adminUrl: amqpUrl as string,
        down: () => proxy.cut(),
        up: () => proxy.restore(),
        close: () => proxy.close(),
      };
    },
  };
}

/** The brokers the fault suite runs against, each skipping where its service is not configured. */
export function outboxBrokers(env: NodeJS.ProcessEnv): OutboxBroker[] {
  return [bullmq(env.TEST_REDIS_URL), rabbitmq(env.TEST_AMQP_URL)];
}

/** A private, memory-only Redis (never the machine's own), ready to accept connections. */
export async function startRedis(port: number): Promise<ChildProcess> {
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
