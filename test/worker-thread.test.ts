import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../src/config/index.ts';
import { type RunningServer, serve, workersOn } from '../src/main/serve.ts';
import { assertAuditIntact } from './support/cli.ts';

/*
 * The embedded server runs its job workers on a worker thread with its own SQLite connection
 * (src/main/worker-thread.ts), which also stores what the server accepts (one writer). Leads
 * posted over HTTP are processed there exactly once, and a thread killed mid-batch is restarted
 * with nothing lost or applied twice.
 */
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<{ server: RunningServer; dataDir: string; apiKey: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'leadloop-thread-'));
  dirs.push(dataDir);
  const config = loadConfig(
    {},
    { PORT: 0, HOST: '127.0.0.1', LEADLOOP_DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
  );
  // The server never stores a group commit itself because the thread is slow to answer (a busy
  // test machine would make it): these tests are about what the thread stores.
  const server = await serve(config, {
    logger: pino({ level: 'silent' }),
    workers: 'thread',
    slowWriterAfterMs: Number.POSITIVE_INFINITY,
  });
  const { apiKey } = JSON.parse(readFileSync(join(dataDir, 'demo-credentials.json'), 'utf8')) as {
    apiKey: string;
  };
  // Lift the demo workspace's rate limit: these tests post as fast as the server answers.
  const settings = await fetch(`${server.url}/v1/workspace/settings`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ rateLimit: { perSecond: 100_000, burst: 200_000 } }),
  });
  assert.equal(settings.status, 200, await settings.text());
  return { server, dataDir, apiKey };
}

/**
 * Posts leads `from`..`to`-1 with `parallel` requests in flight; returns the acknowledged event ids.
 * A 503 (the thread storing it died before answering) is retried with the same key, as a client
 * would: the retry is answered from whatever landed.
 */
async function post(
  url: string,
  apiKey: string,
  from: number,
  to: number,
  parallel: number,
  onAck?: (acknowledged: number) => void,
): Promise<{ acknowledged: string[]; retried: number }> {
  const acknowledged: string[] = [];
  let retried = 0;
  let next = from;
  const send = async (n: number): Promise<Response> => {
    for (;;) {
      const response = await fetch(`${url}/v1/leads`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': `thread-${n}`,
        },
        body: JSON.stringify({
          // One lead in five repeats an earlier e-mail: the dedupe path runs across sets too.
          email: `thread${n % 5 === 0 ? Math.floor(n / 2) : n}@company${n % 40}.example.com`,
          title: n % 3 === 0 ? 'VP Sales' : 'Engineer',
          company: `Company ${n % 40}`,
          source: 'webinar',
        }),
      });
      if (response.status !== 503) return response;
      retried++;
      await response.text();
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const lane = async () => {
    while (next < to) {
      const response = await send(next++);
      const body = await response.text();
      assert.equal(response.status, 202, body);
      acknowledged.push((JSON.parse(body) as { eventId: string }).eventId);
      onAck?.(acknowledged.length);
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return { acknowledged, retried };
}

function count(file: string, sql: string): number {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return Number((db.prepare(sql).get() as { n: number }).n);
  } finally {
    db.close();
  }
}

async function waitProcessed(file: string, timeoutMs = 240_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (count(file, "select count(*) as n from events where status <> 'processed'") > 0) {
    assert.ok(Date.now() < deadline, 'events still unprocessed at the deadline');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every acknowledged event stored and processed once: one history entry each, one lead per e-mail. */
function assertExactlyOnce(dataDir: string, acknowledged: string[]): void {
  const file = join(dataDir, 'leadloop.db');
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const status = db.prepare('select status from events where id = ?');
    const notProcessed = acknowledged.filter(
      (id) => (status.get(id) as { status: string } | undefined)?.status !== 'processed',
    );
    assert.deepEqual(notProcessed, [], 'acknowledged events not processed');
    const stored = Number((db.prepare('select count(*) as n from events').get() as { n: number }).n);
    assert.equal(stored, acknowledged.length, 'one stored event per acknowledgement');
    const doubled = db
      .prepare('select event_id, count(*) as n from lead_history group by event_id having n > 1')
      .all();
    assert.deepEqual(doubled, [], 'events applied twice');
    const history = Number((db.prepare('select count(*) as n from lead_history').get() as { n: number }).n);
    assert.equal(history, stored, 'one history entry per event');
    const emails = Number(
      (
        db.prepare("select count(distinct json_extract(payload, '$.email')) as n from events").get() as {
          n: number;
        }
      ).n,
    );
    const leads = Number((db.prepare('select count(*) as n from leads').get() as { n: number }).n);
    assert.equal(leads, emails, 'one lead per distinct e-mail');
    const created = Number(
      (db.prepare("select count(*) as n from audit_log where action = 'lead.created'").get() as { n: number })
        .n,
    );
    assert.equal(created, leads, 'one lead.created audit entry per lead');
    const jobs = Number(
      (db.prepare("select count(*) as n from jobs where name = 'lead.process'").get() as { n: number }).n,
    );
    assert.equal(jobs, 0, 'no lead job left');
  } finally {
    db.close();
  }
  assertAuditIntact(dataDir);
}

describe('embedded server, workers on a worker thread (SQLite)', () => {
  it('puts the workers on a thread by default only when a second CPU can run it', () => {
    assert.equal(loadConfig({}, {}).LEADLOOP_EMBEDDED_WORKERS, 'auto');
    assert.equal(workersOn('auto', 2), 'thread');
    assert.equal(workersOn('auto', 1), 'inline');
    assert.equal(workersOn('inline', 8), 'inline');
    assert.equal(workersOn('thread', 1), 'thread');
  });

  it("runs the thread at the process's priority: it stores every accepted request", async (t) => {
    if (!existsSync('/proc/self/task')) return t.skip('threads are read from /proc (Linux)');
    const { server } = await start();
    try {
      assert.ok(server.workerThread?.current(), 'the workers run on a thread');
      // Each thread's niceness is field 19 of /proc/self/task/TID/stat (the fields after its name).
      const threads = readdirSync('/proc/self/task').map((tid) => {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        return {
          tid,
          name: readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim(),
          nice: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]),
        };
      });
      const worker = threads.find((thread) => thread.name.startsWith('leadloop-worker'));
      // The process's main thread has the process id as its task id.
      const main = threads.find((thread) => thread.tid === String(process.pid));
      assert.ok(worker && main, JSON.stringify(threads));
      assert.equal(worker.nice, main.nice);
    } finally {
      await server.stop();
    }
  });

  it('processes leads posted over HTTP exactly once, on the thread', async () => {
    const { server, dataDir, apiKey } = await start();
    try {
      const host = server.workerThread;
      assert.ok(host?.current(), 'the workers run on a thread');
      assert.ok(host);
      const turnsBefore = host.serverOptions.writeLockStats?.().http.turns;
      const { acknowledged, retried } = await post(server.url, apiKey, 0, 800, 16);
      assert.equal(retried, 0);
      // One writer: the thread's connection stored every submission; the server's took no turn.
      assert.equal(host.serverOptions.writeLockStats?.().http.turns, turnsBefore);
      await waitProcessed(join(dataDir, 'leadloop.db'));
      // The thread reports settled jobs to the server's metrics.
      const deadline = Date.now() + 10_000;
      const processed = async () =>
        (await server.runtime.metrics.eventsProcessed.get()).values
          .filter((v) => v.labels.job === 'lead.process')
          .reduce((sum, v) => sum + v.value, 0);
      while (Date.now() < deadline && (await processed()) < 800) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await processed(), 800);
      assert.equal(server.workerThread?.starts(), 1);
      // /metrics shows the thread's heap beside the process's RSS: a second isolate's share of it.
      const exposition = await server.runtime.metrics.registry.metrics();
      const heap = (kind: string) =>
        Number(
          new RegExp(`^leadloop_worker_thread_heap_bytes\\{kind="${kind}"\\} (\\S+)$`, 'm').exec(
            exposition,
          )?.[1],
        );
      assert.ok(heap('used') > 1_000_000, exposition.slice(0, 200));
      assert.ok(heap('total') >= heap('used'));
      await server.stop();
      assertExactlyOnce(dataDir, acknowledged);
    } finally {
      await server.stop();
    }
  });

  it('restarts a worker thread killed mid-batch, losing and doubling nothing', async () => {
    const { server, dataDir, apiKey } = await start();
    const file = join(dataDir, 'leadloop.db');
    try {
      const host = server.workerThread;
      assert.ok(host);
      // Kill the thread while it holds claimed jobs in an open batch (seen from a read-only
      // connection) and group commits it has not answered; again, up to three times, if a kill
      // landed between batches or after the thread had answered its commits (it commits them
      // without waiting for the disk, so that window is short).
      const active = new DatabaseSync(file, { readOnly: true });
      const held = active.prepare("select count(*) as n from jobs where status = 'active'");
      let kills = 0;
      let killing: Promise<unknown> = Promise.resolve();
      let posted = 0;
      let lastKilled: ReturnType<typeof host.current> = null;
      const killer = setInterval(() => {
        const thread = host.current();
        // A thread being terminated stays current until it has exited: kill each thread once.
        const done = host.released() > 0 && host.storesAbandoned() > 0;
        if (posted < 500 || kills >= 3 || done || !thread || thread === lastKilled) return;
        if (host.storesWaiting() === 0 || Number((held.get() as { n: number }).n) === 0) return;
        kills++;
        lastKilled = thread;
        killing = thread.terminate();
      }, 5);
      let acknowledged: string[];
      let retried: number;
      try {
        ({ acknowledged, retried } = await post(server.url, apiKey, 0, 3000, 32, (acks) => {
          posted = acks;
        }));
      } finally {
        clearInterval(killer);
        active.close();
      }
      await killing;
      assert.ok(kills > 0, 'the thread was killed during the load');
      // It died holding group commits (one writer): their requests were answered 503 and retried.
      assert.ok(retried > 0, 'requests waiting on the killed thread were told to retry');
      await waitProcessed(file);
      assert.equal(host.starts(), kills + 1, 'restarted after each kill');
      assert.ok(host.released() > 0, 'a killed thread held claimed jobs (killed mid-batch)');
      await server.stop();
      assertExactlyOnce(dataDir, acknowledged);
    } finally {
      await server.stop();
    }
  });
});
