/**
 * `npm run bench:console`: the API calls behind each console view, on a workspace with 100,000
 * leads (embedded SQLite in a temporary directory), through a signed-in session as the console
 * makes them. Prints and writes bench/results/console.json: median and p95 per call.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config/index.ts';
import { createRuntime } from '../src/main/runtime.ts';

const LEADS = Number(process.env.BENCH_LEADS ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const SOURCES = ['ads', 'webinar', 'demo-request', 'referral', 'partner', 'event', 'seo', 'rare-source'];

const dataDir = mkdtempSync(join(tmpdir(), 'leadloop-bench-console-'));
const runtime = await createRuntime(loadConfig({ LEADLOOP_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), {
  logger: pino({ level: 'silent' }),
});
try {
  const actor = { type: 'system' as const, id: 'bench' };
  const { workspace } = await runtime.tenants.createWorkspace({ name: 'Bench', actor });
  const user = await runtime.users.createUser({
    email: 'bench@example.com',
    password: 'bench-password',
    actor,
  });
  await runtime.users.grantRole({ userId: user.id, workspaceId: workspace.id, role: 'admin', actor });
  const start = Date.now() - LEADS * 1000;
  let sample = '';
  for (let offset = 0; offset < LEADS; offset += 1000) {
    const rows = Array.from({ length: Math.min(1000, LEADS - offset) }, (_, i) => {
      const n = offset + i;
      const id = runtime.ids.next('lead');
      if (n === Math.floor(LEADS / 2)) sample = id;
      return {
        id,
        workspace_id: workspace.id,
        email: `person${n}@company${n % 5000}.example.com`,
        phone: null,
        name: `Person ${n}`,
        company: `Company ${n % 5000}`,
        company_domain: `company${n % 5000}.example.com`,
        title: n % 7 === 0 ? 'CEO' : 'Engineer',
        country: 'GB',
        // One lead in 10,000 comes from the rare source: the worst case for a filter walking by id.
        source: n % 10_000 === 0 ? 'rare-source' : (SOURCES[n % 7] as string),
        utm: '{}',
        attributes: '{}',
        status: n % 5 === 0 ? 'qualified' : 'new',
        score: (n * 37) % 101,
        score_breakdown: '[]',
        created_at: start + n * 1000,
        updated_at: start + n * 1000,
      };
    });
    await runtime.store.db.insertInto('leads').values(rows).execute();
  }
  const http = await runtime.createHttp();
  const signIn = await http.app.inject({
    method: 'POST',
    url: '/v1/session',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ email: 'bench@example.com', password: 'bench-password' }),
  });
  const cookie = String(signIn.headers['set-cookie']).split(';')[0] as string;
  const calls: Record<string, string> = {
    'session (every view)': '/v1/session',
    'inbox: newest 50': '/v1/leads?limit=50',
    'inbox: status=qualified': '/v1/leads?limit=50&status=qualified',
    'inbox: score band 70+': '/v1/leads?limit=50&minScore=70',
    'inbox: source=webinar': '/v1/leads?limit=50&source=webinar',
    'inbox: rare source (10 of 100,000)': '/v1/leads?limit=50&source=rare-source',
    'inbox: search "person4242"': '/v1/leads?limit=50&q=person4242',
    'inbox: search with no match': '/v1/leads?limit=50&q=zzz-no-such',
    'lead page': `/v1/leads/${sample}`,
    'lead page: score': `/v1/leads/${sample}/score`,
    'lead page / decisions': `/v1/council/decisions?limit=200`,
    conversations: '/v1/chat/sessions?limit=50',
    'analytics: models': '/v1/models',
    'settings: rules': '/v1/scoring/rules',
  };
  // The second page: a cursor in the middle of the workspace.
  const first = JSON.parse(
    (await http.app.inject({ url: '/v1/leads?limit=200', headers: { cookie } })).body,
  ) as {
    nextCursor: string;
  };
  calls['inbox: next page (cursor)'] = `/v1/leads?limit=50&cursor=${first.nextCursor}`;
  const results: Record<string, { medianMs: number; p95Ms: number; status: number }> = {};
  for (const [name, url] of Object.entries(calls)) {
    const times: number[] = [];
    let status = 0;
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const response = await http.app.inject({ url, headers: { cookie } });
      times.push(performance.now() - t0);
      status = response.statusCode;
    }
    times.sort((a, b) => a - b);
    const at = (q: number) =>
      Number((times[Math.min(times.length - 1, Math.floor(q * times.length))] as number).toFixed(2));
    results[name] = { medianMs: at(0.5), p95Ms: at(0.95), status };
    console.log(`${name.padEnd(40)} median ${at(0.5)} ms  p95 ${at(0.95)} ms  (HTTP ${status})`);
  }
  await http.app.close();
  const out = {
    benchmark: 'console',
    command: 'npm run bench:console',
    leads: LEADS,
    runsPerCall: RUNS,
    storage: 'embedded SQLite',
    note: 'in-process (Fastify inject) through a console session; measured while other work shared the 2-core machine',
    at: new Date().toISOString(),
    results,
  };
  writeFileSync(join(import.meta.dirname, 'results', 'console.json'), `${JSON.stringify(out, null, 2)}\n`);
} finally {
  await runtime.close();
  rmSync(dataDir, { recursive: true, force: true });
}
