import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createSecretBox, withDataScope } from '../src/core/index.ts';
import { useTestApp } from './support/app.ts';
import { sendWebhook } from './support/http.ts';
import { DIALECTS } from './support/runtime.ts';

/** Issue 12, finding 5: webhook secrets were stored in plaintext, readable to anyone with the rows. */
const ACTOR = { type: 'system' as const, id: 'secrets-test' };
const lead = { email: 'sam@acme.example.com', title: 'CEO', company: 'Acme' };

it('refuses a sealed value whose authentication tag was cut to 4 bytes', () => {
  const box = createSecretBox(Buffer.alloc(32, 1));
  const sealed = box.seal('whsec_abc', 'ctx');
  const parts = sealed.split('.');
  const tag = Buffer.from(parts[4] as string, 'base64url')
    .subarray(0, 4)
    .toString('base64url');
  assert.throws(() => box.open([...parts.slice(0, 4), tag].join('.'), 'ctx'));
});

for (const dialect of DIALECTS) {
  describe(`webhook secrets at rest (${dialect})`, () => {
    const app = useTestApp(dialect);
    const A = { id: '', secret: '' };
    const B = { id: '', secret: '' };

    before(async () => {
      for (const [side, name] of [
        [A, 'A'],
        [B, 'B'],
      ] as const) {
        const created = await app.runtime.tenants.createWorkspace({ name, actor: ACTOR });
        Object.assign(side, { id: created.workspace.id, secret: created.webhookSecret });
      }
      await app.runtime.tenants.rotateSecret({ workspaceId: A.id, overlapSeconds: 60, actor: ACTOR });
    });

    it('stores no webhook secret in plaintext, and still verifies webhooks with it', async () => {
      const rows = await app.runtime.inspect.selectFrom('webhook_secrets').select('secret').execute();
      assert.ok(rows.length >= 3);
      assert.ok(
        rows.every((r) => !r.secret.includes('whsec_')),
        'a plaintext secret in the table',
      );
      // A's current secret (after the rotation) is sealed too, and verifies.
      const current = (await app.runtime.tenants.activeSecrets(A.id))[0]?.secret as string;
      assert.match(current, /^whsec_/);
      assert.equal((await sendWebhook(app.http.app, A.id, current, lead)).status, 202);
    });

    it('does not open a secret row copied into another workspace', async () => {
      const stolen = await app.runtime.inspect
        .selectFrom('webhook_secrets')
        .selectAll()
        .where('workspace_id', '=', A.id)
        .where('expires_at', 'is', null)
        .executeTakeFirstOrThrow();
      // A's sealed secret pasted into B's row.
      await app.runtime.inspect
        .updateTable('webhook_secrets')
        .set({ secret: stolen.secret })
        .where('workspace_id', '=', B.id)
        .execute();
      // B's secrets were never read before, so nothing is cached: the copied row is all there is.
      const secrets = await withDataScope({ kind: 'workspaces', workspaceIds: [B.id] }, () =>
        app.runtime.tenants.activeSecrets(B.id),
      );
      assert.deepEqual(secrets, [], 'the copied row opened in another workspace');
      const current = (await app.runtime.tenants.activeSecrets(A.id))[0]?.secret as string;
      const answer = await sendWebhook(app.http.app, B.id, current, lead);
      assert.equal(answer.status, 401, JSON.stringify(answer.body));
    });
  });
}
