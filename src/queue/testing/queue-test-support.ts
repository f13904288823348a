import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { createStore, type Store } from '../../store/index.ts';

/** A database a queue test runs against: in-memory SQLite always, PostgreSQL when a URL is given. */
export interface TestDatabase {
  label: 'SQLite' | 'PostgreSQL';
  /**
   * A fresh, migrated database with two workspaces (`ws_1`, `ws_2`); `dispose` drops it. `store` sees
   * every row (for the test's own setup and assertions); `queueStore` is the one to build queues on:
   * on PostgreSQL it connects as the application's role, which row-level security binds, so a queue
   * query made outside its data scope finds nothing.
   */
  open(): Promise<{ store: Store; queueStore: Store; dispose(): Promise<void> }>;
}

/** Test support (not exported from the queue's index): the databases queue suites run on. */
export function testDatabases(postgresUrl: string | undefined): TestDatabase[] {
  const sqlite: TestDatabase = {
    label: 'SQLite',
    async open() {
      const store = createStore({ sqliteFile: ':memory:' });
      await seed(store);
      return { store, queueStore: store, dispose: () => store.destroy() };
    },
  };
  if (!postgresUrl) return [sqlite];
  const postgres: TestDatabase = {
    label: 'PostgreSQL',
    async open() {
      const schema = `q_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
      const store = createStore({ databaseUrl: postgresUrl, schema, masterKey: TEST_KEY });
      await seed(store, { name: APP_ROLE });
      const appUrl = new URL(postgresUrl);
      appUrl.username = APP_ROLE;
      appUrl.password = '';
      const queueStore = createStore({ databaseUrl: appUrl.toString(), schema, masterKey: TEST_KEY });
      return {
        store,
        queueStore,
        async dispose() {
          await queueStore.destroy();
          await sql`drop schema ${sql.id(schema)} cascade`.execute(store.db);
          await store.destroy();
        },
      };
    },
  };
  return [sqlite, postgres];
}

/** The master key the test stores sign their data scopes with (PostgreSQL). */
const TEST_KEY = Buffer.alloc(32, 7);

/** The role the application connects as (trust authentication on test databases). */
const APP_ROLE = 'leadloop_app';

async function seed(store: Store, appRole?: { name: string }): Promise<void> {
  await store.migrate({ appRole });
  await store.db.insertInto('organisations').values({ id: 'org_1', name: 'o', created_at: 0 }).execute();
  await store.db
    .insertInto('workspaces')
    .values(
      ['ws_1', 'ws_2'].map((id) => ({
        id,
        organisation_id: 'org_1',
        name: id,
        settings: '{}',
        created_at: 0,
      })),
    )
    .execute();
}

/** A BullMQ key prefix no other test run uses, so concurrent runs sharing a Redis never meet. */
export function uniquePrefix(): string {
  return `leadloop-test-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Polls `check` every 10 ms until it holds; fails after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
