import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

/*
 * The bin turns the compile cache on for the worker thread too: with the cache warm, neither
 * thread loads Node's TypeScript stripper (10-19 MiB of RSS in each thread that does). What a
 * thread loaded is read from `process.moduleLoadList`.
 */
const helper = pathToFileURL(join(import.meta.dirname, '..', 'bin', 'compile-cache.js')).href;
const dir = mkdtempSync(join(tmpdir(), 'leadloop-compile-cache-'));
after(() => rmSync(dir, { recursive: true, force: true }));

writeFileSync(
  join(dir, 'thread.ts'),
  `import { parentPort } from 'node:worker_threads';
const loaded: boolean = process.moduleLoadList.some((m) => m.includes('amaro'));
parentPort?.postMessage(loaded);
`,
);

/** A fresh process that enables the cache the bin's way (or not) and starts a `.ts` worker thread. */
function strippersLoaded(useHelper: boolean): { main: boolean; thread: boolean } {
  const script = `
const { Worker } = await import('node:worker_threads');
${
  useHelper
    ? `const { enableCompileCacheForThreads } = await import(${JSON.stringify(helper)});
enableCompileCacheForThreads(${JSON.stringify(join(dir, 'cache'))});`
    : ''
}
const worker = new Worker(new URL(${JSON.stringify(pathToFileURL(join(dir, 'thread.ts')).href)}));
const thread = await new Promise((resolve) => worker.once('message', resolve));
await worker.terminate();
const main = process.moduleLoadList.some((m) => m.includes('amaro'));
console.log(JSON.stringify({ main, thread }));
`;
  const env = { ...process.env };
  delete env.NODE_COMPILE_CACHE;
  delete env.NODE_DISABLE_COMPILE_CACHE;
  const file = join(dir, useHelper ? 'with-helper.mjs' : 'without.mjs');
  writeFileSync(file, script);
  const out = execFileSync(process.execPath, [file], { env, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { main: boolean; thread: boolean };
}

describe('the compile cache in worker threads', () => {
  it('spares the worker thread the TypeScript stripper once the cache is warm', () => {
    const cold = strippersLoaded(true);
    assert.equal(
      cold.thread,
      true,
      'the first start strips the thread file (this shows the check can see it)',
    );
    const warm = strippersLoaded(true);
    assert.deepEqual(warm, { main: false, thread: false });
  });

  it('a thread with no cache of its own loads the stripper every time', () => {
    // Without the helper nothing turns the cache on: what every start paid before.
    strippersLoaded(false);
    assert.equal(strippersLoaded(false).thread, true);
  });
});
