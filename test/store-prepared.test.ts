import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createStore, type Store } from '../src/store/index.ts';
import { prepared, preparedRows } from '../src/store/prepared.ts';

const url = process.env.TEST_DATABASE_URL;
const DIALECTS = url ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const);

const insertEvent = preparedRows<{ id: string; workspace_id: string; payload: string }>(
  ['id', 'workspace_id', 'payload'],
  3,
)((db, rows) =>
  db.insertInto('events').values(
    rows.map((r) => ({
      ...r,
      type: 'lead.submitted',
      source: 'api',
      status: 'accepted',
      lead_id: null,
      error: null,
      attempts: 0,
      created_at: 1,
      processed_at: null,
    })),
  ),
);
const eventsOf = prepared<{ workspaceId: string }>()((db, v) =>
  db
    .selectFrom('events')
    .select(['id', 'payload', 'status'])
    .where('workspace_id', '=', v.workspaceId)
    .orderBy('id'),
);
const markProcessed = prepared<{ workspaceId: string; id: string; leadId: string | null }>()((db, v) =>
  db
    .updateTable('events')
    .set({ status: 'processed', lead_id: v.leadId })
    .where('workspace_id', '=', v.workspaceId)
    .where('id', '=', v.id)
    .where('status', '=', 'accepted'),
);

for (const dialect of DIALECTS) {
  describe(`prepared queries (${dialect})`, () => {
    const schema = `p_${randomBytes(4).toString('hex')}`;
    let store: Store;

    before(async () => {
      store =
        dialect === 'postgres'
          ? createStore({ databaseUrl: url, schema, poolSize: 2, masterKey: Buffer.alloc(32, 7) })
          : createStore({ sqliteFile: ':memory:' });
      await store.migrate();
      // events references workspaces; the rows under test need their workspaces.
      for (const id of ['ws_a', 'ws_b']) {
        await store.db
          .insertInto('organisations')
          .values({ id: `org_${id}`, name: id, created_at: 1 })
          .execute();
        await store.db
          .insertInto('workspaces')
          .values({ id, organisation_id: `org_${id}`, name: id, settings: '{}', created_at: 1 })
          .execute();
      }
    });

    after(async () => {
      await store?.destroy();
      if (dialect === 'postgres') {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query(`drop schema if exists ${schema} cascade`);
        await client.end();
      }
    });

    it('binds new values on every run, keeps constants, and chunks rows past the limit', async () => {
      const rows = Array.from({ length: 7 }, (_, i) => ({
        id: `evt_${i}`,
        workspace_id: i < 5 ? 'ws_a' : 'ws_b',
        payload: `{"n":${i}}`,
      }));
      await insertEvent.execute(store.db, rows);
      const a = (await eventsOf.execute(store.db, { workspaceId: 'ws_a' })).rows;
      const b = (await eventsOf.execute(store.db, { workspaceId: 'ws_b' })).rows;
      assert.deepEqual(
        a.map((r) => r.id),
        ['evt_0', 'evt_1', 'evt_2', 'evt_3', 'evt_4'],
      );
      assert.deepEqual(
        b.map((r) => [r.id, r.payload, r.status]),
        [
          ['evt_5', '{"n":5}', 'accepted'],
          ['evt_6', '{"n":6}', 'accepted'],
        ],
      );
    });

    it('compiles once for the database and every transaction on it', async () => {
      let builds = 0;
      const countOf = prepared<{ workspaceId: string }>()((db, v) => {
        builds++;
        return db
          .selectFrom('events')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('workspace_id', '=', v.workspaceId);
      });
      await countOf.execute(store.db, { workspaceId: 'ws_a' });
      for (let i = 0; i < 3; i++)
        await store.transaction((trx) => countOf.execute(trx, { workspaceId: 'ws_b' }));
      assert.equal(builds, 1);
    });

    it('runs inside transactions, with the fixed condition still applied', async () => {
      await store.transaction(async (trx) => {
        const first = await markProcessed.execute(trx, {
          workspaceId: 'ws_a',
          id: 'evt_1',
          leadId: 'lead_1',
        });
        assert.equal(Number(first.numAffectedRows), 1);
        // The builder's constant `status = 'accepted'` is part of the statement: a second run changes nothing.
        const again = await markProcessed.execute(trx, {
          workspaceId: 'ws_a',
          id: 'evt_1',
          leadId: 'lead_2',
        });
        assert.equal(Number(again.numAffectedRows), 0);
        // Another workspace's id under this workspace's values matches nothing.
        const other = await markProcessed.execute(trx, { workspaceId: 'ws_a', id: 'evt_5', leadId: null });
        assert.equal(Number(other.numAffectedRows), 0);
      });
      const row = await store.db
        .selectFrom('events')
        .select(['status', 'lead_id'])
        .where('id', '=', 'evt_1')
        .executeTakeFirst();
      assert.deepEqual({ ...row }, { status: 'processed', lead_id: 'lead_1' });
    });

    it('rolls a transaction back when a prepared statement fails in it', async () => {
      const attempt = store.transaction(async (trx) => {
        await insertEvent.execute(trx, [{ id: 'evt_r1', workspace_id: 'ws_b', payload: '{}' }]);
        await insertEvent.execute(trx, [{ id: 'evt_0', workspace_id: 'ws_b', payload: '{}' }]); // duplicate key
      });
      await assert.rejects(attempt);
      const ids = (await eventsOf.execute(store.db, { workspaceId: 'ws_b' })).rows.map((r) => r.id);
      assert.deepEqual(ids, ['evt_5', 'evt_6']);
    });

    it('never runs a query of another caller inside an open transaction', async () => {
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let inside = () => {};
      const entered = new Promise<void>((resolve) => {
        inside = resolve;
      });
      const writer = store.transaction(async (trx) => {
        await insertEvent.execute(trx, [{ id: 'evt_t1', workspace_id: 'ws_b', payload: '{}' }]);
        inside();
        await held;
        throw new Error('roll back');
      });
      await entered;
      // Started while the transaction is open: it must not see (or join) the uncommitted insert.
      const reader = eventsOf.execute(store.db, { workspaceId: 'ws_b' });
      release();
      await assert.rejects(writer, /roll back/);
      assert.deepEqual(
        (await reader).rows.map((r) => r.id),
        ['evt_5', 'evt_6'],
      );
    });

    it('refuses a transaction handle kept past its transaction, as Kysely does', async () => {
      let kept: Parameters<Parameters<Store['transaction']>[0]>[0] | undefined;
      await store.transaction(async (trx) => {
        kept = trx;
        await eventsOf.execute(trx, { workspaceId: 'ws_a' });
      });
      await assert.rejects(
        () =>
          insertEvent.execute(kept as NonNullable<typeof kept>, [
            { id: 'evt_late', workspace_id: 'ws_a', payload: '{}' },
          ]),
        /committed/,
      );
      const late = await store.db.selectFrom('events').select('id').where('id', '=', 'evt_late').execute();
      assert.equal(late.length, 0);
    });

    it('refuses a chunk it was not prepared for', async () => {
      await assert.rejects(() => insertEvent.executeOne(store.db, []), RangeError);
      await insertEvent.execute(store.db, []);
    });
  });
}
