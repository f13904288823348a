import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createStore, type Store } from '../src/store/index.ts';

/**
 * Schemas come and go on a shared PostgreSQL server (here, suites running side by side; in
 * production, other applications). Leadloop's migrator must only look at its own schema: Kysely's
 * stock introspector scans every schema and fails when one is dropped under it.
 */
const url = process.env.TEST_DATABASE_URL;

describe('PostgreSQL store on a shared server', {
  skip: url ? false : 'TEST_DATABASE_URL is not set',
}, () => {
  const suffix = randomBytes(4).toString('hex');
  const schema = `s_${suffix}`;
  const neighbour = `n_${suffix}`;
  let store: Store;
  let churn: pg.Client;

  before(async () => {
    churn = new pg.Client({ connectionString: url });
    await churn.connect();
    await churn.query(`create schema ${neighbour}; create table ${neighbour}.leads (id serial primary key)`);
    store = createStore({ databaseUrl: url, schema, poolSize: 2, masterKey: Buffer.alloc(32, 7) });
  });

  after(async () => {
    await store?.destroy();
    await churn?.query(`drop schema if exists ${schema} cascade; drop schema if exists ${neighbour} cascade`);
    await churn?.end();
  });

  it('introspects only its own schema', async () => {
    await store.migrate();
    const tables = await store.db.introspection.getTables({ withInternalKyselyTables: true });
    assert.ok(tables.some((t) => t.name === 'leads'));
    assert.ok(tables.some((t) => t.name === 'leadloop_migrations'));
    assert.deepEqual([...new Set(tables.map((t) => t.schema))], [schema]);
    const leads = tables.find((t) => t.name === 'leads');
    assert.ok(leads?.columns.some((c) => c.name === 'workspace_id' && !c.isNullable));
  });

  it('migrates and introspects while other sessions create and drop schemas', async () => {
    let stop = false;
    const churning = (async () => {
      for (let i = 0; !stop; i++) {
        const name = `c_${suffix}_${i}`;
        await churn.query(`create schema ${name}; create table ${name}.t (id serial, a int, b int)`);
        await churn.query(`drop schema ${name} cascade`);
      }
    })();
    try {
      // The stock introspector failed about one call in twenty under this churn.
      for (let i = 0; i < 200; i++)
        await store.db.introspection.getTables({ withInternalKyselyTables: true });
      const fresh = createStore({ databaseUrl: url, schema: `${schema}_2`, poolSize: 1 });
      try {
        assert.ok((await fresh.migrate()).applied.length > 0);
      } finally {
        await fresh.destroy();
        await churn.query(`drop schema if exists ${schema}_2 cascade`);
      }
    } finally {
      stop = true;
      await churning;
    }
  });
});
