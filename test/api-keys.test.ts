import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createTenantsService } from '../src/tenants/index.ts';
import { useTestApp } from './support/app.ts';
import { call } from './support/http.ts';
import { DIALECTS } from './support/runtime.ts';
import { callWithSession, createOperator, signIn } from './support/session.ts';

/**
 * Issue 16: a workspace's API keys listed and revoked (`GET /v1/api-keys`,
 * `DELETE /v1/api-keys/{id}`). On PostgreSQL the runtime works as the application role, which
 * has no privilege on `api_keys`: listing and revoking go through migration 023's functions.
 */
const ACTOR = { type: 'system' as const, id: 'test' };

interface ListedKey {
  id: string;
  scope: string;
  label: string;
  createdAt: string;
  createdBy: string | null;
  createdByName: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

for (const dialect of DIALECTS) {
  describe(`API keys: list and revoke (${dialect})`, () => {
    const app = useTestApp(dialect);

    before(async () => {});

    const workspace = async (name: string) => {
      const created = await app.runtime.tenants.createWorkspace({ name, actor: ACTOR });
      return { id: created.workspace.id, adminKey: created.apiKey };
    };
    const list = async (key: string) => {
      const response = await call(app.http.app, 'GET', '/v1/api-keys', { key });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body.items as ListedKey[];
    };
    /** Revoking key `id` with `key` is refused: problem+json with `status`, naming the id and why. */
    const refusedRevoke = async (key: string, id: string | undefined, status: number, reason: string) => {
      const response = await call(app.http.app, 'DELETE', `/v1/api-keys/${id}`, { key });
      assert.equal(response.status, status, JSON.stringify(response.body));
      assert.match(String(response.headers['content-type']), /application\/problem\+json/);
      assert.deepEqual(response.body.errors, [{ field: 'path.id', reason }]);
    };

    it('lists the keys with scope, label, creator and last use, never the key or its hash', async () => {
      const ws = await workspace('Listing');
      const made = await call(app.http.app, 'POST', '/v1/api-keys', {
        key: ws.adminKey,
        body: { scope: 'ingest', label: 'web form' },
      });
      assert.equal(made.status, 201);
      const keys = await list(ws.adminKey);
      assert.equal(keys.length, 2);
      const [first, second] = keys;
      assert.equal(first?.scope, 'admin');
      assert.equal(first?.createdBy, 'system:test');
      assert.equal(first?.createdByName, null);
      assert.ok(first?.lastUsedAt, 'the admin key authenticated these requests');
      assert.deepEqual(
        { ...second, createdAt: undefined },
        {
          id: made.body.id,
          scope: 'ingest',
          label: 'web form',
          createdAt: undefined,
          createdBy: `api_key:${first?.id}`,
          createdByName: 'API key “created with the workspace”',
          lastUsedAt: null,
          revokedAt: null,
        },
      );
      const text = JSON.stringify(keys);
      assert.ok(!text.includes(made.body.key as string));
      assert.ok(!text.includes((made.body.key as string).slice(0, 14)), 'not even the prefix');
      assert.ok(!/hash/i.test(text));
    });

    it('refuses a revoked key on the next request, in this process and in another one on the same database', async () => {
      const ws = await workspace('Revoking');
      const made = await call(app.http.app, 'POST', '/v1/api-keys', {
        key: ws.adminKey,
        body: { scope: 'read', label: 'dashboard' },
      });
      const readKey = made.body.key as string;
      // A second process: its own tenants service (and whatever it keeps in memory) on the same store.
      const other = createTenantsService({
        store: app.runtime.store,
        clock: app.runtime.clock,
        ids: app.runtime.ids,
        audit: app.runtime.audit,
      });
      assert.equal((await call(app.http.app, 'GET', '/v1/leads', { key: readKey })).status, 200);
      assert.ok(await other.authenticate(readKey), 'the other process knows the key');

      const revoked = await call(app.http.app, 'DELETE', `/v1/api-keys/${made.body.id}`, {
        key: ws.adminKey,
      });
      assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
      assert.ok(revoked.body.revokedAt);

      const refused = await call(app.http.app, 'GET', '/v1/leads', { key: readKey });
      assert.equal(refused.status, 401);
      assert.match(String(refused.headers['content-type']), /application\/problem\+json/);
      assert.equal(await other.authenticate(readKey), null, 'the other process refuses it at once');

      const again = await call(app.http.app, 'DELETE', `/v1/api-keys/${made.body.id}`, { key: ws.adminKey });
      assert.equal(again.status, 200, 'revoking a revoked key answers it unchanged');
      assert.equal(again.body.revokedAt, revoked.body.revokedAt);

      const audit = await call(app.http.app, 'GET', `/v1/audit?subject=${made.body.id}`, {
        key: ws.adminKey,
      });
      const entries = audit.body.items as { action: string; actor: { type: string; id: string } }[];
      const admin = (await list(ws.adminKey)).find((k) => k.scope === 'admin');
      assert.deepEqual(
        entries.filter((e) => e.action === 'api_key.revoked').map((e) => e.actor),
        [{ type: 'api_key', id: admin?.id }],
        'audited once, with the key as actor',
      );
    });

    it("answers 404 problem+json for an unknown id and for another workspace's key", async () => {
      const mine = await workspace('Mine');
      const theirs = await workspace('Theirs');
      const theirKey = (await list(theirs.adminKey))[0]?.id;
      for (const id of [`key_${'0'.repeat(26)}`, theirKey])
        await refusedRevoke(mine.adminKey, id, 404, 'no such key in this workspace');
      assert.equal((await call(app.http.app, 'GET', '/v1/workspace', { key: theirs.adminKey })).status, 200);
      const malformed = await call(app.http.app, 'DELETE', '/v1/api-keys/not-a-key', { key: mine.adminKey });
      assert.equal(malformed.status, 400);
      assert.equal(malformed.body.errors?.[0]?.field, 'path.id');
    });

    it('refuses to revoke the last admin key of a workspace without a console admin (409), and allows it with one', async () => {
      const ws = await workspace('Last admin');
      const adminKeyId = (await list(ws.adminKey))[0]?.id;
      const ingest = await call(app.http.app, 'POST', '/v1/api-keys', {
        key: ws.adminKey,
        body: { scope: 'ingest' },
      });
      await refusedRevoke(ws.adminKey, adminKeyId, 409, 'the last way to administer the workspace');
      assert.equal((await call(app.http.app, 'GET', '/v1/workspace', { key: ws.adminKey })).status, 200);
      // A key that is not admin may go.
      assert.equal(
        (await call(app.http.app, 'DELETE', `/v1/api-keys/${ingest.body.id}`, { key: ws.adminKey })).status,
        200,
      );

      // A second admin key: the first may then be revoked, with itself.
      const second = await call(app.http.app, 'POST', '/v1/api-keys', {
        key: ws.adminKey,
        body: { scope: 'admin' },
      });
      assert.equal(
        (await call(app.http.app, 'DELETE', `/v1/api-keys/${adminKeyId}`, { key: ws.adminKey })).status,
        200,
      );
      assert.equal((await call(app.http.app, 'GET', '/v1/workspace', { key: ws.adminKey })).status, 401);

      // With a console admin, the last admin key may go; the admin revokes it as a user.
      const operator = await createOperator(app.runtime, {
        email: `admin-${ws.id.toLowerCase()}@example.com`,
        workspaceId: ws.id,
        role: 'admin',
      });
      const session = await signIn(app.http.app, operator.email, operator.password);
      const byUser = await callWithSession(app.http.app, session, 'DELETE', `/v1/api-keys/${second.body.id}`);
      assert.equal(byUser.status, 200, JSON.stringify(byUser.body));
      const audit = await callWithSession(
        app.http.app,
        session,
        'GET',
        `/v1/audit?subject=${second.body.id}`,
      );
      assert.deepEqual(
        (audit.body.items as { action: string; actor: unknown }[]).find((e) => e.action === 'api_key.revoked')
          ?.actor,
        { type: 'user', id: operator.id },
      );
      assert.equal(
        (await call(app.http.app, 'GET', '/v1/workspace', { key: second.body.key as string })).status,
        401,
      );
    });

    it('lets members and viewers neither list nor revoke keys', async () => {
      const ws = await workspace('Roles');
      const adminKeyId = (await list(ws.adminKey))[0]?.id;
      for (const role of ['member', 'viewer'] as const) {
        const user = await createOperator(app.runtime, {
          email: `${role}-${ws.id.toLowerCase()}@example.com`,
          workspaceId: ws.id,
          role,
        });
        const session = await signIn(app.http.app, user.email, user.password);
        assert.equal((await callWithSession(app.http.app, session, 'GET', '/v1/api-keys')).status, 403);
        const revoke = await callWithSession(app.http.app, session, 'DELETE', `/v1/api-keys/${adminKeyId}`);
        assert.equal(revoke.status, 403);
      }
      assert.equal((await call(app.http.app, 'GET', '/v1/workspace', { key: ws.adminKey })).status, 200);
    });
  });
}
