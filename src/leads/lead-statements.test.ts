import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { Kysely } from 'kysely';
import { createStore, type Database } from '../store/index.ts';
import { createNodeSqlite } from '../store/sqlite/node-sqlite-dialect.ts';
import { selectEvents } from './lead-statements.ts';

describe('lead statements on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'leadloop-statements-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a set’s events through the primary key, not by reading the workspace’s events', async () => {
    const file = join(dir, 'plan.db');
    const store = createStore({ sqliteFile: file });
    await store.migrate();
    await store.destroy();
    let text = '';
    const db = new Kysely<Database>({
      dialect: createNodeSqlite(file).dialect,
      log: (event) => {
        text = event.query.sql;
      },
    });
    await selectEvents(db, ['evt_1', 'evt_2', 'evt_3']);
    await db.destroy();
    const raw = new DatabaseSync(file);
    const plan = raw
      .prepare(`explain query plan ${text}`)
      .all('evt_1', 'evt_2', 'evt_3')
      .map((row) => String(row.detail));
    raw.close();
    assert.match(text, /from "events"/);
    assert.deepEqual(plan, ['SEARCH events USING INDEX sqlite_autoindex_events_1 (id=?)']);
  });
});
