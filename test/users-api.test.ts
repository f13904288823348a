import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Role } from '../src/users/index.ts';
import { useTestApp } from './support/app.ts';
import { call } from './support/http.ts';
import { DIALECTS, testWorkspace } from './support/runtime.ts';
import { callWithSession, createOperator, signIn } from './support/session.ts';

const ACTOR = { type: 'system' as const, id: 'test' };

for (const dialect of DIALECTS) {
  describe(`console users and sessions (${dialect})`, () => {
    const app = useTestApp(dialect);
    let workspaceId = '';
    let apiKey = '';

    before(async () => {
      ({ workspaceId, apiKey } = await testWorkspace(app.runtime, 'Console'));
    });
    /** An account with `role` in the suite's workspace. */
    const operator = (email: string, role: Role) => createOperator(app.runtime, { email, workspaceId, role });

    it('signs in with an HttpOnly, SameSite session cookie and audits the user as actor', async () => {
      const admin = await operator('Admin@Example.com', 'admin');
      const response = await call(app.http.app, 'POST', '/v1/session', {
        body: { email: 'admin@example.com', password: admin.password },
      });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const cookie = String(response.headers['set-cookie']);
      assert.match(
        cookie,
        /^leadloop_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/,
      );
      assert.equal(response.body.role, 'admin');
      const session = await signIn(app.http.app, admin.email, admin.password);
      const rotated = await callWithSession(app.http.app, session, 'POST', '/v1/webhook-secrets/rotate', {
        overlapSeconds: 0,
      });
      assert.equal(rotated.status, 201, JSON.stringify(rotated.body));
      const audit = await call(app.http.app, 'GET', '/v1/audit?limit=50', { key: apiKey });
      const rotation = (audit.body.items as { action: string; actor: { type: string; id: string } }[]).find(
        (e) => e.action === 'webhook_secret.rotated',
      );
      assert.deepEqual(rotation?.actor, { type: 'user', id: admin.id });
      assert.ok(
        (audit.body.items as { action: string }[]).some((e) => e.action === 'user.signed_in'),
        'sign-in is audited',
      );
    });

    it('answers an unknown e-mail and a wrong password alike, and locks after 5 failures', async () => {
      const user = await operator('lock@example.com', 'member');
      const unknown = await call(app.http.app, 'POST', '/v1/session', {
        body: { email: 'nobody@example.com', password: 'whatever-long' },
      });
      const wrong = await call(app.http.app, 'POST', '/v1/session', {
        body: { email: user.email, password: 'wrong password' },
      });
      assert.equal(unknown.status, 401);
      assert.equal(wrong.status, 401);
      assert.equal(unknown.body.detail, wrong.body.detail);
      for (let i = 0; i < 4; i++)
        await call(app.http.app, 'POST', '/v1/session', {
          body: { email: user.email, password: 'wrong again' },
        });
      const locked = await call(app.http.app, 'POST', '/v1/session', {
        body: { email: user.email, password: user.password },
      });
      assert.equal(locked.status, 429, 'the right password is refused while locked');
      assert.ok(Number(locked.headers['retry-after']) > 0);
      await app.runtime.users.resetPassword({
        email: user.email,
        password: 'a brand new password',
        actor: ACTOR,
      });
      assert.equal(
        (
          await call(app.http.app, 'POST', '/v1/session', {
            body: { email: user.email, password: 'a brand new password' },
          })
        ).status,
        200,
      );
    });

    it('refuses a state-changing session request without its CSRF token', async () => {
      const user = await operator('csrf@example.com', 'admin');
      const session = await signIn(app.http.app, user.email, user.password);
      const without = await callWithSession(
        app.http.app,
        session,
        'PUT',
        '/v1/scoring/settings',
        {},
        { csrf: false },
      );
      assert.equal(without.status, 403);
      assert.equal(without.body.errors?.[0]?.field, 'header.x-csrf-token');
      const forged = await call(app.http.app, 'PUT', '/v1/scoring/settings', {
        body: {},
        headers: { cookie: session.cookie, 'x-csrf-token': 'x'.repeat(43) },
      });
      assert.equal(forged.status, 403);
      assert.equal((await callWithSession(app.http.app, session, 'GET', '/v1/leads')).status, 200);
    });

    it('lets a viewer read but not change, and a member operate but not administer', async () => {
      const viewer = await operator('viewer@example.com', 'viewer');
      const member = await operator('member@example.com', 'member');
      const asViewer = await signIn(app.http.app, viewer.email, viewer.password);
      const asMember = await signIn(app.http.app, member.email, member.password);
      assert.equal((await callWithSession(app.http.app, asViewer, 'GET', '/v1/leads')).status, 200);
      const chat = await call(app.http.app, 'POST', '/v1/chat/sessions', {
        body: { widgetKey: await widgetKey() },
      });
      const sessionId = chat.body.sessionId as string;
      const takeover = `/v1/chat/sessions/${sessionId}/takeover`;
      assert.equal(
        (await callWithSession(app.http.app, asViewer, 'POST', takeover, { agent: { id: 'v', name: 'V' } }))
          .status,
        403,
      );
      assert.equal(
        (await callWithSession(app.http.app, asMember, 'POST', takeover, { agent: { id: 'm', name: 'M' } }))
          .status,
        200,
      );
      assert.equal(
        (
          await callWithSession(app.http.app, asMember, 'POST', '/v1/webhook-secrets/rotate', {
            overlapSeconds: 0,
          })
        ).status,
        403,
      );
    });

    it('ends every session on sign-out everywhere, and other sessions on a password change', async () => {
      const user = await operator('multi@example.com', 'member');
      const laptop = await signIn(app.http.app, user.email, user.password);
      const phone = await signIn(app.http.app, user.email, user.password);
      const changed = await callWithSession(app.http.app, laptop, 'PUT', '/v1/session/password', {
        currentPassword: user.password,
        newPassword: 'another long password',
      });
      assert.equal(changed.status, 204, JSON.stringify(changed.body));
      assert.equal((await callWithSession(app.http.app, phone, 'GET', '/v1/session')).status, 401);
      assert.equal((await callWithSession(app.http.app, laptop, 'GET', '/v1/session')).status, 200);
      const tablet = await signIn(app.http.app, user.email, 'another long password');
      const ended = await callWithSession(app.http.app, laptop, 'POST', '/v1/session/sign-out-everywhere');
      assert.equal(ended.body.ended, 2);
      assert.equal((await callWithSession(app.http.app, tablet, 'GET', '/v1/leads')).status, 401);
      assert.equal((await callWithSession(app.http.app, laptop, 'GET', '/v1/leads')).status, 401);
    });

    it('invites by a single-use link that creates the account with the invited role', async () => {
      const admin = await operator('inviter@example.com', 'admin');
      const session = await signIn(app.http.app, admin.email, admin.password);
      const invited = await callWithSession(app.http.app, session, 'POST', '/v1/users/invitations', {
        email: 'new@example.com',
        role: 'viewer',
      });
      assert.equal(invited.status, 201, JSON.stringify(invited.body));
      assert.match(invited.body.link as string, /^\/app\/invitation#/);
      const accept = { token: invited.body.token, name: 'New Person', password: 'a good long password' };
      assert.equal(
        (await call(app.http.app, 'POST', '/v1/users/invitations/accept', { body: accept })).status,
        201,
      );
      assert.equal(
        (await call(app.http.app, 'POST', '/v1/users/invitations/accept', { body: accept })).status,
        404,
      );
      const newcomer = await signIn(app.http.app, 'new@example.com', 'a good long password');
      assert.equal(newcomer.body.role, 'viewer');
      const list = await callWithSession(app.http.app, newcomer, 'GET', '/v1/users');
      assert.ok((list.body.items as { email: string }[]).some((u) => u.email === 'inviter@example.com'));
    });

    it('keeps API keys working beside sessions', async () => {
      assert.equal((await call(app.http.app, 'GET', '/v1/leads', { key: apiKey })).status, 200);
      assert.equal((await call(app.http.app, 'GET', '/v1/leads')).status, 401);
    });

    async function widgetKey() {
      const row = await app.runtime.inspect
        .selectFrom('widget_keys')
        .select('key')
        .where('workspace_id', '=', workspaceId)
        .executeTakeFirstOrThrow();
      return row.key;
    }
  });
}
