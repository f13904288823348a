/**
 * `npm run bench:console`: the API calls behind each console view, on a workspace with 100,000
 * leads, through a signed-in session as the console makes them: on embedded SQLite (a temporary
 * directory) and, with BENCH_DATABASE_URL (or TEST_DATABASE_URL) set, on PostgreSQL in a fresh
 * schema. Prints each inbox query's plan (EXPLAIN QUERY PLAN / EXPLAIN) and a table per database,
 * and writes bench/results/console.json: median and p95 per call.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../src/config/index.ts';
import { createRuntime } from '../src/main/runtime.ts';

const LEADS = Number(process.env.BENCH_LEADS ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const SOURCES = ['ads', 'webinar', 'demo-request', 'referral', 'partner', 'event', 'seo', 'rare-source'];

type Results = Record<string, { medianMs: number; p95Ms: number; status: number }>;

async function bench(
  database: 'sqlite' | 'postgres',
): Promise<{ results: Results; plans: Record<string, string> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'leadloop-bench-console-'));
  const schema = `bench_console_${Date.now().toString(36)}`;
  const runtime = await createRuntime(
    loadConfig({
      LEADLOOP_DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      ...(database === 'postgres' ? { DATABASE_URL: PG_URL } : {}),
    }),
    { logger: pino({ level: 'silent' }), ...(database === 'postgres' ? { postgresSchema: schema } : {}) },
  );
  try {
    const actor = { type: 'system' as const, id: 'bench' };
    const { workspace } = await runtime.tenants.createWorkspace({ name: 'Bench', actor });
    const user = await runtime.users.createUser({
      email: 'bench@example.com',
      password: 'bench-password',
      workspaceId: workspace.id,
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
          // One lead in 20 has an owner (workflows' assign_owner); one owner is rare.
          attributes: n % 20 === 0 ? `{"owner":"${n % 20_000 === 0 ? 'rep-rare' : `rep-${n % 3}`}"}` : '{}',
          status: n % 5 === 0 ? 'qualified' : 'new',
          score: (n * 37) % 101,
          score_breakdown: '[]',
          created_at: start + n * 1000,
          updated_at: start + n * 1000,
        };
      });
      await runtime.store.db.insertInto('leads').values(rows).execute();
      // One lead in 50 granted e-mail marketing through the privacy ledger; one in 500 later withdrew.
      const consents = rows
        .filter((_, i) => (offset + i) % 50 === 0)
        .flatMap((row, i) => [
          consentRow(runtime.ids.next('con'), workspace.id, row.id, 'grant', row.created_at),
          ...(i % 10 === 0
            ? [consentRow(runtime.ids.next('con'), workspace.id, row.id, 'withdraw', row.created_at + 1)]
            : []),
        ]);
      if (consents.length) await runtime.store.db.insertInto('consent_events').values(consents).execute();
    }
    if (database === 'postgres') await sql`analyze`.execute(runtime.store.db);
    // Seeded rows bypass the pipeline, which indexes new leads for SQLite's search: index them all.
    else await sql`insert into leads_fts (leads_fts) values ('rebuild')`.execute(runtime.store.db);
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
      'inbox: search "company42 person"': '/v1/leads?limit=50&q=company42%20person',
      'inbox: search common word "company"': '/v1/leads?limit=50&q=company',
      'inbox: search with no match': '/v1/leads?limit=50&q=zzz-no-such',
      'inbox: owner=rep-1': '/v1/leads?limit=50&owner=rep-1',
      'inbox: rare owner (5 of 100,000)': '/v1/leads?limit=50&owner=rep-rare',
      'inbox: segment=webinar (segmentBy source)': '/v1/leads?limit=50&segment=webinar',
      'inbox: consent email_marketing allowed': '/v1/leads?limit=50&consent=email_marketing:allowed',
      'inbox: consent email_marketing denied': '/v1/leads?limit=50&consent=email_marketing:denied',
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
    const results: Results = {};
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
    }
    const plans = await explainInbox(runtime, database, workspace.id);
    await http.app.close();
    return { results, plans };
  } finally {
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (database === 'postgres') {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    }
  }
}

function consentRow(id: string, workspaceId: string, leadId: string, action: string, at: number) {
  return {
    id,
    workspace_id: workspaceId,
    lead_id: leadId,
    purpose: 'email_marketing',
    action,
    notice_version: null,
    notice_hash: null,
    method: 'api',
    source: 'bench',
    gpc: 0,
    evidence: null,
    occurred_at: at,
    recorded_at: at,
  };
}

/** The plans of the inbox's main reads, as each database chooses them (the SQL the API issues). */
async function explainInbox(
  runtime: Awaited<ReturnType<typeof createRuntime>>,
  database: 'sqlite' | 'postgres',
  workspaceId: string,
): Promise<Record<string, string>> {
  const db = runtime.store.db;
  const ws = sql.lit(workspaceId);
  const order = sql`order by created_at desc, id desc limit 51`;
  const search =
    database === 'postgres'
      ? sql`search_document @@ to_tsquery('simple', 'person4242:*')`
      : sql`leads.rowid in (select rowid from leads_fts where leads_fts match '{email name company} : ("person4242"*)')`;
  const commonSearch =
    database === 'postgres'
      ? sql`search_document @@ to_tsquery('simple', 'company:*')`
      : sql`leads.rowid in (select rowid from leads_fts where leads_fts match '{email name company} : ("company"*)')`;
  const owner =
    database === 'postgres' ? sql`(attributes::jsonb ->> 'owner')` : sql`json_extract(attributes, '$.owner')`;
  const queries: Record<string, ReturnType<typeof sql>> = {
    newest: sql`select * from leads where workspace_id = ${ws} ${order}`,
    cursor: sql`select * from leads where workspace_id = ${ws} and (created_at, id) < (${sql.lit(Date.now() - LEADS * 500)}, 'lead_Z') ${order}`,
    'score band': sql`select * from leads where workspace_id = ${ws} and score >= 70 ${order}`,
    search: sql`select * from leads where ${database === 'sqlite' ? sql`+workspace_id` : sql`workspace_id`} = ${ws} and ${search} ${order}`,
    'search, common word': sql`select * from leads where workspace_id = ${ws} and ${commonSearch} ${order}`,
    owner: sql`select * from leads where workspace_id = ${ws} and ${owner} = 'rep-rare' ${order}`,
  };
  const plans: Record<string, string> = {};
  for (const [name, query] of Object.entries(queries)) {
    const { rows } =
      database === 'postgres'
        ? await sql<Record<string, string>>`explain ${query}`.execute(db)
        : await sql<Record<string, string>>`explain query plan ${query}`.execute(db);
    plans[name] = rows.map((r) => (database === 'postgres' ? r['QUERY PLAN'] : r.detail)).join(' | ');
    console.log(`plan (${database}) ${name}: ${plans[name]}`);
  }
  return plans;
}

const PG_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
const databases: ('sqlite' | 'postgres')[] = PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];
const byDatabase: Record<string, { results: Results; plans: Record<string, string> }> = {};
for (const database of databases) byDatabase[database] = await bench(database);
const names = Object.keys(byDatabase.sqlite?.results ?? {});
console.log(`\n${'call'.padEnd(46)}${databases.map((d) => `${d} median / p95 ms`.padEnd(30)).join('')}`);
for (const name of names)
  console.log(
    `${name.padEnd(46)}${databases
      .map((d) => {
        const r = byDatabase[d]?.results[name];
        return (
          r ? `${r.medianMs} / ${r.p95Ms}${r.status === 200 ? '' : ` (HTTP ${r.status})`}` : '-'
        ).padEnd(30);
      })
      .join('')}`,
  );
const out = {
  benchmark: 'console',
  command: 'npm run bench:console',
  leads: LEADS,
  runsPerCall: RUNS,
  note: 'loaded: in-process (Fastify inject) through a console session, measured while other work shared the 2-core machine',
  at: new Date().toISOString(),
  databases: byDatabase,
};
writeFileSync(join(import.meta.dirname, 'results', 'console.json'), `${JSON.stringify(out, null, 2)}\n`);
