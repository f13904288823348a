import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createManualClock } from '../src/core/index.ts';
import { createStore, type Store } from '../src/store/index.ts';
import { createWorkspaceDirectory } from '../src/tenants/index.ts';
import { useTestApp } from './support/app.ts';
import { sendWebhook } from './support/http.ts';
import { testWorkspace } from './support/runtime.ts';

describe('workspace directory', () => {
  let store: Store;
  before(async () => {
    store = createStore({ sqliteFile: ':memory:' });
    await store.migrate();
    await store.db.insertInto('organisations').values({ id: 'org_1', name: 'o', created_at: 0 }).execute();
    await store.db
      .insertInto('workspaces')
      .values({ id: 'ws_1', organisation_id: 'org_1', name: 'One', settings: '{}', created_at: 0 })
      .execute();
  });
  after(() => store.destroy());

  const rename = (name: string) =>
    store.db.updateTable('workspaces').set({ name }).where('id', '=', 'ws_1').execute();

  it('answers a workspace from its cache until the TTL, then reads it again', async () => {
    const clock = createManualClock(0);
    const directory = createWorkspaceDirectory({ clock, ttlMs: 1_000 });
    assert.equal((await directory.workspace(store.db, 'ws_1'))?.name, 'One');
    await rename('Renamed');
    assert.equal((await directory.workspace(store.db, 'ws_1'))?.name, 'One', 'cached within the TTL');
    clock.advance(1_001);
    assert.equal((await directory.workspace(store.db, 'ws_1'))?.name, 'Renamed', 're-read after the TTL');
    await rename('One');
  });

  it("keeps answering a workspace's organisation past the TTL (it never changes) and forgets on request", async () => {
    const clock = createManualClock(0);
    const directory = createWorkspaceDirectory({ clock, ttlMs: 1_000 });
    assert.equal(await directory.organisationOf(store.db, 'ws_1'), 'org_1');
    await rename('Renamed');
    clock.advance(60_000);
    assert.equal(await directory.organisationOf(store.db, 'ws_1'), 'org_1');
    assert.equal((await directory.workspace(store.db, 'ws_1'))?.name, 'Renamed');
    await rename('One');
    directory.forget('ws_1');
    assert.equal((await directory.workspace(store.db, 'ws_1'))?.name, 'One');
  });

  it('refuses an unknown workspace with not_found', async () => {
    const directory = createWorkspaceDirectory({ clock: createManualClock(0) });
    await assert.rejects(directory.organisationOf(store.db, 'ws_missing'), { code: 'not_found' });
  });
});

describe('webhook path', () => {
  const app = useTestApp('sqlite');
  before(async () => {});

  it('looks the workspace up once per webhook', async () => {
    const created = await testWorkspace(app.runtime, 'Acme');
    const getWorkspace = app.runtime.tenants.getWorkspace.bind(app.runtime.tenants);
    let lookups = 0;
    app.runtime.tenants.getWorkspace = (workspaceId) => {
      lookups += 1;
      return getWorkspace(workspaceId);
    };
    try {
      const response = await sendWebhook(app.http.app, created.workspaceId, created.webhookSecret, {
        email: 'ada@example.org',
      });
      assert.equal(response.status, 202);
      assert.equal(lookups, 1);
    } finally {
      app.runtime.tenants.getWorkspace = getWorkspace;
    }
  });
});
