import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { useTempDir } from './support/app.ts';
import { cliIn, cliWorkspace } from './support/cli.ts';

describe('leadloop privacy (CLI)', () => {
  const data = useTempDir('leadloop-privacy-cli-');
  const cli = cliIn(data, { LEADLOOP_MASTER_KEY: '' });
  let workspaceId = '';
  before(() => {
    workspaceId = cliWorkspace(data.path, 'Privacy').workspaceId;
    const csv = join(data.path, 'leads.csv');
    writeFileSync(
      csv,
      'email,name,company\nann.erase@cli.example,Ann Erase,Erase Corp\nbob.keep@cli.example,Bob Keep,Keep Corp\n',
    );
    const imported = cli(['import', csv, '--workspace', workspaceId, '--json']);
    assert.equal(imported.status, 0, imported.stderr);
  });

  it('files an access request, exports the bundle to a private file, erases, and lists both', () => {
    const out = join(data.path, 'ann.json');
    const exported = cli([
      'privacy',
      'export',
      '--workspace',
      workspaceId,
      '--email',
      'Ann.Erase@cli.example',
      '--out',
      out,
    ]);
    assert.equal(exported.status, 0, exported.stderr);
    const bundle = JSON.parse(readFileSync(out, 'utf8')) as { tables: Record<string, { email?: string }[]> };
    assert.equal(bundle.tables.leads?.[0]?.email, 'ann.erase@cli.example');
    assert.equal(statSync(out).mode & 0o077, 0, 'the export file is readable by its owner only');
    assert.ok(
      statSync(join(data.path, 'master.key')).isFile(),
      'a master key file was created in the data directory',
    );

    const erased = cli([
      'privacy',
      'erase',
      '--workspace',
      workspaceId,
      '--email',
      'ann.erase@cli.example',
      '--json',
    ]);
    assert.equal(erased.status, 0, erased.stderr);
    assert.equal((JSON.parse(erased.stdout) as { status: string }).status, 'completed');
    const listed = cli(['privacy', 'list', '--workspace', workspaceId]);
    assert.match(listed.stdout, /erasure\s+gdpr\s+completed/);
    assert.match(listed.stdout, /access\s+gdpr\s+completed/);
    const again = cli(['privacy', 'erase', '--workspace', workspaceId, '--email', 'ann.erase@cli.example']);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /body.subject: matches no lead of this workspace/);
    const kept = cli([
      'privacy',
      'request',
      '--type',
      'access',
      '--workspace',
      workspaceId,
      '--email',
      'bob.keep@cli.example',
      '--json',
    ]);
    assert.equal(
      (JSON.parse(kept.stdout) as { leadIds: string[] }).leadIds.length,
      1,
      'the other person is untouched',
    );
  });

  it('files on hold without --workspace (the only one), extends with a reason, runs; rejects another and wants a reason', () => {
    writeFileSync(
      join(data.path, 'held.csv'),
      'email,name\ncarl.held@cli.example,Carl Held\ndora.doubt@cli.example,Dora Doubt\n',
    );
    assert.equal(cli(['import', join(data.path, 'held.csv'), '--json']).status, 0);
    const json = (args: string[]) => {
      const result = cli([...args, '--json']);
      assert.equal(result.status, 0, result.stderr);
      return JSON.parse(result.stdout) as {
        id: string;
        status: string;
        held: boolean;
        dueAt: number;
        extendedDueAt: number;
      };
    };
    const held = json(['privacy', 'erase', '--email', 'carl.held@cli.example', '--hold']);
    assert.equal(held.status, 'received');
    assert.equal(held.held, true);
    const listed = cli(['privacy', 'list', '--status', 'received']);
    assert.match(listed.stdout, new RegExp(`${held.id} .*\\(held\\)`));
    const extended = json(['privacy', 'extend', '--id', held.id, '--reason', 'waiting for ID']);
    assert.equal(extended.dueAt, held.extendedDueAt);
    const ran = json(['privacy', 'run', '--id', held.id]);
    assert.equal(ran.status, 'completed');

    const doubtful = json([
      'privacy',
      'request',
      '--type',
      'access',
      '--email',
      'dora.doubt@cli.example',
      '--hold',
    ]);
    const noReason = cli(['privacy', 'reject', '--id', doubtful.id]);
    assert.notEqual(noReason.status, 0);
    assert.match(noReason.stderr, /reason/);
    const rejected = json(['privacy', 'reject', '--id', doubtful.id, '--reason', 'identity not verified']);
    assert.equal(rejected.status, 'rejected');
  });
});
