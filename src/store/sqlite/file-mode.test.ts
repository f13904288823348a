import assert from 'node:assert/strict';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { createStore } from '../database.ts';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('SQLite file modes', () => {
  it('creates the database, its -wal and -shm 0600 under umask 022, and tightens an existing 0644 file', async () => {
    const previous = process.umask(0o022);
    try {
      for (const existing of [false, true]) {
        const dir = mkdtempSync(join(tmpdir(), 'leadloop-mode-'));
        const file = join(dir, 'leadloop.db');
        if (existing) writeFileSync(file, '', { mode: 0o644 });
        const store = createStore({ sqliteFile: file });
        await store.migrate();
        await sql`insert into organisations (id, name, created_at) values ('org_x', 'x', 0)`.execute(
          store.db,
        );
        for (const path of [file, `${file}-wal`, `${file}-shm`])
          assert.equal(mode(path).toString(8), '600', `${path} (existing: ${existing})`);
        await store.destroy();
      }
    } finally {
      process.umask(previous);
    }
  });
});
