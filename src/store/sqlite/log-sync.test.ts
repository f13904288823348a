import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { createLogSync, sharedSync } from './log-sync.ts';

/** A sync whose every run is held until the test lets it end. */
function heldSync() {
  const runs: { resolve(): void; reject(error: Error): void }[] = [];
  const sync = sharedSync(() => new Promise<void>((resolve, reject) => runs.push({ resolve, reject })));
  return { sync, runs };
}

describe('log sync off the committing thread', () => {
  it('never satisfies a caller with a sync that started before it called', async () => {
    const { sync, runs } = heldSync();
    const first = sync();
    // These arrive while the first runs: it may have started before their commits.
    const second = sync();
    const third = sync();
    assert.equal(runs.length, 1);
    let laterDone = false;
    void Promise.all([second, third]).then(() => {
      laterDone = true;
    });
    runs[0]?.resolve();
    await first;
    await new Promise((r) => setImmediate(r));
    assert.equal(laterDone, false, 'the first sync does not answer the callers that came during it');
    assert.equal(runs.length, 2, 'one more sync, shared by both');
    runs[1]?.resolve();
    await Promise.all([second, third]);
    // A caller after everything settled starts a sync of its own.
    const fourth = sync();
    assert.equal(runs.length, 3);
    runs[2]?.resolve();
    await fourth;
  });

  it('fails only the callers of the sync that failed, and the next one runs', async () => {
    const { sync, runs } = heldSync();
    const first = sync();
    const second = sync();
    runs[0]?.reject(new Error('EIO'));
    await assert.rejects(first, /EIO/);
    await new Promise((r) => setImmediate(r));
    assert.equal(runs.length, 2);
    runs[1]?.resolve();
    await second;
  });

  it('syncs a real write-ahead log after an unsynced commit, and closes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leadloop-log-sync-'));
    const file = join(dir, 'db.sqlite');
    const db = new DatabaseSync(file);
    try {
      db.exec('pragma journal_mode = wal');
      db.exec('pragma synchronous = normal');
      db.exec('create table t (a text)');
      db.prepare('insert into t values (?)').run('x');
      const sync = createLogSync(`${file}-wal`);
      await sync();
      await Promise.all([sync(), sync()]);
      await sync.close();
      // Closed twice is harmless, and a missing log is an error, not a hang.
      await sync.close();
      await assert.rejects(createLogSync(join(dir, 'missing-wal'))(), /ENOENT/);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
