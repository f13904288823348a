import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { exited, startServerProcess } from './support/server-process.ts';
import { type HttpSink, startHttpSink } from './support/sinks.ts';
import { api, crashWorkflow, setUpWorkflow, timerWorkflow } from './support/workflow-crash.ts';

/** Runs started before the kill; WORKFLOW_CRASH_RUNS=2000 reproduces the figure (slow on a shared machine). */
const RUNS = Number(process.env.WORKFLOW_CRASH_RUNS ?? 300);
const SECRET_KEY = Buffer.alloc(32, 9).toString('base64');

const startServer = (dataDir: string) =>
  startServerProcess(dataDir, { LEADLOOP_SECRET_KEY: SECRET_KEY, LEADLOOP_QUEUE_VISIBILITY_MS: '1000' });

function query<T>(dataDir: string, sql: string): T[] {
  const db = new DatabaseSync(join(dataDir, 'leadloop.db'), { readOnly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

/** The API key `leadloop serve` wrote for its demo workspace on first start. */
function demoApiKey(dataDir: string): string {
  return (JSON.parse(readFileSync(join(dataDir, 'demo-credentials.json'), 'utf8')) as { apiKey: string })
    .apiKey;
}

describe('workflow runs across a SIGKILL (SQLite, child process)', () => {
  let sink: HttpSink;
  const dirs: string[] = [];
  /** A fresh data directory for one server, removed after the suite. */
  const newDataDir = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
  before(async () => {
    sink = await startHttpSink();
  });
  after(async () => {
    await sink.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it(`finishes every run and the sink sees each idempotency key once in effect (${RUNS} runs, kill mid-flight)`, {
    timeout: 600_000,
  }, async () => {
    const dataDir = newDataDir('leadloop-wf-crash-');
    let server = await startServer(dataDir);
    const apiKey = demoApiKey(dataDir);
    const workflowId = await setUpWorkflow(server.url, apiKey, crashWorkflow(sink.url));
    const accepted: string[] = [];
    let killed = false;
    let next = 0;
    await new Promise<void>((resolve) => {
      let inFlight = 0;
      const pump = () => {
        while (!killed && inFlight < 16 && next < RUNS) {
          inFlight++;
          const n = next++;
          void api(server.url, apiKey, 'POST', `/v1/workflows/${workflowId}/runs`, {
            leadId: null,
            data: { n },
          })
            .then((r) => {
              if (r.status === 202) accepted.push(r.body.runId as string);
            })
            .catch(() => {})
            .finally(() => {
              inFlight--;
              if (inFlight === 0 && next >= RUNS) resolve();
              else pump();
            });
        }
      };
      pump();
    });
    // Every run is started; kill once half of them reached the sink, while the rest execute.
    while (sink.requests.length < accepted.length / 2) await new Promise((r) => setTimeout(r, 5));
    server.child.kill('SIGKILL');
    killed = true;
    await exited(server.child);
    const unfinishedAtKill =
      query<{ n: number }>(
        dataDir,
        "select count(*) as n from workflow_runs where status in ('queued','running')",
      )[0]?.n ?? 0;

    server = await startServer(dataDir);
    const deadline = Date.now() + Math.max(480_000, RUNS * 600);
    while (Date.now() < deadline) {
      const open =
        query<{ n: number }>(
          dataDir,
          "select count(*) as n from workflow_runs where status in ('queued','running')",
        )[0]?.n ?? 0;
      if (open === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    server.child.kill('SIGTERM');
    await exited(server.child);

    const runs = query<{ id: string; status: string }>(dataDir, 'select id, status from workflow_runs');
    const statuses: Record<string, number> = {};
    for (const r of runs) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    assert.deepEqual(statuses, { completed: runs.length }, 'every run finished');
    const ids = new Set(runs.map((r) => r.id));
    for (const id of accepted) assert.ok(ids.has(id), `accepted run ${id} exists`);
    const keys = sink.requests.map((r) => String(r.headers['idempotency-key']));
    const distinct = new Set(keys);
    assert.equal(distinct.size, runs.length, 'one distinct idempotency key per run at the sink');
    for (const id of ids) assert.ok(distinct.has(`${id}:call#1`), `run ${id} reached the sink`);
    const steps = query<{ n: number }>(
      dataDir,
      "select count(*) as n from workflow_steps where step_id = 'call' and status = 'completed'",
    )[0]?.n;
    assert.equal(steps, runs.length, 'one completed call step per run');
    assert.ok(unfinishedAtKill > 0, 'the kill happened while runs were in flight');
    process.stderr.write(
      `workflow crash test: ${runs.length} runs (${accepted.length} acknowledged), ${unfinishedAtKill} unfinished at the kill, ${keys.length} requests at the sink for ${distinct.size} keys (${keys.length - distinct.size} repeated deliveries, deduplicated by key)\n`,
    );
  });

  it('fires every timer after a restart from its durable due row, never before due', {
    timeout: 300_000,
  }, async () => {
    const dataDir = newDataDir('leadloop-wf-timers-');
    let server = await startServer(dataDir);
    const apiKey = demoApiKey(dataDir);
    const workflowId = await setUpWorkflow(server.url, apiKey, timerWorkflow(sink.url, 25_000));
    for (let i = 0; i < 20; i++)
      assert.equal(
        (await api(server.url, apiKey, 'POST', `/v1/workflows/${workflowId}/runs`, { leadId: null })).status,
        202,
      );
    for (;;) {
      const waiting =
        query<{ n: number }>(dataDir, "select count(*) as n from workflow_steps where status = 'waiting'")[0]
          ?.n ?? 0;
      if (waiting === 20) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    server.child.kill('SIGKILL');
    await exited(server.child);
    server = await startServer(dataDir);
    const deadline = Date.now() + 120_000;
    while (
      (query<{ n: number }>(dataDir, "select count(*) as n from workflow_runs where status = 'completed'")[0]
        ?.n ?? 0) < 20 &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 100));
    server.child.kill('SIGTERM');
    await exited(server.child);
    const waits = query<{ output: string; finished_at: number }>(
      dataDir,
      "select output, finished_at from workflow_steps where step_id = 'pause'",
    );
    assert.equal(waits.length, 20);
    const fired = query<{ n: number }>(
      dataDir,
      "select count(*) as n from workflow_runs where status = 'completed'",
    )[0]?.n;
    assert.equal(fired, 20, 'every timer fired after the restart');
    const late = waits.map((w) => (JSON.parse(w.output) as { lateMs: number }).lateMs);
    // Each timer fired once, after its due time, from the due row that survived the kill. How late
    // is a figure, not an assertion (the machine may be loaded): `bench:workflows` reports it.
    for (const lateMs of late)
      assert.ok(Number.isFinite(lateMs) && lateMs >= 0, `fired ${lateMs} ms after due`);
    const calls = sink.requests.filter((r) => r.url === '/timer');
    assert.equal(
      new Set(calls.map((r) => String(r.headers['idempotency-key']))).size,
      20,
      'each timer acted once',
    );
    process.stderr.write(
      `workflow timers after restart: late by max ${Math.max(...late)} ms, median ${late.sort((a, b) => a - b)[10]} ms\n`,
    );
  });
});
