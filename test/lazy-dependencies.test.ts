import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

/*
 * Each thread of the embedded server carries in its heap every package its modules import. Those a
 * default deployment never calls load at their first use (src/core/lazy-module.ts); this holds it,
 * since one static import anywhere on the composition root would bring a package back into both
 * threads unnoticed.
 */
const LAZY = [
  'pg',
  'nodemailer',
  'chrono-node',
  'cron-parser',
  'node-html-parser',
  'csv-parse',
  'compromise',
];

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('packages a default server never calls', () => {
  it('are loaded by neither the HTTP thread nor the worker thread of the embedded server', () => {
    const dir = mkdtempSync(join(tmpdir(), 'leadloop-loads-'));
    dirs.push(dir);
    const loadsFile = join(dir, 'loads.txt');
    const fixtures = join(import.meta.dirname, 'fixtures', 'loads');
    execFileSync(
      process.execPath,
      [
        '--import',
        join(fixtures, 'record-loads.mjs'),
        join(fixtures, 'serve-and-stop.ts'),
        join(dir, 'data'),
      ],
      {
        env: { ...process.env, LOADS_FILE: loadsFile },
        stdio: ['ignore', 'ignore', 'inherit'],
        timeout: 60_000,
      },
    );
    const loads = readFileSync(loadsFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split('\t') as [string, string]);
    const threads = new Set(loads.map(([thread]) => thread));
    assert.ok(threads.size >= 2, `both threads recorded their loads (${[...threads].join(', ')})`);
    assert.ok(
      loads.some(([, url]) => url.includes('/node_modules/kysely/')),
      'the recorder sees packages the server does load',
    );
    for (const name of LAZY) {
      const loaded = loads.filter(([, url]) => url.includes(`/node_modules/${name}/`));
      assert.deepEqual(loaded.slice(0, 3), [], `${name} stays unloaded`);
    }
  });
});
