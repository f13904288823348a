import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { useTempDir } from './support/app.ts';
import { cliIn, cliWorkspace, spawnCli } from './support/cli.ts';
import { exited, startServerProcess } from './support/server-process.ts';

const root = join(import.meta.dirname, '..');

describe('leadloop CLI (SQLite)', () => {
  const data = useTempDir('leadloop-cli-');
  const cli = cliIn(data);
  /** `leadloop import <csv> --workspace <id> --json` on the suite's data directory. */
  const importJson = (csv: string, workspaceId: string) =>
    cli(['import', csv, '--workspace', workspaceId, '--json']);
  /** Creates a workspace, writes `lines` to a CSV file in the data directory and imports it with --json. */
  const importRows = (workspaceName: string, fileName: string, lines: string[]) => {
    const created = cliWorkspace(data.path, workspaceName);
    const csv = join(data.path, fileName);
    writeFileSync(csv, lines.join('\n'));
    return { created, csv, result: importJson(csv, created.workspaceId) };
  };

  it('creates a workspace with --json beside a running server on the same data', async () => {
    const { child: server, url } = await startServerProcess(data.path);
    try {
      const created = cli(['workspace', 'create', 'Sales EU', '--org', 'Acme', '--json']);
      assert.equal(created.status, 0, created.stderr);
      const out = JSON.parse(created.stdout) as Record<string, string>;
      assert.deepEqual(Object.keys(out).sort(), [
        'apiKey',
        'organisationId',
        'webhookSecret',
        'widgetKey',
        'workspaceId',
      ]);
      // The running server sees the new workspace at once.
      const response = await fetch(`${url}/v1/workspace`, {
        headers: { authorization: `Bearer ${out.apiKey}` },
      });
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as { name: string }).name, 'Sales EU');
    } finally {
      server.kill('SIGTERM');
      await exited(server);
    }
  });

  it('imports a CSV through the pipeline and reports accepted, merged and rejected rows with reasons', () => {
    const { created, csv, result } = importRows('Importers', 'leads.csv', [
      'Email;First Name;Last Name;Job Title;Company;Country;Phone;Employees;utm_source',
      'ada@engines.example.com;Ada;Lovelace;CTO;Engines;GB;+44 20 7946 0958;120;newsletter',
      'grace@navy.example.org;Grace;Hopper;Director;Navy;US;;5000;',
      'ADA@engines.example.com;Ada;King;Chief Technology Officer;Engines;GB;;;',
      'not-an-email;Bad;Row;;;;;;',
      ';No;Contact;;;;;;',
    ]);
    assert.equal(result.status, 1, 'rejected rows make the exit code non-zero');
    const summary = JSON.parse(result.stdout) as {
      rows: number;
      accepted: number;
      created: number;
      merged: number;
      rejected: number;
      rejections: { row: number; reasons: string[] }[];
    };
    assert.equal(summary.rows, 5);
    assert.equal(summary.accepted, 3);
    assert.equal(summary.created, 2);
    assert.equal(summary.merged, 1);
    assert.equal(summary.rejected, 2);
    assert.deepEqual(
      summary.rejections.map((r) => r.row),
      [5, 6],
    );
    assert.match(summary.rejections[0]?.reasons.join(' ') ?? '', /email is not a valid email/);
    assert.match(summary.rejections[1]?.reasons.join(' ') ?? '', /required unless phone/);
    // Importing the same file again changes nothing.
    const again = JSON.parse(importJson(csv, created.workspaceId).stdout) as {
      accepted: number;
      alreadyImported: number;
    };
    assert.equal(again.accepted, 0);
    assert.equal(again.alreadyImported, 3);
    const db = new DatabaseSync(join(data.path, 'leadloop.db'), { readOnly: true });
    const lead = db
      .prepare('select name, title, attributes, utm from leads where email = ?')
      .get('ada@engines.example.com') as { name: string; title: string; attributes: string; utm: string };
    db.close();
    assert.equal(lead.name, 'Ada King');
    assert.equal(lead.title, 'Chief Technology Officer');
    assert.deepEqual(JSON.parse(lead.attributes), { Employees: 120 });
    assert.deepEqual(JSON.parse(lead.utm), { source: 'newsletter' });
  });

  it('records the consent columns of an import in the consent ledger (method import) and names a bad consent cell', () => {
    const { created, result } = importRows('Consenting', 'consent.csv', [
      'email,consent,consent_version,consent_date',
      'opted@in.example.com,email_marketing|sales_contact,notice-2026-10,2026-10-01',
      'yes@no.example.com,yes,notice-2026-10,2026-10-01',
      'undated@in.example.com,email_marketing,notice-2026-10,',
      'plain@row.example.com,,,',
    ]);
    assert.equal(result.status, 1, result.stderr);
    const summary = JSON.parse(result.stdout) as {
      accepted: number;
      rejections: { row: number; reasons: string[] }[];
    };
    assert.equal(summary.accepted, 2);
    assert.deepEqual(
      summary.rejections.map((r) => r.row),
      [3, 4],
    );
    assert.match(summary.rejections[0]?.reasons.join(' ') ?? '', /consent names purposes/);
    assert.match(summary.rejections[1]?.reasons.join(' ') ?? '', /consent\.timestamp/);
    const db = new DatabaseSync(join(data.path, 'leadloop.db'), { readOnly: true });
    const entries = db
      .prepare(
        `select l.email, c.purpose, c.action, c.method, c.notice_version, c.occurred_at
           from consent_events c join leads l on l.id = c.lead_id
          where c.workspace_id = ? order by l.email, c.purpose`,
      )
      .all(created.workspaceId) as Record<string, unknown>[];
    db.close();
    assert.deepEqual(
      entries.map((e) => ({ ...e, occurred_at: Number(e.occurred_at) })),
      ['email_marketing', 'phone'].map((purpose) => ({
        email: 'opted@in.example.com',
        purpose,
        action: 'grant',
        method: 'import',
        notice_version: 'notice-2026-10',
        occurred_at: Date.parse('2026-10-01T00:00:00Z'),
      })),
      'the plain row records nothing; the opted-in row records both purposes as given on that date',
    );
  });

  it('shows a progress bar and a human summary without --json', () => {
    const created = cliWorkspace(data.path, 'Progress');
    const csv = join(data.path, 'progress.csv');
    writeFileSync(
      csv,
      `email,company\n${Array.from({ length: 50 }, (_, i) => `p${i}@corp${i}.example.com,Corp ${i}`).join('\n')}\n`,
    );
    const result = cli(['import', csv, '--workspace', created.workspaceId]);
    assert.equal(result.status, 0, result.stderr);
    // Each phase counts the rows once: 50 rows are never shown as 100.
    assert.match(result.stderr, /processing \[=+\] 50\/50 rows/);
    assert.doesNotMatch(result.stderr, /\/100 rows/);
    assert.match(result.stdout, /50 rows: 50 accepted \(50 new leads, 0 merged/);
  });

  it('verifies the audit trail and names an edited, a deleted and a reordered entry', () => {
    const intact = cli(['audit', 'verify']);
    assert.equal(intact.status, 0, intact.stdout + intact.stderr);
    assert.match(intact.stdout, /audit trail intact: \d+ entries/);

    const db = new DatabaseSync(join(data.path, 'leadloop.db'));
    const ws = (
      db
        .prepare('select workspace_id from audit_log group by workspace_id having count(*) >= 6 limit 1')
        .get() as { workspace_id: string }
    ).workspace_id;
    db.prepare("update audit_log set reason = 'nothing to see' where workspace_id = ? and seq = 2").run(ws);
    let result = cli(['audit', 'verify', '--workspace', ws, '--json']);
    assert.equal(result.status, 3);
    let problems = (JSON.parse(result.stdout) as { problems: { seq: number; kind: string }[] }).problems;
    assert.deepEqual(
      problems.map((p) => [p.seq, p.kind]),
      [[2, 'edited']],
    );

    db.prepare('delete from audit_log where workspace_id = ? and seq = 2').run(ws);
    result = cli(['audit', 'verify', '--workspace', ws, '--json']);
    problems = (JSON.parse(result.stdout) as { problems: { seq: number; kind: string }[] }).problems;
    assert.deepEqual(
      problems.map((p) => p.kind),
      ['deleted'],
    );

    db.close();

    // A fresh workspace with three entries (creation, two keys); then swap entries 2 and 3.
    const fresh = cliWorkspace(data.path, 'Reorder');
    for (const scope of ['read', 'ingest'])
      assert.equal(cli(['key', 'create', '--workspace', fresh.workspaceId, '--scope', scope]).status, 0);
    const db2 = new DatabaseSync(join(data.path, 'leadloop.db'));
    db2.prepare('update audit_log set seq = -1 where workspace_id = ? and seq = 2').run(fresh.workspaceId);
    db2.prepare('update audit_log set seq = 2 where workspace_id = ? and seq = 3').run(fresh.workspaceId);
    db2.prepare('update audit_log set seq = 3 where workspace_id = ? and seq = -1').run(fresh.workspaceId);
    db2.close();
    result = cli(['audit', 'verify', '--workspace', fresh.workspaceId, '--json']);
    assert.equal(result.status, 3);
    problems = (JSON.parse(result.stdout) as { problems: { seq: number; kind: string }[] }).problems;
    assert.ok(
      problems.some((p) => p.kind === 'reordered'),
      JSON.stringify(problems),
    );
  });

  it('writes a signed checkpoint, and verify against it names a truncation since', () => {
    const file = join(data.path, 'audit-checkpoint.json');
    const written = cli(['audit', 'checkpoint', '--out', file]);
    assert.equal(written.status, 0, written.stdout + written.stderr);
    const fresh = cliWorkspace(data.path, 'Checkpointed');
    assert.equal(cli(['audit', 'checkpoint', '--out', file]).status, 0);
    const clean = cli(['audit', 'verify', '--workspace', fresh.workspaceId, '--checkpoint', file]);
    assert.equal(clean.status, 0, clean.stdout + clean.stderr);
    const db = new DatabaseSync(join(data.path, 'leadloop.db'));
    db.prepare('delete from audit_log where workspace_id = ?').run(fresh.workspaceId);
    db.prepare('delete from audit_heads where workspace_id = ?').run(fresh.workspaceId);
    db.prepare('delete from api_keys where workspace_id = ?').run(fresh.workspaceId);
    db.prepare('delete from webhook_secrets where workspace_id = ?').run(fresh.workspaceId);
    db.prepare('delete from widget_keys where workspace_id = ?').run(fresh.workspaceId);
    db.prepare('delete from workspaces where id = ?').run(fresh.workspaceId);
    db.close();
    // Gone from the directory, the heads and the log: only the checkpoint still knows it.
    const result = cli(['audit', 'verify', '--checkpoint', file, '--json']);
    assert.equal(result.status, 3, result.stdout + result.stderr);
    const problems = (JSON.parse(result.stdout) as { problems: { workspaceId: string; kind: string }[] })
      .problems;
    assert.ok(
      problems.some((p) => p.workspaceId === fresh.workspaceId && p.kind === 'missing_chain'),
      JSON.stringify(problems),
    );
  });

  it('lists and replays dead-lettered jobs', () => {
    const db = new DatabaseSync(join(data.path, 'leadloop.db'));
    const ws = (db.prepare('select id from workspaces limit 1').get() as { id: string }).id;
    db.prepare(
      "insert into jobs (id, workspace_id, name, payload, status, attempts, max_attempts, run_at, created_at, updated_at, last_error) values ('job_DEAD1', ?, 'lead.process', '{\"eventId\":\"evt_x\"}', 'dead', 8, 8, 0, 0, 0, 'gave up')",
    ).run(ws);
    db.close();
    const dead = cli(['jobs', 'dead', '--json']);
    assert.equal(dead.status, 0, dead.stderr);
    assert.deepEqual(
      (JSON.parse(dead.stdout) as { items: { id: string; lastError: string }[] }).items.map((j) => [
        j.id,
        j.lastError,
      ]),
      [['job_DEAD1', 'gave up']],
    );
    const replay = cli(['jobs', 'replay', '--id', 'job_DEAD1', '--json']);
    assert.deepEqual(JSON.parse(replay.stdout), { replayed: 1 });
    assert.deepEqual((JSON.parse(cli(['jobs', 'dead', '--json']).stdout) as { items: unknown[] }).items, []);
  });

  it('lists and revokes API keys, and refuses to revoke the last admin key (exit code, reason)', () => {
    const created = cli(['workspace', 'create', 'Keys', '--json']);
    assert.equal(created.status, 0, created.stderr);
    const ws = (JSON.parse(created.stdout) as { workspaceId: string }).workspaceId;
    const made = cli(['key', 'create', '--workspace', ws, '--scope', 'ingest', '--label', 'forms', '--json']);
    const ingest = JSON.parse(made.stdout) as { id: string };
    const listed = cli(['key', 'list', '--workspace', ws, '--json']);
    assert.equal(listed.status, 0, listed.stderr);
    const keys = (JSON.parse(listed.stdout) as { items: { id: string; scope: string; createdBy: string }[] })
      .items;
    assert.deepEqual(
      keys.map((k) => [k.scope, k.createdBy.split(':')[0]]),
      [
        ['admin', 'cli'],
        ['ingest', 'cli'],
      ],
    );
    const revoked = cli(['key', 'revoke', ingest.id, '--workspace', ws]);
    assert.equal(revoked.status, 0, revoked.stderr);
    assert.match(revoked.stdout, new RegExp(`key ${ingest.id} revoked at `));
    const human = cli(['key', 'list', '--workspace', ws]).stdout;
    assert.match(human, new RegExp(`${ingest.id} ingest revoked`));
    const last = cli(['key', 'revoke', keys[0]?.id as string, '--workspace', ws]);
    assert.notEqual(last.status, 0);
    assert.match(last.stderr, /no admin key and no console admin/);
  });

  it('explains bad usage and bad configuration instead of a stack trace', () => {
    const unknown = spawnCli(['frobnicate']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    const badPort = cli(['migrate'], { PORT: 'eighty' });
    assert.equal(badPort.status, 2);
    assert.match(badPort.stderr, /PORT="eighty"/);
    const badDb = spawnCli(['migrate'], { DATABASE_URL: 'mysql://nope' });
    assert.match(badDb.stderr, /DATABASE_URL.*postgres/);
    assert.ok(readFileSync(join(root, 'package.json'), 'utf8').includes('"leadloop"'));
  });

  it('keeps compiled modules between runs when started through bin/leadloop.js', () => {
    const cache = mkdtempSync(join(tmpdir(), 'leadloop-compile-cache-'));
    try {
      const run = (env: Record<string, string>) =>
        spawnSync(process.execPath, [join(root, 'bin/leadloop.js'), 'migrate', '--data-dir', data.path], {
          encoding: 'utf8',
          env: { ...process.env, LOG_LEVEL: 'warn', NODE_COMPILE_CACHE: cache, ...env },
        });
      const cachedFiles = () => spawnSync('find', [cache, '-type', 'f'], { encoding: 'utf8' }).stdout.trim();
      assert.equal(run({ NODE_DISABLE_COMPILE_CACHE: '1' }).status, 0);
      assert.equal(cachedFiles(), '', 'disabled: nothing cached');
      assert.equal(run({}).status, 0);
      // One entry per loaded module, TypeScript sources included (their stripped, compiled form).
      assert.ok(cachedFiles().split('\n').length > 100, 'the modules of a run are cached');
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
