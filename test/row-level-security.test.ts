import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Kysely, sql } from 'kysely';
import pg from 'pg';
import { asScheduler, inWorkspace, withDataScope } from '../src/core/index.ts';
import type { HttpApp } from '../src/http/index.ts';
import { DIRECTORY_TABLES, OWNER_TABLES, type Store, TENANT_TABLES } from '../src/store/index.ts';
import { createPostgresDialect } from '../src/store/postgres/postgres-dialect.ts';
import { deriveScopeKey, SCHEDULER_SUBJECT, scopeProof } from '../src/store/postgres/scope-signature.ts';
import { call } from './support/http.ts';
import {
  appRoleUrl,
  createTestRuntime,
  eventually,
  openAppRoleStore,
  TEST_MASTER_KEY_BYTES,
  type TestRuntime,
} from './support/runtime.ts';

/**
 * PostgreSQL row-level security, checked in the database itself rather than through the routes:
 * every table of the schema is classified, every tenant table's policy binds the application's
 * role, and a workspace-A scope reads none of workspace B's rows in any table that holds both.
 */
const enabled = Boolean(process.env.TEST_DATABASE_URL);

describe('row-level security (postgres)', { skip: enabled ? false : 'TEST_DATABASE_URL is not set' }, () => {
  let runtime: TestRuntime;
  let http: HttpApp;
  /** A separate pool as the application role, one connection, so scopes must not leak between queries. */
  let app: Store;
  let schema: string;
  const ACTOR = { type: 'system' as const, id: 'test' };
  const ws = { A: { id: '', key: '', widget: '' }, B: { id: '', key: '', widget: '' } };

  /** Drives the same flows in a workspace so that most tenant tables hold rows of it. */
  async function populate(side: { id: string; key: string; widget: string }, email: string) {
    const lead = (title: string) => ({
      email,
      title,
      company: 'Acme',
      consent: {
        purposes: ['marketing'],
        textVersion: 'v1',
        timestamp: '2026-11-01T10:00:00Z',
        method: 'form',
      },
    });
    const first = await call(http.app, 'POST', '/v1/leads', {
      key: side.key,
      body: lead('CEO'),
      headers: { 'idempotency-key': `first-${side.id}` },
    });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const leadId = await eventually(async () => {
      const event = await call(http.app, 'GET', `/v1/events/${first.body.eventId}`, { key: side.key });
      return (event.body.leadId as string | null) ?? undefined;
    });
    // The same email again: a merge, with the earlier values kept in the lead's history.
    const second = await call(http.app, 'POST', '/v1/leads', { key: side.key, body: lead('VP Sales') });
    await eventually(async () => {
      const event = await call(http.app, 'GET', `/v1/events/${second.body.eventId}`, { key: side.key });
      return event.body.status === 'processed' ? true : undefined;
    });
    const steps = [
      await call(http.app, 'POST', '/v1/chat/sessions', { body: { widgetKey: side.widget } }),
      await call(http.app, 'PUT', '/v1/scoring/rules', { key: side.key, body: { threshold: 10, rules: [] } }),
      await call(http.app, 'PUT', '/v1/scoring/settings', { key: side.key, body: { autoRetrain: false } }),
      await call(http.app, 'POST', `/v1/leads/${leadId}/outcome`, {
        key: side.key,
        body: { converted: true },
      }),
      await call(http.app, 'PUT', '/v1/council/agents/strategist-uk', {
        key: side.key,
        body: { enabled: false },
      }),
      await call(http.app, 'POST', '/v1/council/questions', {
        key: side.key,
        body: { type: 'lead.next_action', leadId },
      }),
    ];
    for (const step of steps) assert.ok(step.status < 300, JSON.stringify(step.body));
  }

  before(async () => {
    runtime = await createTestRuntime('postgres');
    http = await runtime.createHttp();
    runtime.lifecycle.set('ready');
    for (const side of ['A', 'B'] as const) {
      const created = await runtime.tenants.createWorkspace({ name: side, actor: ACTOR });
      Object.assign(ws[side], { id: created.workspace.id, key: created.apiKey, widget: created.widgetKey });
    }
    runtime.startWorkers(2);
    await populate(ws.A, 'ann@acme.example.com');
    await populate(ws.B, 'ann@acme.example.com');
    await runtime.stopWorkers();
    // A job waiting in each workspace, so the queue table holds both too.
    for (const side of [ws.A, ws.B])
      await inWorkspace(side.id, () =>
        runtime.store.transaction((trx) =>
          runtime.queue.enqueue(trx, [
            { name: 'scoring.retrain', workspaceId: side.id, payload: { trigger: 'rls-test' } },
          ]),
        ),
      );
    ({ store: app, schema } = await openAppRoleStore(runtime));
  });
  after(async () => {
    http.closeStreams();
    await http.app.close();
    await app?.destroy();
    await runtime.dispose();
  });

  /** Rows per workspace in `table`, as `db` sees them in the current data scope. */
  async function countsIn(db: Store['db'], table: string): Promise<Map<string, number>> {
    const { rows } = await sql<{ workspace_id: string; n: string }>`
      select workspace_id, count(*) as n from ${sql.table(table)} group by workspace_id`.execute(db);
    return new Map(rows.map((r) => [r.workspace_id, Number(r.n)]));
  }

  it('classifies every table of the schema, and forces a workspace policy on each tenant table', async () => {
    const { rows } = await sql<{ name: string; rls: boolean; forced: boolean; policies: string[] | null }>`
      select c.relname as name, c.relrowsecurity as rls, c.relforcerowsecurity as forced,
             (select array_agg(p.qual) from pg_policies p
               where p.schemaname = n.nspname and p.tablename = c.relname) as policies
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = ${schema} and c.relkind = 'r'`.execute(runtime.inspect);
    const known = new Set<string>([
      ...TENANT_TABLES,
      ...DIRECTORY_TABLES,
      ...OWNER_TABLES,
      'leadloop_migrations',
      'leadloop_migrations_lock',
    ]);
    const unclassified = rows.filter((r) => !known.has(r.name)).map((r) => r.name);
    assert.deepEqual(
      unclassified,
      [],
      'a new table must be a tenant table (with a policy) or a directory table',
    );
    for (const table of TENANT_TABLES) {
      const row = rows.find((r) => r.name === table);
      assert.ok(row, `${table} exists`);
      assert.ok(row.rls && row.forced, `${table} has row-level security enabled and forced`);
      assert.ok(
        (row.policies ?? []).some((q) => q.includes('leadloop_scope_workspaces')),
        `${table} has a policy on the signed scope`,
      );
    }
  });

  it('connects the application as a role that owns nothing and cannot bypass the policies', async () => {
    const role = await app.connectedRole();
    assert.deepEqual(role, { name: 'leadloop_app', bypassesRowSecurity: false });
    const { rows } = await sql<{ n: string }>`
      select count(*) as n from pg_tables where schemaname = ${schema} and tableowner = 'leadloop_app'`.execute(
      runtime.inspect,
    );
    assert.equal(Number(rows[0]?.n), 0);
    await assert.rejects(sql`alter table leads disable row level security`.execute(app.db), /must be owner/);
  });

  it('shows a workspace-A scope none of B’s rows, in every tenant table that holds both', async () => {
    const checked: string[] = [];
    for (const table of TENANT_TABLES) {
      const all = await countsIn(runtime.inspect, table);
      if (!all.get(ws.A.id) || !all.get(ws.B.id)) continue;
      checked.push(table);
      const asA = await inWorkspace(ws.A.id, () => countsIn(app.db, table));
      assert.deepEqual([...asA.keys()], [ws.A.id], `${table}: A's scope sees only A`);
      assert.equal(asA.get(ws.A.id), all.get(ws.A.id), `${table}: A's scope sees all of A`);
      const none = await countsIn(app.db, table);
      assert.equal(none.size, 0, `${table}: a query without a workspace sees no rows`);
      const both = await withDataScope({ kind: 'workspaces', workspaceIds: [ws.A.id, ws.B.id] }, () =>
        countsIn(app.db, table),
      );
      assert.equal(both.size, 2, `${table}: an organisation-wide scope sees both`);
    }
    // The flows above reach most tables; the rest are covered by the policy check.
    assert.ok(checked.length >= 14, `tables with rows of both workspaces: ${checked.join(', ')}`);
  });

  it('refuses to write a row into another workspace, and the scheduler sees jobs but no lead data', async () => {
    await assert.rejects(
      inWorkspace(ws.A.id, () =>
        app.db
          .insertInto('domain_events')
          .values({
            id: 'evt_forged',
            workspace_id: ws.B.id,
            type: 'lead.created',
            subject: 'x',
            data: '{}',
            created_at: 0,
          })
          .execute(),
      ),
      /row-level security/,
    );
    const moved = await inWorkspace(ws.A.id, () =>
      app.db
        .updateTable('leads')
        .set({ workspace_id: ws.B.id })
        .execute()
        .catch((e: Error) => e),
    );
    assert.ok(moved instanceof Error && /row-level security/.test(moved.message), 'cannot move a row out');
    const jobs = await asScheduler(() => countsIn(app.db, 'jobs'));
    assert.equal(jobs.size, 2);
    assert.equal((await asScheduler(() => countsIn(app.db, 'leads'))).size, 0);
  });

  it('ignores a scope a session sets itself: set alone, a forged proof, another backend’s, an expired one, another scope’s', async () => {
    // Issue 12, finding 5: whoever holds the application role's credentials can SET the settings.
    const client = new pg.Client({ connectionString: appRoleUrl(), options: `-c search_path=${schema}` });
    await client.connect();
    try {
      const key = deriveScopeKey(TEST_MASTER_KEY_BYTES);
      const pid = Number((await client.query('select pg_backend_pid() as pid')).rows[0].pid);
      const now = Date.now();
      const attempts: [string, string | null, string][] = [
        ['the settings alone', null, ws.B.id],
        ['a forged proof', `${key.id}.${pid}.${Math.floor(now / 1000) + 60}.${'0'.repeat(64)}`, ws.B.id],
        ['another backend’s proof', scopeProof(key, ws.B.id, pid + 1, now), ws.B.id],
        ['an expired proof', scopeProof(key, ws.B.id, pid, now - 3_600_000), ws.B.id],
        ['a proof of A’s scope with B set', scopeProof(key, ws.A.id, pid, now), ws.B.id],
        ['a proof of A’s scope widened to B', scopeProof(key, ws.A.id, pid, now), `${ws.A.id},${ws.B.id}`],
        ['a workspace proof claiming the scheduler', scopeProof(key, ws.B.id, pid, now), ''],
      ];
      const visible = async (table: string) =>
        Number(
          (await client.query(`select count(*) as n from ${table} where workspace_id = $1`, [ws.B.id]))
            .rows[0].n,
        );
      for (const [what, proof, scope] of attempts) {
        await client.query('begin');
        await client.query(
          `select set_config('app.workspace_id', $1, true), set_config('app.scheduler', 'on', true),
          set_config('app.scope_proof', $2, true)`,
          [scope, proof ?? ''],
        );
        for (const table of TENANT_TABLES)
          assert.equal(await visible(table), 0, `${what}: ${table} shows B's rows`);
        await client.query('savepoint s');
        await assert.rejects(
          client.query('select * from audit_lock_head($1)', [ws.B.id]),
          /data scope/,
          what,
        );
        await client.query('rollback to savepoint s');
        await assert.rejects(
          client.query(
            `insert into domain_events (id, workspace_id, type, subject, data, created_at)
            values ('evt_forged', $1, 'lead.created', 'x', '{}', 0)`,
            [ws.B.id],
          ),
          /row-level security/,
          what,
        );
        await client.query('rollback');
      }
      // The control: the same session with a proof made for it by the key's holder sees B, and the
      // scheduler's proof shows jobs only; so the refusals above are the proofs', not the test's.
      await client.query('begin');
      await client.query(
        `select set_config('app.workspace_id', $1, true), set_config('app.scope_proof', $2, true)`,
        [ws.B.id, scopeProof(key, ws.B.id, pid, now)],
      );
      assert.ok((await visible('leads')) > 0);
      await client.query(
        `select set_config('app.workspace_id', '', true), set_config('app.scheduler', 'on', true),
        set_config('app.scope_proof', $1, true)`,
        [scopeProof(key, SCHEDULER_SUBJECT, pid, now)],
      );
      assert.ok((await visible('jobs')) > 0);
      assert.equal(await visible('leads'), 0);
      await client.query('rollback');
      // And the key itself is out of the role's reach.
      await assert.rejects(client.query('select * from scope_keys'), /permission denied/);
    } finally {
      await client.end();
    }
  });

  it('keeps each transaction’s scope to itself on a pooled connection, and after a rollback to a savepoint', async () => {
    // One connection: A's scope, then no scope, then B's, each sees only its own.
    assert.deepEqual([...(await inWorkspace(ws.A.id, () => countsIn(app.db, 'leads'))).keys()], [ws.A.id]);
    assert.equal((await countsIn(app.db, 'leads')).size, 0);
    await app.transaction(async (trx) => {
      assert.deepEqual([...(await inWorkspace(ws.A.id, () => countsIn(trx, 'leads'))).keys()], [ws.A.id]);
      await inWorkspace(ws.A.id, () => sql`savepoint s1`.execute(trx));
      // B's setting is made inside the savepoint, so rolling back to it restores A's.
      assert.deepEqual([...(await inWorkspace(ws.B.id, () => countsIn(trx, 'leads'))).keys()], [ws.B.id]);
      await inWorkspace(ws.B.id, () => sql`rollback to savepoint s1`.execute(trx));
      // The rollback undid B's setting; B's scope must be applied again, not assumed.
      assert.deepEqual([...(await inWorkspace(ws.B.id, () => countsIn(trx, 'leads'))).keys()], [ws.B.id]);
      assert.equal((await countsIn(trx, 'leads')).size, 0);
    });
  });

  it('outside a transaction, makes the session’s scope each statement’s own: none, another workspace’s, and a transaction’s own', async () => {
    // The one connection keeps A's scope in its session after an A read; every later caller must
    // still see only its own scope, with or without a transaction.
    const only = async (scope: string | null, read: () => Promise<Map<string, number>>) =>
      assert.deepEqual([...(await (scope ? inWorkspace(scope, read) : read())).keys()], scope ? [scope] : []);
    await only(ws.A.id, () => countsIn(app.db, 'leads'));
    await only(ws.A.id, () => countsIn(app.db, 'consent_events'));
    await only(null, () => countsIn(app.db, 'leads'));
    await only(ws.A.id, () => countsIn(app.db, 'leads'));
    await only(ws.B.id, () => countsIn(app.db, 'leads'));
    await only(null, () => app.transaction((trx) => countsIn(trx, 'leads')));
    await only(ws.A.id, () => countsIn(app.db, 'leads'));
    await only(null, () => app.transaction((trx) => countsIn(trx, 'leads')));
    await only(ws.A.id, () => countsIn(app.db, 'leads'));
    await only(ws.B.id, () => app.transaction((trx) => countsIn(trx, 'leads')));
    // The transaction's settings were local: the session still holds A's scope, and says so.
    await only(ws.A.id, () => countsIn(app.db, 'leads'));
    await asScheduler(async () => {
      const { rows } = await sql<{ n: string }>`select count(*) as n from leads`.execute(app.db);
      assert.equal(Number(rows[0]?.n), 0, 'the scheduler sees no lead data');
    });
    await only(null, () => countsIn(app.db, 'leads'));
  });

  it('signs a session’s scope again before its proof nears expiry', async () => {
    let now = Date.now();
    const url = new URL(appRoleUrl());
    url.searchParams.set('options', `-c search_path=${schema}`);
    const { dialect } = createPostgresDialect(url.toString(), {
      max: 1,
      scopeKey: deriveScopeKey(TEST_MASTER_KEY_BYTES),
      now: () => now,
    });
    const db = new Kysely<Record<string, never>>({ dialect });
    const proof = () =>
      inWorkspace(ws.A.id, async () => {
        const { rows } = await sql<{
          proof: string;
        }>`select current_setting('app.scope_proof', true) as proof`.execute(db);
        return rows[0]?.proof ?? '';
      });
    try {
      const first = await proof();
      assert.match(first, /\./);
      now += 60_000;
      assert.equal(await proof(), first, 'a fresh proof is kept: no statement to set it again');
      // Proofs live 300 s; with less than a minute left, the next statement signs a new one.
      now += 190_000;
      const second = await proof();
      assert.notEqual(second, first);
      assert.deepEqual(
        [...(await inWorkspace(ws.A.id, () => countsIn(db as never, 'leads'))).keys()],
        [ws.A.id],
      );
    } finally {
      await db.destroy();
    }
  });
});
