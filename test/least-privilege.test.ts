import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { withDataScope } from '../src/core/index.ts';
import { APP_ROLE_GRANTS } from '../src/store/app-role-grants.ts';
import type { Store } from '../src/store/index.ts';
import { hashApiKey } from '../src/tenants/index.ts';
import { createTestRuntime, openAppRoleStore, type TestRuntime } from './support/runtime.ts';

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
    ({ store: app, schema } = await openAppRoleStore(runtime));
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

  it('lists and revokes keys only of a workspace in the data scope, through the functions of migration 023', async () => {
    const keyOfB = (await runtime.tenants.listApiKeys(B.id))[0]?.id as string;
    const inTransaction = <T>(fn: (trx: typeof app.db) => Promise<T>) => app.db.transaction().execute(fn);
    await assert.rejects(
      asApp([A.id], () => sql`select * from auth_list_api_keys(${B.id})`.execute(app.db)),
      /data scope/,
    );
    await assert.rejects(
      asApp([], () => sql`select * from auth_list_api_keys(${A.id})`.execute(app.db)),
      /data scope/,
    );
    await assert.rejects(
      asApp([A.id], () =>
        inTransaction((trx) => sql`select * from auth_revoke_api_key(${B.id}, ${keyOfB}, 1)`.execute(trx)),
      ),
      /data scope/,
    );
    // A's scope naming B's key under A's id: the key is not found in A.
    const { rows } = await asApp([A.id], () =>
      inTransaction((trx) =>
        sql<{ outcome: string }>`select * from auth_revoke_api_key(${A.id}, ${keyOfB}, 1)`.execute(trx),
      ),
    );
    assert.equal(rows[0]?.outcome, 'missing');
    const listed = await asApp([A.id], () =>
      sql<Record<string, unknown>>`select * from auth_list_api_keys(${A.id})`.execute(app.db),
    );
    assert.ok(listed.rows.length >= 1);
    for (const row of listed.rows) assert.ok(!('hash' in row) && !('prefix' in row));
    assert.equal((await runtime.tenants.listApiKeys(B.id))[0]?.revokedAt, null, "B's key is untouched");
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
    await assert.rejects(
      asApp([A.id], () => sql`select settings_update_workspace(${B.id}, '{}')`.execute(app.db)),
      /data scope/,
    );
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

  it('shows the directory (workspaces, organisations) only in a signed scope, and only its own rows', async () => {
    const rowsOf = async (table: string, workspaceIds?: string[]) => {
      const read = () =>
        sql.raw<{ id: string; settings?: string }>(`select * from ${table} order by id`).execute(app.db);
      return (await (workspaceIds ? asApp(workspaceIds, read) : read())).rows.map((r) => r.id);
    };
    // The role's credentials alone (no scope, or a scope set by hand): no names, no settings, no ids.
    for (const table of ['workspaces', 'organisations']) assert.deepEqual(await rowsOf(table), [], table);
    const forged = await app.db.transaction().execute(async (trx) => {
      await sql`select set_config('app.workspace_id', ${B.id}, true)`.execute(trx);
      return (await sql<{ id: string }>`select id from workspaces`.execute(trx)).rows;
    });
    assert.deepEqual(forged, []);
    // A's signed scope: A and its organisation, nothing of B.
    assert.deepEqual(await rowsOf('workspaces', [A.id]), [A.id]);
    assert.deepEqual(await rowsOf('organisations', [A.id]), [A.org]);
    // The application still routes and lists through its own signed scope: an organisation by
    // name, an organisation's workspaces (an organisation key's analytics), a workspace by id.
    const d = await runtime.tenants.createWorkspace({ name: 'D', organisation: 'Org DE', actor: ACTOR });
    const e = await runtime.tenants.createWorkspace({ name: 'E', organisation: 'Org DE', actor: ACTOR });
    const org = d.workspace.organisationId;
    assert.equal(e.workspace.organisationId, org);
    assert.deepEqual(
      (await runtime.tenants.listWorkspaces(org)).map((w) => w.id),
      [d.workspace.id, e.workspace.id].sort(),
    );
    assert.equal((await runtime.tenants.getWorkspace(e.workspace.id))?.name, 'E');
    assert.deepEqual(await rowsOf('workspaces', [d.workspace.id, e.workspace.id]), [
      d.workspace.id,
      e.workspace.id,
    ]);
    // An organisation role or key needs all of the organisation in scope, though the role now sees
    // only the scope's workspaces (a definer function tells).
    const user = await runtime.users.createUser({
      email: 'org-admin@de.example',
      password: 'org admin password',
      workspaceId: d.workspace.id,
      actor: ACTOR,
    });
    const orgRole = () =>
      sql`insert into user_memberships (user_id, workspace_id, organisation_id, role, created_at)
          values (${user.id}, null, ${org}, 'admin', 0)`.execute(app.db);
    await assert.rejects(asApp([d.workspace.id], orgRole), /row-level security/);
    await asApp([d.workspace.id, e.workspace.id], orgRole);
    const orgKey = () =>
      sql`select auth_insert_api_key(${`key_${Math.random()}`}, ${org}, null, 'org', ${`h${Math.random()}`}, 'p', '', 0)`.execute(
        app.db,
      );
    await assert.rejects(asApp([d.workspace.id], orgKey), /not wholly in this transaction's data scope/);
    const holds = (workspaceIds: string[]) =>
      asApp(
        workspaceIds,
        async () =>
          (
            await sql<{ holds: boolean }>`select leadloop_scope_holds_organisation(${org}) as holds`.execute(
              app.db,
            )
          ).rows[0]?.holds,
      );
    assert.equal(await holds([d.workspace.id]), false);
    assert.equal(await holds([d.workspace.id, e.workspace.id]), true);
  });

  it('writes webhook secrets and settings only through the checking functions, and only sealed secrets', async () => {
    const sealedOfA = (
      await runtime.inspect
        .selectFrom('webhook_secrets')
        .select('secret')
        .where('workspace_id', '=', A.id)
        .executeTakeFirstOrThrow()
    ).secret;
    // Even in A's own signed scope, the tables themselves are closed to writes.
    for (const statement of [
      "update webhook_secrets set secret = 'whsec_planted'",
      "insert into webhook_secrets (id, workspace_id, secret, created_at) values ('whs_x', current_setting('app.workspace_id'), 'whsec_planted', 0)",
      'delete from webhook_secrets',
      `update workspaces set settings = '{}' where id = '${A.id}'`,
    ])
      await assert.rejects(
        asApp([A.id], () => sql.raw(statement).execute(app.db)),
        /permission denied/,
        statement,
      );
    const add = (workspace: string, secret: string) =>
      sql`select settings_add_webhook_secret(${workspace}, ${`whs_${Math.random()}`}, ${secret}, 0, 0)`.execute(
        app.db,
      );
    // A secret the caller knows (plaintext) would verify forged webhooks: refused.
    await assert.rejects(
      asApp([A.id], () => add(A.id, 'whsec_planted')),
      /stored sealed/,
    );
    await assert.rejects(
      asApp([A.id], () => add(B.id, sealedOfA)),
      /data scope/,
    );
    await assert.rejects(add(A.id, sealedOfA), /data scope/);
    await assert.rejects(
      asApp([A.id], () =>
        sql`select settings_reseal_webhook_secret('whs_x', 'a', 'whsec_planted')`.execute(app.db),
      ),
      /stored sealed/,
    );
    await assert.rejects(
      asApp([A.id], () => sql`select settings_update_workspace(${A.id}, '[1]')`.execute(app.db)),
      /JSON object/,
    );
    // The application's own paths still work: a rotation and a settings change of A.
    const rotated = await runtime.tenants.rotateSecret({
      workspaceId: A.id,
      overlapSeconds: 60,
      actor: ACTOR,
    });
    const active = await runtime.tenants.activeSecrets(A.id);
    assert.ok(active.some((s) => s.id === rotated.id && s.secret === rotated.secret));
    const updated = await runtime.tenants.updateSettings(
      A.id,
      { widget: { allowedOrigins: ['https://a.example'] } },
      ACTOR,
    );
    assert.deepEqual(updated.settings.widget.allowedOrigins, ['https://a.example']);
    const plaintext = await runtime.inspect
      .selectFrom('webhook_secrets')
      .select('id')
      .where('secret', 'like', 'whsec_%')
      .execute();
    assert.deepEqual(plaintext, []);
  });

  it('keeps the console account tables out of reach without a signed scope: no reading, no joining a console', async () => {
    // A victim operator of B with a session and a pending invitation, made by the application.
    const victim = await runtime.users.createUser({
      email: 'victim@b.example',
      password: 'victim password 1',
      workspaceId: B.id,
      actor: ACTOR,
    });
    await runtime.users.grantRole({ userId: victim.id, workspaceId: B.id, role: 'admin', actor: ACTOR });
    const signedIn = await runtime.users.signIn({
      email: 'victim@b.example',
      password: 'victim password 1',
      client: 'least-privilege',
    });
    await runtime.users.invite({ workspaceId: B.id, email: 'new@b.example', role: 'admin', actor: ACTOR });
    const count = async (table: string, workspaceIds: string[] = []) =>
      Number(
        (
          await asApp(workspaceIds, () =>
            sql.raw<{ n: string }>(`select count(*) as n from ${table}`).execute(app.db),
          )
        ).rows[0]?.n,
      );
    // No scope (what a session holding the role's credentials has): every account table looks empty.
    for (const table of ['users', 'user_memberships', 'user_sessions', 'user_invitations'])
      assert.equal(await count(table), 0, `${table} is readable without a scope`);
    // A's scope sees none of B's accounts either.
    for (const table of ['users', 'user_memberships', 'user_sessions', 'user_invitations'])
      assert.equal(await count(table, [A.id]), 0, `${table}: A's scope reads B's accounts`);
    assert.equal(await count('user_memberships', [B.id]), 1);

    // Adding oneself to B's console: as a workspace role, as an organisation role, with or without A's scope.
    const attacker = 'usr_attacker';
    await assert.rejects(
      sql`insert into users (id, email, name, password_hash, failed_logins, created_at, password_changed_at)
          values (${attacker}, 'attacker@x.example', 'x', 'scrypt$x', 0, 0, 0)`.execute(app.db),
      /row-level security/,
    );
    // The attacker's own account, created properly in A (an operator of A attacking B).
    const own = await runtime.users.createUser({
      email: 'attacker@a.example',
      password: 'attacker password',
      workspaceId: A.id,
      actor: ACTOR,
    });
    await runtime.users.grantRole({ userId: own.id, workspaceId: A.id, role: 'viewer', actor: ACTOR });
    const join = (workspace: string | null, org: string) =>
      sql`insert into user_memberships (user_id, workspace_id, organisation_id, role, created_at)
          values (${own.id}, ${workspace}, ${org}, 'admin', 0)`.execute(app.db);
    for (const scope of [[], [A.id]]) {
      await assert.rejects(
        asApp(scope, () => join(B.id, B.org)),
        /row-level security/,
      );
      await assert.rejects(
        asApp(scope, () => join(null, B.org)),
        /row-level security/,
      );
    }
    // In A's scope, a row naming A's workspace but B's organisation is refused too.
    await assert.rejects(
      asApp([A.id], () => join(A.id, B.org)),
      /row-level security/,
    );
    // Moving one's own membership into B: invisible without a scope, refused from A's.
    const promote = () =>
      sql`update user_memberships set workspace_id = ${B.id}, organisation_id = ${B.org}, role = 'admin'`.execute(
        app.db,
      );
    assert.equal(Number((await asApp([], promote)).numAffectedRows ?? 0), 0);
    await assert.rejects(asApp([A.id], promote), /row-level security/);
    // Rewriting the victim's account or ending their sessions: nothing visible, nothing changed.
    for (const scope of [[], [A.id]]) {
      const rewritten = await asApp(scope, () =>
        sql`update users set password_hash = 'scrypt$attacker' where id = ${victim.id}`.execute(app.db),
      );
      assert.equal(Number(rewritten.numAffectedRows ?? 0), 0);
      const ended = await asApp(scope, () =>
        sql`delete from user_sessions where user_id = ${victim.id}`.execute(app.db),
      );
      assert.equal(Number(ended.numAffectedRows ?? 0), 0);
    }
    await assert.rejects(sql`delete from users`.execute(app.db), /permission denied/);
    // A session planted for the victim in B (a cookie of the attacker's making) is refused.
    await assert.rejects(
      asApp([A.id], () =>
        sql`insert into user_sessions (id, user_id, workspace_id, created_at, last_seen_at, expires_at)
            values ('planted', ${victim.id}, ${B.id}, 0, 0, 9999999999999)`.execute(app.db),
      ),
      /row-level security/,
    );
    // Ending the victim's sessions everywhere needs a scope that reaches the victim.
    for (const scope of [[], [A.id]])
      await assert.rejects(
        asApp(scope, () => sql`select console_end_sessions(${victim.id}, null)`.execute(app.db)),
        /not reachable from this transaction's data scope/,
      );

    // The lookups made before a workspace is known return one row for one e-mail or token, never a list.
    const byEmail = await sql<{
      id: string;
    }>`select * from console_user_by_email('victim@b.example')`.execute(app.db);
    assert.deepEqual(
      byEmail.rows.map((r) => r.id),
      [victim.id],
    );
    const wildcard = await sql`select * from console_user_by_email('%')`.execute(app.db);
    assert.equal(wildcard.rows.length, 0);
    const session = await sql`select * from console_session(${'x'.repeat(43)})`.execute(app.db);
    assert.equal(session.rows.length, 0);

    // The owner's view: the victim is still B's only admin, and their session still stands.
    const members = await runtime.inspect
      .selectFrom('user_memberships')
      .select(['user_id', 'role'])
      .where('workspace_id', '=', B.id)
      .execute();
    assert.deepEqual(members, [{ user_id: victim.id, role: 'admin' }]);
    assert.ok(await runtime.users.authenticate(signedIn.token), 'the victim is still signed in');
    const account = await runtime.inspect
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', victim.id)
      .executeTakeFirstOrThrow();
    assert.notEqual(account.password_hash, 'scrypt$attacker');
  });

  it('hands out only sealed password hashes: no scrypt hash to guess offline, and none that opens on another account', async () => {
    const password = 'sealed password 1';
    for (const email of ['sealed-1@a.example', 'sealed-2@a.example']) {
      const user = await runtime.users.createUser({ email, password, workspaceId: A.id, actor: ACTOR });
      await runtime.users.grantRole({ userId: user.id, workspaceId: A.id, role: 'viewer', actor: ACTOR });
    }
    // What the role's credentials get for an e-mail address: ciphertext under the master key.
    const { rows } = await sql<{
      id: string;
      password_hash: string;
    }>`select * from console_user_by_email('sealed-1@a.example')`.execute(app.db);
    const hash = rows[0]?.password_hash ?? '';
    assert.match(hash, /^sb2\./);
    assert.ok(!hash.includes('scrypt'), hash.slice(0, 40));
    // A sealed hash is bound to its account: pasted onto another, it matches no password.
    await runtime.inspect
      .updateTable('users')
      .set({ password_hash: hash })
      .where('email', '=', 'sealed-2@a.example')
      .execute();
    await assert.rejects(
      runtime.users.signIn({ email: 'sealed-2@a.example', password, client: 'least-privilege-2' }),
      /not correct/,
    );
    const signedIn = await runtime.users.signIn({
      email: 'sealed-1@a.example',
      password,
      client: 'least-privilege-2',
    });
    assert.equal(signedIn.session.workspaceId, A.id);
  });

  it('lets the role record a failed sign-in but not clear the counter or a lock: that needs the account in the signed scope', async () => {
    const password = 'counted password 1';
    const user = await runtime.users.createUser({
      email: 'counted@a.example',
      password,
      workspaceId: A.id,
      actor: ACTOR,
    });
    await runtime.users.grantRole({ userId: user.id, workspaceId: A.id, role: 'viewer', actor: ACTOR });
    const counter = async () =>
      runtime.inspect
        .selectFrom('users')
        .select(['failed_logins', 'locked_until'])
        .where('id', '=', user.id)
        .executeTakeFirstOrThrow();
    const record = (failed: number, lockedUntil: number | null = null, scope?: string[]) => {
      const call = () =>
        sql`select console_record_sign_in(${user.id}, ${failed}, ${lockedUntil})`.execute(app.db);
      return scope ? asApp(scope, call) : call();
    };
    // What three wrong passwords over HTTP do, the role may do too: one failure at a time.
    for (const failed of [1, 2, 3]) await record(failed);
    assert.equal(Number((await counter()).failed_logins), 3);
    // Resetting the counter between guesses (to sidestep the lockout), skipping ahead, or a lock
    // for years: refused without a scope, and from another workspace's scope.
    for (const scope of [undefined, [B.id]]) {
      await assert.rejects(record(0, null, scope), /not reachable from this transaction's data scope/);
      await assert.rejects(record(40, null, scope), /not reachable/);
      await assert.rejects(record(0, Date.now() + 10 * 365 * 86_400_000, scope), /not reachable/);
    }
    assert.equal(Number((await counter()).failed_logins), 3);
    // A lock as long as the service's own (15 minutes) is what five wrong passwords do: allowed.
    await record(0, Date.now() + 15 * 60_000);
    assert.ok((await counter()).locked_until !== null);
    // The process clears it, in a scope that reaches the account, after a right password.
    await record(0, null, [A.id]);
    await record(1);
    const signedIn = await runtime.users.signIn({ email: 'counted@a.example', password, client: 'counted' });
    assert.equal(signedIn.session.workspaceId, A.id);
    assert.deepEqual(await counter(), { failed_logins: 0, locked_until: null });
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
