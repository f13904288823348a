import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pino from 'pino';
import { loadConfig } from '../src/config/index.ts';
import { createSecretBox, inWorkspace, masterKeyId, withDataScope } from '../src/core/index.ts';
import { createRuntime, type Runtime } from '../src/main/runtime.ts';
import { unsubscribeLinks } from '../src/main/workflow-wiring.ts';
import { createStore, type Store } from '../src/store/index.ts';
import { hashPassword } from '../src/users/passwords.ts';
import {
  appRoleUrl,
  createTestRuntime,
  DIALECTS,
  TEST_MASTER_KEY,
  TEST_MASTER_KEY_BYTES,
  type TestRuntime,
} from './support/runtime.ts';

/**
 * Issue 12: master-key rotation. A second key takes over sealing while the first still opens
 * what it sealed; `rotateMasterKey` re-seals every value, a crash halfway leaves every value
 * readable, a second run finishes, a third changes nothing, and afterwards the new key alone
 * opens everything. The audit trail MAC'd with the old key verifies while it is configured.
 */
const ACTOR = { type: 'system' as const, id: 'rotation-test' };
const NEW_KEY = Buffer.alloc(32, 9);

for (const dialect of DIALECTS) {
  describe(`master-key rotation (${dialect})`, () => {
    let first: TestRuntime;
    let dir = '';
    const workspaces: string[] = [];
    /** The database as its owner sees it (on SQLite a second handle on the file: the runtime closes). */
    let inspect: Store | null = null;
    const db = () => inspect?.db ?? first.inspect;
    const LEAD = `lead_01JQ${'0'.repeat(22)}`;
    const oldMaterial = { hookSecret: '', preference: '', unsubscribe: '', suppression: '' };

    /** A runtime on the same database with `key` current and `previous` kept. */
    async function reopen(key: Buffer, previous: Buffer[]): Promise<Runtime> {
      const { rows } =
        dialect === 'postgres'
          ? await sql<{ schema: string }>`select current_schema() as schema`.execute(db())
          : { rows: [] };
      const config = loadConfig({
        LOG_LEVEL: 'silent',
        LEADLOOP_DATA_DIR: dir,
        LEADLOOP_MASTER_KEY: key.toString('base64'),
        ...(previous.length > 0
          ? { LEADLOOP_PREVIOUS_MASTER_KEYS: previous.map((k) => k.toString('base64')).join(',') }
          : {}),
        ...(dialect === 'postgres'
          ? { DATABASE_OWNER_URL: process.env.TEST_DATABASE_URL as string, DATABASE_URL: appRoleUrl() }
          : {}),
      });
      return createRuntime(config, {
        logger: pino({ level: 'silent' }),
        ...(dialect === 'postgres'
          ? { postgresSchema: rows[0]?.schema as string }
          : { sqliteFile: join(dir, 'leadloop.db') }),
      });
    }

    /** Every sealed value of the rotated columns, with its context. */
    async function sealedValues(): Promise<{ value: string; context: string }[]> {
      const secrets = await db()
        .selectFrom('webhook_secrets')
        .select(['id', 'workspace_id', 'secret'])
        .execute();
      const credentials = await db()
        .selectFrom('workflow_credentials')
        .select(['workspace_id', 'name', 'sealed'])
        .execute();
      const hooks = await db()
        .selectFrom('workflow_hooks')
        .select(['workspace_id', 'path', 'sealed_secret'])
        .execute();
      return [
        ...hooks.map((h) => ({
          value: h.sealed_secret,
          context: `workflow-hook:${h.workspace_id}:${h.path}`,
        })),
        ...secrets.map((s) => ({ value: s.secret, context: `webhook-secret:${s.workspace_id}:${s.id}` })),
        ...credentials.map((c) => ({
          value: c.sealed,
          context: `workflow-credential:${c.workspace_id}:${c.name}`,
        })),
      ];
    }

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'leadloop-rotation-'));
      first = await createTestRuntime(dialect, {
        ...(dialect === 'sqlite' ? { sqliteFile: join(dir, 'leadloop.db') } : {}),
        config: { LEADLOOP_DATA_DIR: dir, LEADLOOP_MASTER_KEY: TEST_MASTER_KEY },
      });
      for (const name of ['A', 'B', 'C']) {
        const { workspace } = await first.tenants.createWorkspace({ name, actor: ACTOR });
        workspaces.push(workspace.id);
        await inWorkspace(workspace.id, () =>
          first.workflows.transaction((db) =>
            first.workflows.credentials.put(db, { workspaceId: workspace.id }, 'crm', {
              kind: 'bearer_token',
              token: `token-of-${name}`,
            }),
          ),
        );
      }
      // Material made under the old key that outlives the rotation: an inbound hook's sealed
      // secret, links already in mailboxes, and a suppression entry (a one-way hash).
      const ws = workspaces[0] as string;
      const hookWorkflow = { triggers: [{ type: 'webhook', path: 'rotation-hook' }] };
      await inWorkspace(ws, () =>
        first.workflows.transaction((db) =>
          // Only the triggers matter to the hook store; the rest of a workflow is not read.
          first.workflows.hooks.sync(db, { workspaceId: ws }, 'wf_rotation', hookWorkflow as never),
        ),
      );
      oldMaterial.hookSecret = (
        await inWorkspace(ws, () =>
          first.workflows.read((db) => first.workflows.hooks.find(db, { workspaceId: ws }, 'rotation-hook')),
        )
      )?.secret as string;
      oldMaterial.preference = first.privacy.tokens.issue(
        { workspaceId: ws, leadId: LEAD },
        86_400_000,
      ).token;
      oldMaterial.unsubscribe = unsubscribeLinks(TEST_MASTER_KEY_BYTES).token(ws, LEAD);
      oldMaterial.suppression = first.privacy.keys.suppressionHash(
        { workspaceId: ws, organisationId: 'unused by the hash' },
        'email',
        'gone@example.com',
      );
      await first.close();
      if (dialect === 'sqlite') inspect = createStore({ sqliteFile: join(dir, 'leadloop.db') });
    });
    after(async () => {
      await inspect?.destroy();
      await first.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    it('re-seals every secret under the new key; a crash halfway leaves all readable; reruns finish and then do nothing', async () => {
      const before = await sealedValues();
      assert.equal(before.length, 7);
      const oldId = masterKeyId(TEST_MASTER_KEY_BYTES);
      const rotating = await reopen(NEW_KEY, [Buffer.from(TEST_MASTER_KEY_BYTES)]);
      try {
        let done = 0;
        await assert.rejects(
          rotating.rotateMasterKey({
            afterValue: () => {
              if (++done === 2) throw new Error('killed halfway');
            },
          }),
          /killed halfway/,
        );
        const halfway = await sealedValues();
        const both = createSecretBox(NEW_KEY, [TEST_MASTER_KEY_BYTES]);
        for (const { value, context } of halfway) assert.doesNotThrow(() => both.open(value, context));
        const underNew = halfway.filter((v) => both.isCurrent(v.value)).length;
        assert.equal(underNew, 2, 'two values re-sealed before the crash, the rest untouched');
        // The services keep working mid-rotation: webhook secrets and credentials open.
        for (const ws of workspaces) {
          assert.equal((await rotating.tenants.activeSecrets(ws)).length, 1);
          const token = await inWorkspace(ws, () =>
            rotating.workflows.read((db) =>
              rotating.workflows.credentials.reveal(db, { workspaceId: ws }, 'crm', 'bearer_token'),
            ),
          );
          assert.match(String(token?.token), /^token-of-/);
        }

        const finished = await rotating.rotateMasterKey();
        const total = (key: 'resealed' | 'current') => finished.columns.reduce((n, c) => n + c[key], 0);
        assert.equal(total('resealed'), 5);
        assert.equal(total('current'), 2);
        const again = await rotating.rotateMasterKey();
        assert.equal(
          again.columns.reduce((n, c) => n + c.resealed, 0),
          0,
          'idempotent',
        );

        const after = await sealedValues();
        const onlyNew = createSecretBox(NEW_KEY);
        const onlyOld = createSecretBox(TEST_MASTER_KEY_BYTES);
        for (const { value, context } of after) {
          assert.doesNotThrow(() => onlyNew.open(value, context));
          assert.throws(() => onlyOld.open(value, context), new RegExp(masterKeyId(NEW_KEY)));
          assert.ok(!value.includes(oldId));
        }

        // Audit entries MAC'd with the old key verify while it stays configured.
        const verified = await withDataScope({ kind: 'workspaces', workspaceIds: workspaces }, () =>
          rotating.audit.verify(),
        );
        assert.deepEqual(verified.problems, []);
      } finally {
        await rotating.close();
      }
      // Without the old key, they no longer do: the documented reason to keep it listed.
      const forgetful = await reopen(NEW_KEY, []);
      try {
        const verified = await withDataScope({ kind: 'workspaces', workspaceIds: workspaces }, () =>
          forgetful.audit.verify(),
        );
        assert.ok(verified.problems.some((p) => p.kind === 'forged'));
        assert.equal((await forgetful.tenants.activeSecrets(workspaces[0] as string)).length, 1);
      } finally {
        await forgetful.close();
      }
    });

    it('keeps links, hook secrets and suppressions made under the old key working while it is listed', async () => {
      const ws = workspaces[0] as string;
      const ctx = { workspaceId: ws, organisationId: 'unused by the hash' };
      const rotated = await reopen(NEW_KEY, [Buffer.from(TEST_MASTER_KEY_BYTES)]);
      try {
        assert.equal(rotated.privacy.tokens.verify(oldMaterial.preference).ok, true);
        assert.equal(rotated.workflows.verifyUnsubscribe(ws, LEAD, oldMaterial.unsubscribe), true);
        // New links are signed with the new key, and the lookup hashes include the old pepper's.
        assert.notEqual(unsubscribeLinks(NEW_KEY).token(ws, LEAD), oldMaterial.unsubscribe);
        assert.notEqual(
          rotated.privacy.keys.suppressionHash(ctx, 'email', 'gone@example.com'),
          oldMaterial.suppression,
        );
        assert.ok(
          rotated.privacy.keys
            .suppressionHashes(ctx, 'email', 'gone@example.com')
            .includes(oldMaterial.suppression),
        );
      } finally {
        await rotated.close();
      }
      // The hook's secret was re-sealed by the rotation: the new key alone opens it, unchanged.
      // Links and suppression hashes cannot be re-keyed; without the old key they stop matching.
      const alone = await reopen(NEW_KEY, []);
      try {
        const hook = await inWorkspace(ws, () =>
          alone.workflows.read((db) => alone.workflows.hooks.find(db, ctx, 'rotation-hook')),
        );
        assert.equal(hook?.secret, oldMaterial.hookSecret);
        assert.equal(alone.privacy.tokens.verify(oldMaterial.preference).ok, false);
        assert.equal(alone.workflows.verifyUnsubscribe(ws, LEAD, oldMaterial.unsubscribe), false);
        assert.ok(
          !alone.privacy.keys
            .suppressionHashes(ctx, 'email', 'gone@example.com')
            .includes(oldMaterial.suppression),
        );
      } finally {
        await alone.close();
      }
    });

    it('shuts the old key out of every chain past a checkpoint signed after the rotation', async () => {
      const ws = workspaces[1] as string;
      const scope = <T>(fn: () => Promise<T>) =>
        withDataScope({ kind: 'workspaces', workspaceIds: [ws] }, fn);
      const rotated = await reopen(NEW_KEY, [Buffer.from(TEST_MASTER_KEY_BYTES)]);
      try {
        const checkpoint = await scope(() => rotated.audit.checkpoint());
        // The new key appends after the checkpoint: sound.
        await rotated.tenants.rotateSecret({ workspaceId: ws, overlapSeconds: 60, actor: ACTOR });
        assert.deepEqual(
          (await scope(() => rotated.audit.verify({ workspaceId: ws, checkpoint }))).problems,
          [],
        );
        // Someone still holding the old key (it leaked: the reason to rotate) appends a valid-looking entry.
        const leaked = await reopen(Buffer.from(TEST_MASTER_KEY_BYTES), []);
        try {
          await leaked.tenants.rotateSecret({ workspaceId: ws, overlapSeconds: 60, actor: ACTOR });
        } finally {
          await leaked.close();
        }
        // Without a checkpoint the old key, still listed, vouches for it; past the checkpoint it does not.
        assert.deepEqual((await scope(() => rotated.audit.verify({ workspaceId: ws }))).problems, []);
        const verified = await scope(() => rotated.audit.verify({ workspaceId: ws, checkpoint }));
        const forged = verified.problems.filter((p) => p.kind === 'forged');
        assert.ok(forged.length >= 2, JSON.stringify(verified.problems));
        const last = await db()
          .selectFrom('audit_heads')
          .select('seq')
          .where('workspace_id', '=', ws)
          .executeTakeFirstOrThrow();
        assert.ok(forged.some((p) => p.seq === Number(last.seq) && p.id !== null));
        assert.ok(
          forged.some((p) => p.id === null),
          'the head moved by the old key is named too',
        );
      } finally {
        await rotated.close();
      }
    });

    it('seals console password hashes: clear ones when the process starts, old-key ones in the rotation', async () => {
      const ws = workspaces[2] as string;
      const password = 'a long enough password';
      const emails = ['sealed@c.example', 'clear@c.example'];
      const old = await reopen(Buffer.from(TEST_MASTER_KEY_BYTES), []);
      try {
        for (const email of emails) {
          const user = await old.users.createUser({ email, password, workspaceId: ws, actor: ACTOR });
          await old.users.grantRole({ userId: user.id, workspaceId: ws, role: 'admin', actor: ACTOR });
        }
      } finally {
        await old.close();
      }
      const stored = async (email: string) =>
        (
          await db()
            .selectFrom('users')
            .select('password_hash')
            .where('email', '=', email)
            .executeTakeFirstOrThrow()
        ).password_hash;
      const sealed = await stored('sealed@c.example');
      assert.match(sealed, /^sb2\./);
      assert.ok(!sealed.includes('scrypt'), 'the scrypt hash is not readable in the row');
      // An account from before hashes were sealed keeps its hash in the clear until the next start.
      await db()
        .updateTable('users')
        .set({ password_hash: await hashPassword(password) })
        .where('email', '=', 'clear@c.example')
        .execute();
      const rotating = await reopen(NEW_KEY, [Buffer.from(TEST_MASTER_KEY_BYTES)]);
      try {
        const onlyNew = createSecretBox(NEW_KEY);
        assert.ok(onlyNew.isCurrent(await stored('clear@c.example')), 'sealed when the process started');
        assert.ok(!onlyNew.isCurrent(await stored('sealed@c.example')), 'still under the old key');
        const rotation = await rotating.rotateMasterKey();
        assert.deepEqual(
          rotation.columns.find((c) => c.table === 'users'),
          { table: 'users', column: 'password_hash', resealed: 1, current: 1 },
        );
        assert.ok(onlyNew.isCurrent(await stored('sealed@c.example')));
      } finally {
        await rotating.close();
      }
      // The new key alone opens both: they sign in, a wrong password still fails.
      const alone = await reopen(NEW_KEY, []);
      try {
        for (const email of emails) {
          const signedIn = await alone.users.signIn({ email, password, client: `rotation-${dialect}` });
          assert.equal(signedIn.session.workspaceId, ws);
        }
        await assert.rejects(
          alone.users.signIn({ email: emails[0] as string, password: 'not the password', client: 'x' }),
          /not correct/,
        );
      } finally {
        await alone.close();
      }
    });
  });
}
