import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../src/config/index.ts';
import { banner, ensureDemoWorkspace } from '../src/main/demo.ts';
import { createRuntime } from '../src/main/runtime.ts';
import { useTempDir } from './support/app.ts';
import { cliIn, cliWorkspace } from './support/cli.ts';
import { call } from './support/http.ts';

describe('leadloop user (CLI) and the demo admin', () => {
  const data = useTempDir('leadloop-users-');
  const cli = cliIn(data);

  it('creates the demo admin on first run, prints the sign-in and keeps it in demo-credentials.json', async () => {
    const runtime = await createRuntime(loadConfig({ LEADLOOP_DATA_DIR: data.path, LOG_LEVEL: 'silent' }), {
      logger: pino({ level: 'silent' }),
    });
    try {
      const demo = await ensureDemoWorkspace(runtime, data.path);
      assert.ok(demo?.adminEmail && demo.adminPassword);
      const file = join(data.path, 'demo-credentials.json');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
      assert.equal(saved.adminPassword, demo.adminPassword);
      const text = banner('http://127.0.0.1:3000', 'x', demo);
      assert.match(text, /Console: http:\/\/127\.0\.0\.1:3000\/app/);
      assert.ok(text.includes(demo.adminPassword));
      const http = await runtime.createHttp({ demo });
      const signedIn = await call(http.app, 'POST', '/v1/session', {
        body: { email: demo.adminEmail, password: demo.adminPassword },
      });
      assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
      assert.equal(signedIn.body.organisationRole, 'admin');
      await http.app.close();
      // A second start finds the same credentials.
      assert.deepEqual(await ensureDemoWorkspace(runtime, data.path), demo);
    } finally {
      await runtime.close();
    }
  });

  it('creates, lists, invites and resets accounts', () => {
    const workspace = cliWorkspace(data.path, 'Sales');
    const created = cli([
      'user',
      'create',
      'rep@example.com',
      '--workspace',
      workspace.workspaceId,
      '--role',
      'viewer',
      '--json',
    ]);
    assert.equal(created.status, 0, created.stderr);
    const user = JSON.parse(created.stdout) as Record<string, string>;
    assert.equal(user.role, 'viewer');
    assert.ok((user.password ?? '').length >= 10);
    const listed = cli(['user', 'list', '--workspace', workspace.workspaceId]);
    assert.match(listed.stdout, /rep@example\.com {2}viewer/);
    const invited = cli([
      'user',
      'invite',
      'new@example.com',
      '--workspace',
      workspace.workspaceId,
      '--json',
    ]);
    assert.match(
      (JSON.parse(invited.stdout) as { link: string }).link,
      /\/app\/invitation#[A-Za-z0-9_-]{43}$/,
    );
    const reset = cli(['user', 'reset', 'rep@example.com', '--json']);
    assert.notEqual((JSON.parse(reset.stdout) as { password: string }).password, user.password);
    const bad = cli(['user', 'create', 'x@example.com']);
    assert.notEqual(bad.status, 0);
  });
});
