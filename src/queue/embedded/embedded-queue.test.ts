import { sql } from 'kysely';
import { createIdGenerator, createManualClock } from '../../core/index.ts';
import { createStore, type Store } from '../../store/index.ts';
import { type ConformanceHarness, queueConformance } from '../queue-conformance.ts';
import { createEmbeddedQueue } from './embedded-queue.ts';

/** A migrated store with one workspace, and the embedded queue on it. */
async function harness(store: Store, close: () => Promise<void>): Promise<ConformanceHarness> {
  const clock = createManualClock(Date.UTC(2026, 10, 28));
  await store.migrate();
  await store.db.insertInto('organisations').values({ id: 'org_1', name: 'o', created_at: 0 }).execute();
  await store.db
    .insertInto('workspaces')
    .values({ id: 'ws_1', organisation_id: 'org_1', name: 'w', settings: '{}', created_at: 0 })
    .execute();
  const queue = createEmbeddedQueue({
    store,
    clock,
    ids: createIdGenerator(),
    idlePollMs: 5,
    random: () => 0.5,
  });
  return { store, queue, clock, workspaceId: 'ws_1', close };
}

queueConformance('embedded (SQLite)', async () => {
  const store = createStore({ sqliteFile: ':memory:' });
  return harness(store, () => store.destroy());
});

if (process.env.TEST_DATABASE_URL) {
  queueConformance('embedded (PostgreSQL)', async () => {
    const schema = `q_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
    const store = createStore({ databaseUrl: process.env.TEST_DATABASE_URL, schema });
    return harness(store, async () => {
      await sql`drop schema ${sql.id(schema)} cascade`.execute(store.db);
      await store.destroy();
    });
  });
}
