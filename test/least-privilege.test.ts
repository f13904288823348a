import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { withDataScope } from '../src/core/index.ts';
import { APP_ROLE_GRANTS } from '../src/store/app-role-grants.ts';
import { createStore, type Store } from '../src/store/index.ts';
import { hashApiKey } from '../src/tenants/index.ts';
import { appRoleUrl, createTestRuntime, TEST_MASTER_KEY_BYTES, type TestRuntime } from './support/runtime.ts';

/**
 * Issue 12, finding 5, tried as the application role itself: the key tables are out of its
 * reach except through definer functions that return one row for one hash and validate inserts.
 */
describe('least privilege of the application role (postgres)', {
  skip: process.env.TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL is not set',
}, () => {
  let runtime: TestRuntime;
  let app: Store;
  let schema = '';
  const A = { id: '', org: '', key: '' };
  const B = { id: '', org: '' };
  const ACTOR = { type: 'system' as const, id: 'least-privilege' };
  const asApp = <T>(workspaceIds: string[], fn: () => Promise<T>) =>
    withDataScope({ kind: 'workspaces', workspaceIds }, fn);

  before(async () => {
    runtime = await createTestRuntime('postgres');
    const a = await runtime.tenants.createWorkspace({ name: 'A', actor: ACTOR });
    const b = await runtime.tenants.createWorkspace({ name: 'B', actor: ACTOR });
    Object.assign(A, { id: a.workspace.id, org: a.workspace.organisationId, key: a.apiKey });
    Object.assign(B, { id: b.workspace.id, org: b.workspace.organisationId });
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(
      runtime.inspect,
    );
    schema = rows[0]?.schema as string;
    app = createStore({
      databaseUrl: appRoleUrl(),
      schema,
      poolSize: 1,
      masterKey: TEST_MASTER_KEY_BYTES,
    });
  });
  after(async () => {
    await app.destroy();
    await runtime.dispose();
  });

  for (const statement of [
    'select * from api_keys',
    'select * from widget_keys',
    "delete from api_keys where scope = 'admin'",
    'update widget_keys set revoked_at = 1',
    "insert into api_keys (id, organisation_id, workspace_id, scope, hash, prefix, label, created_at) values ('key_x', 'o', 'w', 'admin', 'h', 'p', '', 0)",
  ])
    it(`refuses "${statement.slice(0, 40)}…" with permission denied`, async () => {
      await assert.rejects(
        asApp([A.id], () => sql.raw(statement).execute(app.db)),
        /permission denied/,
      );
    });

  it('resolves one key by its hash, without the hash, and nothing for a wrong one', async () => {
    const { rows } = await sql<
      Record<string, unknown>
    >`select * from auth_resolve_api_key(${hashApiKey(A.key)})`.execute(app.db);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.workspace_id, A.id);
    assert.ok(!('hash' in (rows[0] ?? {})));
    const none = await sql`select * from auth_resolve_api_key(${'0'.repeat(64)})`.execute(app.db);
    assert.equal(none.rows.length, 0);
  });

  it('inserts a key only with a known scope, into a workspace in scope and of its organisation', async () => {
    const insert = (workspace: string | null, org: string, scope: string) =>
      app.db
        .transaction()
        .execute((trx) =>
          sql`select auth_insert_api_key(${`key_${Math.random()}`}, ${org}, ${workspace}, ${scope}, ${`h${Math.random()}`}, 'p', '', 0)`.execute(
            trx,
          ),
        );
    await assert.rejects(
      asApp([A.id], () => insert(A.id, A.org, 'superuser')),
      /unknown key scope/,
    );
    await assert.rejects(
      asApp([], () => insert(B.id, B.org, 'admin')),
      /data scope/,
    );
    await assert.rejects(
      asApp([A.id], () => insert(B.id, B.org, 'admin')),
      /data scope/,
    );
    await assert.rejects(
      asApp([B.id], () => insert(B.id, A.org, 'admin')),
      /not in organisation/,
    );
    await asApp([A.id], () => insert(A.id, A.org, 'read'));
  });

  it('grants the application role exactly the checked-in allow-list, and nothing on a table without a decision', async () => {
    const { rows } = await sql<{ name: string; privileges: string[] }>`
      select c.relname as name,
             array(select p from unnest(array['select', 'insert', 'update', 'delete', 'truncate', 'references', 'trigger']) p
                    where has_table_privilege('leadloop_app', c.oid, p)) as privileges
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = ${schema} and c.relkind = 'r' order by 1`.execute(runtime.inspect);
    assert.ok(rows.length > 40, `tables: ${rows.length}`);
    for (const row of rows) {
      const allowed = APP_ROLE_GRANTS[row.name];
      assert.ok(allowed, `${row.name} has no grant decision in src/store/app-role-grants.ts`);
      assert.deepEqual(row.privileges, [...allowed], `${row.name}: granted ${row.privileges.join(', ')}`);
    }
  });

  it('keeps another workspace’s directory rows out of reach: settings, new workspaces, organisation keys', async () => {
    // With A's signed scope (what a stolen request context gives), B's rows cannot be written.
    const moved = await asApp([A.id], () =>
      sql`update workspaces set settings = '{}' where id = ${B.id}`.execute(app.db),
    );
    assert.equal(Number(moved.numAffectedRows ?? 0), 0);
    await assert.rejects(
      asApp([A.id], () =>
        sql`insert into workspaces (id, organisation_id, name, settings, created_at)
              values ('ws_planted', ${B.org}, 'x', '{}', 0)`.execute(app.db),
      ),
      /row-level security/,
    );
    await assert.rejects(
      asApp([A.id], () => sql`delete from workspaces`.execute(app.db)),
      /permission denied/,
    );
    await assert.rejects(
      asApp([A.id], () => sql`update organisations set name = 'x'`.execute(app.db)),
      /permission denied/,
    );
    // Without any signed scope (the settings a session can make itself), nothing is writable.
    await assert.rejects(
      sql`insert into organisations (id, name, created_at) values ('org_planted', 'x', 0)`.execute(app.db),
      /row-level security/,
    );
    // An organisation key needs every workspace of the organisation in scope.
    const orgKey = (org: string) =>
      sql`select auth_insert_api_key(${`key_${Math.random()}`}, ${org}, null, 'org', ${`h${Math.random()}`}, 'p', '', 0)`.execute(
        app.db,
      );
    await assert.rejects(
      asApp([A.id], () => orgKey(B.org)),
      /not wholly in this transaction's data scope/,
    );
    await asApp([B.id], () => orgKey(B.org));
    // The owner's view: B's settings unchanged, nothing planted.
    const planted = await runtime.inspect
      .selectFrom('workspaces')
      .select('id')
      .where('id', '=', 'ws_planted')
      .execute();
    assert.deepEqual(planted, []);
  });

  it('pins every definer function’s search path and keeps them from PUBLIC', async () => {
    const { rows } = await sql<{ name: string; config: string[] | null; public: boolean }>`
        select p.proname as name, p.proconfig as config,
               has_function_privilege('public', p.oid, 'execute') as public
          from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname = ${schema} and p.prosecdef`.execute(runtime.inspect);
    assert.ok(rows.length >= 6, rows.map((r) => r.name).join());
    for (const row of rows) {
      assert.ok(row.config?.includes('search_path=""'), `${row.name}: ${row.config}`);
      assert.equal(row.public, false, `${row.name} is executable by PUBLIC`);
    }
  });
});
