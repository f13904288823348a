import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deleteRabbitmqTopology } from '../src/queue/testing/rabbitmq-test-support.ts';
import { type Cluster, startCluster } from './support/cluster.ts';
import { TEST_BROKER, TEST_MASTER_KEY } from './support/runtime.ts';
import { startTcpProxy } from './support/tcp-proxy.ts';

/**
 * Faults across processes, checked like Jepsen checks a database: a client records every event the
 * API acknowledged (retrying unanswered requests with the same Idempotency-Key, as a real client
 * does) while workers are SIGKILLed, the broker goes away (Redis killed and restarted; with
 * TEST_BROKER=rabbitmq, every RabbitMQ connection cut by a proxy and refused, then restored), and
 * the database drops every session of the application role. Afterwards the final state must hold
 * each acknowledged event exactly once: stored, processed, one lead, one history entry, one audit
 * entry.
 */
const adminUrl = process.env.TEST_DATABASE_URL;
const amqpUrl = process.env.TEST_AMQP_URL;
const withRabbitmq = TEST_BROKER === 'rabbitmq' && Boolean(amqpUrl);
const withRedis = !withRabbitmq && Boolean(process.env.TEST_REDIS_URL);
const brokerName = withRabbitmq ? 'RabbitMQ' : withRedis ? 'Redis' : null;
const TOTAL = 2400;

interface History {
  acknowledged: Map<string, string>; // eventId -> idempotency key
  attempts: number;
  failures: number;
}

/** Sends TOTAL leads, 32 in flight; a request without a 202 is retried with its key until it gets one. */
async function drive(cluster: Cluster, onProgress: (acked: number) => Promise<void>): Promise<History> {
  const history: History = { acknowledged: new Map(), attempts: 0, failures: 0 };
  let next = 0;
  let faultChain = Promise.resolve();
  const sendOne = async (n: number) => {
    const key = `fault-${n}`;
    for (let attempt = 0; attempt < 200; attempt++) {
      history.attempts++;
      try {
        const response = await fetch(`${cluster.apiUrl}/v1/leads`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${cluster.workspace.apiKey}`,
            'content-type': 'application/json',
            'idempotency-key': key,
          },
          body: JSON.stringify({
            email: `fault${n}@company${n % 40}.example.com`,
            title: n % 3 === 0 ? 'VP Sales' : 'Engineer',
            company: `Company ${n % 40}`,
            source: 'webinar',
          }),
          signal: AbortSignal.timeout(10_000),
        });
        if (response.status === 202) {
          const { eventId } = (await response.json()) as { eventId: string };
          history.acknowledged.set(eventId, key);
          const acked = history.acknowledged.size;
          faultChain = faultChain.then(() => onProgress(acked));
          return;
        }
        await response.arrayBuffer();
        history.failures++;
      } catch {
        history.failures++;
      }
      await new Promise((r) => setTimeout(r, 50 + attempt * 20));
    }
    throw new Error(`request ${key} never acknowledged`);
  };
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < TOTAL) await sendOne(next++);
    }),
  );
  await faultChain;
  return history;
}

describe('scale-out faults (PostgreSQL, app role, API + worker processes)', {
  skip: adminUrl ? false : 'TEST_DATABASE_URL is not set',
}, () => {
  let cluster: Cluster;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>> | null = null;

  before(async () => {
    let queueUrl: Record<string, string> = {};
    if (withRabbitmq) {
      const target = new URL(amqpUrl as string);
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5672) });
      const proxied = new URL(amqpUrl as string);
      proxied.port = String(proxy.port);
      queueUrl = { QUEUE_URL: proxied.toString() };
    }
    cluster = await startCluster(adminUrl as string, {
      redis: withRedis,
      workers: 2,
      workerConcurrency: 8,
      // Short leases and re-send delays, so recovery happens within the test's patience.
      env: { LEADLOOP_QUEUE_VISIBILITY_MS: '3000', LEADLOOP_QUEUE_RESEND_AFTER_MS: '5000', ...queueUrl },
    });
  });
  after(async () => {
    await cluster?.close();
    await proxy?.close();
    // The cluster's queue prefix is its database's name; its RabbitMQ queues go with it.
    if (withRabbitmq && cluster)
      await deleteRabbitmqTopology(amqpUrl as string, new URL(cluster.ownerUrl).pathname.slice(1)).catch(
        () => {},
      );
  });

  it(`holds every acknowledged event exactly once across worker kills${brokerName ? `, a ${brokerName} outage` : ''} and dropped database sessions`, async () => {
    const done = new Set<string>();
    const fault = async (name: string, at: number, acked: number, action: () => Promise<unknown>) => {
      if (acked < at || done.has(name)) return;
      done.add(name);
      await action();
    };
    const history = await drive(cluster, async (acked) => {
      await fault('kill worker 0', 300, acked, async () => {
        await cluster.killWorker(0, 'SIGKILL');
        await cluster.startWorker();
      });
      if (withRedis) {
        await fault('stop redis', 800, acked, () => cluster.stopRedis());
        await fault('start redis', 1300, acked, () => cluster.startRedis());
      }
      if (proxy) {
        const link = proxy;
        await fault('cut rabbitmq', 800, acked, () => link.cut());
        await fault('restore rabbitmq', 1300, acked, () => link.restore());
      }
      await fault('break database sessions', 1700, acked, () => cluster.breakDatabaseConnections());
      await fault('kill worker 1', 2000, acked, () => cluster.killWorker(1, 'SIGKILL'));
    });
    assert.equal(history.acknowledged.size, TOTAL, 'the client got an answer for every lead in the end');
    assert.ok(done.size >= 3, `faults injected: ${[...done].join(', ')}`);

    // Every acknowledged event is processed eventually (the remaining workers take over).
    const ids = [...history.acknowledged.keys()];
    const deadline = Date.now() + 120_000;
    for (;;) {
      const [row] = await cluster.query<{ n: string }>(
        `select count(*) as n from events where id = any($1) and status = 'processed'`,
        [ids],
      );
      if (Number(row?.n) === ids.length) break;
      if (Date.now() > deadline)
        assert.fail(`only ${row?.n} of ${ids.length} events processed\n${cluster.output().slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }

    // The checker: exactly once, in effect, for every acknowledged event; nothing else invented.
    const stored = await cluster.query<{ id: string; status: string }>('select id, status from events');
    assert.equal(stored.length, TOTAL, 'one stored event per idempotency key: retries were absorbed');
    assert.deepEqual(
      new Set(stored.map((r) => r.id)),
      new Set(ids),
      'the stored events are the acknowledged ones',
    );
    const doubled = await cluster.query(
      'select event_id, count(*) from lead_history group by event_id having count(*) > 1',
    );
    assert.deepEqual(doubled, [], 'no event applied twice');
    const [history_] = await cluster.query<{ n: string }>('select count(*) as n from lead_history');
    assert.equal(Number(history_?.n), TOTAL, 'one history entry per event');
    const [leads] = await cluster.query<{ n: string; distinct_emails: string }>(
      'select count(*) as n, count(distinct email) as distinct_emails from leads',
    );
    assert.equal(Number(leads?.n), TOTAL, 'one lead per distinct email');
    assert.equal(Number(leads?.distinct_emails), TOTAL);
    const [audit] = await cluster.query<{ n: string }>(
      "select count(*) as n from audit_log where action = 'lead.created'",
    );
    assert.equal(Number(audit?.n), TOTAL, 'one lead.created audit entry per lead');
    const left = await cluster.query(
      "select status, count(*) from jobs where name = 'lead.process' group by status",
    );
    assert.deepEqual(left, [], 'no lead.process job left behind');

    const verify = spawnSync(
      process.execPath,
      [join(import.meta.dirname, '..', 'src/main/cli.ts'), 'audit', 'verify'],
      {
        env: {
          ...process.env,
          DATABASE_URL: cluster.appUrl,
          DATABASE_OWNER_URL: cluster.ownerUrl,
          // The cluster's key: the audit MACs were written with it.
          LEADLOOP_MASTER_KEY: TEST_MASTER_KEY,
        },
        encoding: 'utf8',
      },
    );
    assert.equal(verify.status, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /audit trail intact/);
  });
});
