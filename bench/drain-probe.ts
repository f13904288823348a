// Ad-hoc: how fast do workers drain a backlog with no HTTP load? (not a published benchmark)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config/index.ts';
import { createRuntime } from '../src/main/runtime.ts';

const n = Number(process.argv[2] ?? 10000);
const dir = mkdtempSync(join(tmpdir(), 'drain-'));
const runtime = await createRuntime(loadConfig({ LEADLOOP_DATA_DIR: dir, LOG_LEVEL: 'silent' }), {
  logger: pino({ level: 'silent' }),
});
const ws = await runtime.tenants.createWorkspace({ name: 'x', actor: { type: 'system', id: 'p' } });
const subs = [];
for (let i = 0; i < n; i++) {
  const body = JSON.stringify({
    email: `p${i % (n * 0.8)}@c${i % 97}.example.com`,
    name: `P ${i}`,
    title: 'VP Sales',
    company: 'C',
    source: 'webinar',
    attributes: { employees: i % 3000 },
  });
  subs.push(runtime.ingest.acceptLead({ workspaceId: ws.workspace.id, source: 'api', rawBody: body }));
}
let t = performance.now();
await Promise.all(subs);
console.log('accept (no http)', Math.round(n / ((performance.now() - t) / 1000)), '/s');
t = performance.now();
runtime.startWorkers(16);
for (;;) {
  const d = await runtime.queue.depth();
  if (d.queued + d.active === 0) break;
  await new Promise((r) => setTimeout(r, 50));
}
console.log('drain', Math.round(n / ((performance.now() - t) / 1000)), '/s');
await runtime.close();
