import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { masterKeyId } from '../src/core/index.ts';
import { spawnCli } from './support/cli.ts';

/**
 * Issue 12: `leadloop audit reseal` and `leadloop master-key rotate`, run as the operator runs
 * them (a spawned CLI) against a temporary SQLite data directory and a temporary PostgreSQL
 * database (the CLI working as the application role): exit codes, output and effects.
 */
const OLD_KEY = Buffer.alloc(32, 3);
const NEW_KEY = Buffer.alloc(32, 4);

interface Target {
  env: Record<string, string>;
  /** Runs SQL as the database's owner (who can do what the application's role cannot). */
  exec(statement: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
}

function cli(target: Target, args: string[], keys: { current: Buffer; previous?: Buffer }) {
  return spawnCli(args, {
    ...target.env,
    LEADLOOP_MASTER_KEY: keys.current.toString('base64'),
    LEADLOOP_PREVIOUS_MASTER_KEYS: keys.previous?.toString('base64') ?? '',
  });
}

function scenario(name: string, setup: () => Promise<Target>, teardown: () => Promise<void>, skip?: string) {
  describe(`audit reseal and master-key rotate from the CLI (${name})`, { skip: skip ?? false }, () => {
    let target: Target;
    const ws = { A: '', B: '' };
    const old = { current: OLD_KEY };
    const both = { current: NEW_KEY, previous: OLD_KEY };
    const nullMacs = async (workspaceId: string) =>
      Number(
        (
          await target.exec('select count(*) as n from audit_log where workspace_id = $1 and mac is null', [
            workspaceId,
          ])
        )[0]?.n,
      );

    before(async () => {
      target = await setup();
      for (const side of ['A', 'B'] as const) {
        const created = cli(target, ['workspace', 'create', `CLI ${side}`, '--json'], old);
        assert.equal(created.status, 0, created.stderr);
        ws[side] = (JSON.parse(created.stdout) as { workspaceId: string }).workspaceId;
      }
    });
    after(teardown);

    it('reseals a chain whose entries lost their MACs, refuses a tampered one and changes nothing there', async () => {
      const usage = cli(target, ['audit', 'reseal'], old);
      assert.equal(usage.status, 1);
      assert.match(usage.stderr, /--workspace <id> or --all/);

      // Entries without MACs (as written before migration 010): verify calls them forged.
      await target.exec('update audit_log set mac = null where workspace_id = $1', [ws.A]);
      const stripped = await nullMacs(ws.A);
      assert.ok(stripped >= 1);
      const before = cli(target, ['audit', 'verify', '--workspace', ws.A, '--json'], old);
      assert.equal(before.status, 3, before.stdout + before.stderr);
      assert.ok(
        (JSON.parse(before.stdout) as { problems: { kind: string }[] }).problems.some(
          (p) => p.kind === 'forged',
        ),
      );

      const resealed = cli(target, ['audit', 'reseal', '--workspace', ws.A, '--json'], old);
      assert.equal(resealed.status, 0, resealed.stdout + resealed.stderr);
      const [result] = JSON.parse(resealed.stdout) as { ok: boolean; sealed: number; upTo: number }[];
      assert.equal(result?.ok, true);
      assert.equal(result?.sealed, stripped);
      assert.equal(await nullMacs(ws.A), 0);
      const after = cli(target, ['audit', 'verify', '--workspace', ws.A], old);
      assert.equal(after.status, 0, after.stdout + after.stderr);
      assert.match(after.stdout, /sealed since/);
      // A second reseal has nothing to do.
      const again = cli(target, ['audit', 'reseal', '--workspace', ws.A], old);
      assert.equal(again.status, 0);
      assert.match(again.stdout, /nothing to seal/);

      // B: MACs gone and an entry edited. Sealing it would vouch for the edit: refused, exit 3.
      await target.exec('update audit_log set mac = null where workspace_id = $1', [ws.B]);
      await target.exec("update audit_log set reason = 'rewritten' where workspace_id = $1 and seq = 1", [
        ws.B,
      ]);
      const strippedB = await nullMacs(ws.B);
      const refused = cli(target, ['audit', 'reseal', '--workspace', ws.B], old);
      assert.equal(refused.status, 3, refused.stdout + refused.stderr);
      assert.match(refused.stdout, /NOT resealed, the chain does not verify/);
      assert.match(refused.stdout, /#1 edited/);
      assert.equal(await nullMacs(ws.B), strippedB, 'a refused reseal wrote MACs');
    });

    it('re-seals every secret under the new key, then has nothing to do; old audit MACs verify only while the old key is listed', async () => {
      const alone = cli(target, ['master-key', 'rotate'], { current: NEW_KEY });
      assert.equal(alone.status, 1);
      assert.match(alone.stderr, /LEADLOOP_PREVIOUS_MASTER_KEYS/);

      const rotated = cli(target, ['master-key', 'rotate', '--json'], both);
      assert.equal(rotated.status, 0, rotated.stdout + rotated.stderr);
      const columns = (JSON.parse(rotated.stdout) as { columns: { table: string; resealed: number }[] })
        .columns;
      assert.equal(columns.find((c) => c.table === 'webhook_secrets')?.resealed, 2);
      const secrets = await target.exec('select secret from webhook_secrets');
      assert.equal(secrets.length, 2);
      for (const { secret } of secrets)
        assert.match(String(secret), new RegExp(`^sb2\\.${masterKeyId(NEW_KEY)}\\.`));

      const rerun = cli(target, ['master-key', 'rotate'], both);
      assert.equal(rerun.status, 0, rerun.stderr);
      assert.match(rerun.stdout, /webhook_secrets\.secret: 0 re-sealed, 2 already under the current key/);

      // The audit trail of A was MAC'd under the old key: it verifies with it listed, not without.
      assert.equal(cli(target, ['audit', 'verify', '--workspace', ws.A], both).status, 0);
      const forgetful = cli(target, ['audit', 'verify', '--workspace', ws.A, '--json'], { current: NEW_KEY });
      assert.equal(forgetful.status, 3);
      assert.ok(
        (JSON.parse(forgetful.stdout) as { problems: { kind: string }[] }).problems.every(
          (p) => p.kind === 'forged',
        ),
      );
    });
  });
}

let dataDir = '';
scenario(
  'SQLite',
  async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'leadloop-cli-keys-'));
    return {
      env: { LEADLOOP_DATA_DIR: dataDir },
      async exec(statement, params = []) {
        const db = new DatabaseSync(join(dataDir, 'leadloop.db'));
        try {
          const sqlite = statement.replaceAll(/\$\d+/g, '?');
          const prepared = db.prepare(sqlite);
          if (/^\s*select/i.test(statement))
            return prepared.all(...(params as string[])) as Record<string, unknown>[];
          prepared.run(...(params as string[]));
          return [];
        } finally {
          db.close();
        }
      },
    };
  },
  async () => rmSync(dataDir, { recursive: true, force: true }),
);

const postgresUrl = process.env.TEST_DATABASE_URL;
const database = `leadloop_cli_${randomBytes(4).toString('hex')}`;
let owner: pg.Client | null = null;
scenario(
  'PostgreSQL',
  async () => {
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    await admin.query(`create database ${database}`);
    await admin.end();
    const url = new URL(postgresUrl as string);
    url.pathname = `/${database}`;
    const ownerUrl = url.toString();
    url.username = 'leadloop_app';
    url.password = '';
    owner = new pg.Client({ connectionString: ownerUrl });
    await owner.connect();
    const client = owner;
    dataDir = mkdtempSync(join(tmpdir(), 'leadloop-cli-keys-pg-'));
    return {
      // The CLI works as the application's role; the owner's URL only migrates and grants.
      env: { DATABASE_URL: url.toString(), DATABASE_OWNER_URL: ownerUrl, LEADLOOP_DATA_DIR: dataDir },
      async exec(statement, params = []) {
        return (await client.query(statement, params)).rows;
      },
    };
  },
  async () => {
    await owner?.end();
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  },
  postgresUrl ? undefined : 'TEST_DATABASE_URL is not set',
);
