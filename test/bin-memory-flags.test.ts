import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

/*
 * `npx leadloop serve` must run with the memory flags `npm start` passes to node: the bin applies
 * them itself. What the running server's process was started with is read from /proc (Linux).
 */
const root = join(import.meta.dirname, '..');
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Starts `bin/leadloop.js serve` (after `nodeFlags`, as `npm start` does) and resolves with the
 * arguments and environment of the process that serves.
 */
async function serveAndRead(
  env: Record<string, string>,
  nodeFlags: string[] = [],
): Promise<{ args: string[]; environment: Map<string, string> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'leadloop-bin-'));
  dirs.push(dataDir);
  const server: ChildProcess = spawn(
    process.execPath,
    [...nodeFlags, join(root, 'bin/leadloop.js'), 'serve', '--data-dir', dataDir, '--port', '0'],
    {
      // The allocator settings of the shell running the tests are not the bin's.
      env: {
        ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('MALLOC_'))),
        LOG_LEVEL: 'warn',
        NODE_OPTIONS: '',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      server.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (/running at http/.test(out)) resolve();
      });
      server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
    });
    // The pid we spawned is the pid that serves: the bin replaced itself instead of forking a child.
    const read = (file: string) =>
      readFileSync(`/proc/${server.pid}/${file}`, 'utf8').split('\0').filter(Boolean);
    const environment = new Map(
      read('environ').map((entry) => [
        entry.slice(0, entry.indexOf('=')),
        entry.slice(entry.indexOf('=') + 1),
      ]),
    );
    return { args: read('cmdline'), environment };
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  }
}

describe('leadloop bin memory flags', {
  skip: existsSync('/proc/self/cmdline') ? false : 'needs /proc',
}, () => {
  it('serves with the young-generation and heap-growth flags when started without them', async () => {
    const { args } = await serveAndRead({});
    assert.ok(args.includes('--max-semi-space-size=4'), args.join(' '));
    assert.ok(args.includes('--heap-growing-percent=50'), args.join(' '));
    assert.ok(
      args.indexOf('--max-semi-space-size=4') < args.indexOf('serve'),
      'a node flag, not a command argument',
    );
  });

  it('keeps a flag the user set in NODE_OPTIONS, and can be turned off', async () => {
    const { args } = await serveAndRead({ NODE_OPTIONS: '--max-semi-space-size=8' });
    assert.ok(!args.some((a) => a.startsWith('--max-semi-space-size')), args.join(' '));
    assert.ok(args.includes('--heap-growing-percent=50'), args.join(' '));
    const off = await serveAndRead({ LEADLOOP_NODE_FLAGS: '0' });
    assert.ok(!off.args.some((a) => a.startsWith('--heap-growing-percent')), off.args.join(' '));
    assert.equal(off.environment.get('MALLOC_ARENA_MAX'), undefined);
  });

  it('serves with the C allocator settings, also when node already has the flags (npm start); a value set wins', async () => {
    for (const nodeFlags of [[], ['--max-semi-space-size=4', '--heap-growing-percent=50']]) {
      const { environment } = await serveAndRead({}, nodeFlags);
      assert.equal(environment.get('MALLOC_ARENA_MAX'), '2', nodeFlags.join(' '));
      assert.equal(environment.get('MALLOC_MMAP_THRESHOLD_'), '131072');
      assert.equal(environment.get('MALLOC_TRIM_THRESHOLD_'), '131072');
    }
    const { environment } = await serveAndRead({ MALLOC_ARENA_MAX: '4' });
    assert.equal(environment.get('MALLOC_ARENA_MAX'), '4');
    assert.equal(environment.get('MALLOC_MMAP_THRESHOLD_'), '131072');
  });
});
