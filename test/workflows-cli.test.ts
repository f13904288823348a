import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const root = join(import.meta.dirname, '..');
const KEY = Buffer.alloc(32, 3).toString('base64');
const cli = (args: string[]) =>
  spawnSync(process.execPath, [join(root, 'src/main/cli.ts'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'warn', LEADLOOP_SECRET_KEY: KEY },
  });

describe('leadloop workflows (CLI, SQLite)', () => {
  let dir: string;
  let workspaceId: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'leadloop-wf-cli-'));
    const created = cli(['workspace', 'create', 'Ops', '--org', 'Acme', '--data-dir', dir, '--json']);
    assert.equal(created.status, 0, created.stderr);
    workspaceId = (JSON.parse(created.stdout) as { workspaceId: string }).workspaceId;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('imports an n8n folder (a non-n8n file reported, not a crash), lists, shows, activates and lists runs', () => {
    const folder = join(dir, 'n8n');
    mkdirSync(folder);
    writeFileSync(
      join(folder, 'ok.json'),
      JSON.stringify({
        name: 'Inbound to Slack',
        nodes: [
          {
            id: 'a',
            name: 'Hook',
            type: 'n8n-nodes-base.webhook',
            typeVersion: 2,
            position: [0, 0],
            parameters: { path: 'lead', httpMethod: 'POST' },
          },
          {
            id: 'b',
            name: 'Nothing',
            type: 'n8n-nodes-base.noOp',
            typeVersion: 1,
            position: [200, 0],
            parameters: {},
          },
        ],
        connections: { Hook: { main: [[{ node: 'Nothing', type: 'main', index: 0 }]] } },
      }),
    );
    writeFileSync(join(folder, 'notes.json'), JSON.stringify({ hello: 'not a workflow' }));
    writeFileSync(join(folder, 'broken.json'), '{ not json');

    const dry = cli([
      'workflows',
      'import',
      '--from',
      'n8n',
      folder,
      '--dry-run',
      '--json',
      '--data-dir',
      dir,
    ]);
    assert.equal(dry.status, 0, dry.stderr);
    const summary = JSON.parse(dry.stdout) as {
      files: number;
      parsed: number;
      fullyMapped: number;
      nodes: number;
      mappedNodes: number;
      unmapped: Record<string, number>;
      stored: number;
    };
    assert.equal(summary.files, 3);
    assert.equal(summary.parsed, 1);
    assert.equal(summary.stored, 0);
    assert.ok(
      'nodes' in summary && 'mappedNodes' in summary && 'unmapped' in summary && 'fullyMapped' in summary,
    );

    const imported = cli([
      'workflows',
      'import',
      '--from',
      'n8n',
      folder,
      '--workspace',
      workspaceId,
      '--json',
      '--data-dir',
      dir,
    ]);
    assert.equal(imported.status, 0, imported.stderr);
    assert.equal((JSON.parse(imported.stdout) as { stored: number }).stored, 1);

    const listed = cli(['workflows', 'list', '--workspace', workspaceId, '--json', '--data-dir', dir]);
    assert.equal(listed.status, 0, listed.stderr);
    const items = (JSON.parse(listed.stdout) as { items: { id: string; name: string; status: string }[] })
      .items;
    assert.equal(items.length, 1);
    assert.equal(items[0]?.name, 'Inbound to Slack');
    const id = items[0]?.id as string;

    const shown = cli(['workflows', 'show', id, '--workspace', workspaceId, '--json', '--data-dir', dir]);
    assert.equal(shown.status, 0, shown.stderr);
    assert.equal(
      (JSON.parse(shown.stdout) as { definition: { triggers: { type: string }[] } }).definition.triggers[0]
        ?.type,
      'webhook',
    );

    const activated = cli(['workflows', 'activate', id, '--workspace', workspaceId, '--data-dir', dir]);
    assert.equal(activated.status, 0, activated.stdout + activated.stderr);
    assert.match(activated.stdout, /is active/);

    const runs = cli(['workflows', 'runs', id, '--workspace', workspaceId, '--json', '--data-dir', dir]);
    assert.equal(runs.status, 0, runs.stderr);
    assert.deepEqual((JSON.parse(runs.stdout) as { items: unknown[] }).items, []);
  });

  it('verify exits 1 with the findings for an unguarded marketing e-mail', () => {
    const file = join(dir, 'unguarded.json');
    writeFileSync(
      file,
      JSON.stringify({
        schemaVersion: 1,
        name: 'Blast',
        triggers: [{ type: 'lead.created' }],
        start: 'mail',
        steps: [
          { id: 'mail', type: 'send_email', to: 'lead', purpose: 'marketing', subject: 'Hi', body: 'Buy' },
        ],
      }),
    );
    const verified = cli(['workflows', 'verify', file, '--json', '--data-dir', dir]);
    assert.equal(verified.status, 1, verified.stderr);
    const result = JSON.parse(verified.stdout) as { ok: boolean; findings: { rule: string }[] };
    assert.equal(result.ok, false);
    assert.ok(result.findings.some((f) => f.rule === 'gdpr.marketing_email_consent'));
  });
});
