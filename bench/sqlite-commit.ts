/**
 * What a SQLite commit costs on this machine's disk with and without waiting for it
 * (synchronous=FULL against NORMAL, WAL): the wall time that blocks the committing thread (and,
 * on SQLite, holds the write lock) and the CPU it spends. The pipeline's sets commit unsynced since
 * docs/decisions/2026-12-07-unsynced-sets.md; accepted webhooks still commit FULL.
 *
 * Usage: node bench/sqlite-commit.ts [--commits 300]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import { printTable, writeResult } from './support.ts';

const { values } = parseArgs({ options: { commits: { type: 'string', default: '300' } } });
const COMMITS = Number(values.commits);
const dir = mkdtempSync(join(tmpdir(), 'leadloop-commit-'));
const db = new DatabaseSync(join(dir, 'commit.db'));
db.exec('pragma journal_mode = wal');
db.exec('create table t (a text)');
const insert = db.prepare('insert into t values (?)');
const row = 'x'.repeat(400);

const rows: { mode: string; round: number; 'wall ms per commit': number; 'CPU ms per commit': number }[] = [];
try {
  for (let round = 1; round <= 3; round++) {
    for (const mode of ['full', 'normal']) {
      db.exec(`pragma synchronous = ${mode}`);
      const started = performance.now();
      const cpu = process.cpuUsage();
      for (let i = 0; i < COMMITS; i++) {
        db.exec('begin immediate');
        for (let j = 0; j < 8; j++) insert.run(row);
        db.exec('commit');
      }
      const used = process.cpuUsage(cpu);
      rows.push({
        mode,
        round,
        'wall ms per commit': (performance.now() - started) / COMMITS,
        'CPU ms per commit': (used.user + used.system) / 1000 / COMMITS,
      });
    }
  }
} finally {
  db.close();
  rmSync(dir, { recursive: true, force: true });
}
printTable(
  rows.map((r) => ({
    ...r,
    'wall ms per commit': Number(r['wall ms per commit'].toFixed(3)),
    'CPU ms per commit': Number(r['CPU ms per commit'].toFixed(3)),
  })),
);
process.stdout.write(`wrote ${writeResult('sqlite-commit', { commits: COMMITS, rows })}\n`);
