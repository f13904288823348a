import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createStore, type Db, type Store } from '../src/store/index.ts';
import { createGroupCommit, createSettleCommit } from '../src/workflows/engine/group-commit.ts';
import { DIALECTS } from './support/runtime.ts';

/** Step settles of concurrent jobs share one commit; each keeps its own outcome. */
for (const dialect of DIALECTS) {
  describe(`group commit of step settles (${dialect})`, () => {
    const schema = `gc_${randomBytes(4).toString('hex')}`;
    let store: Store;
    let transactions = 0;
    let counted: Pick<Store, 'transaction'>;

    before(async () => {
      store =
        dialect === 'postgres'
          ? createStore({ databaseUrl: process.env.TEST_DATABASE_URL, schema, masterKey: randomBytes(32) })
          : createStore({ sqliteFile: ':memory:' });
      if (dialect === 'postgres') await sql`create schema ${sql.id(schema)}`.execute(store.db);
      await sql`create table gc_probe (id text primary key)`.execute(store.db);
      counted = {
        transaction: (fn) => {
          transactions++;
          return store.transaction(fn);
        },
      };
    });
    after(async () => {
      if (dialect === 'postgres') await sql`drop schema ${sql.id(schema)} cascade`.execute(store.db);
      await store.destroy();
    });

    const insert = (id: string) => async (trx: Db) => {
      await sql`insert into gc_probe (id) values (${id})`.execute(trx);
      return id;
    };
    const ids = async () =>
      (await sql<{ id: string }>`select id from gc_probe order by id`.execute(store.db)).rows.map(
        (r) => r.id,
      );

    it('settles that arrive together share one transaction, and each caller gets its own result', async () => {
      const commit = createGroupCommit(counted);
      transactions = 0;
      const results = await Promise.all([commit(insert('a1')), commit(insert('a2')), commit(insert('a3'))]);
      assert.deepEqual(results, ['a1', 'a2', 'a3']);
      assert.equal(transactions, 1);
      assert.deepEqual(await ids(), ['a1', 'a2', 'a3']);
    });

    it('a settle that throws undoes only its own writes and fails only its caller', async () => {
      const commit = createGroupCommit(counted);
      const failing = async (trx: Db) => {
        await sql`insert into gc_probe (id) values ('b2')`.execute(trx);
        // A duplicate key: on PostgreSQL this aborts the transaction unless its savepoint is rolled back.
        await sql`insert into gc_probe (id) values ('b2')`.execute(trx);
      };
      const outcomes = await Promise.allSettled([
        commit(insert('b1')),
        commit(failing),
        commit(insert('b3')),
      ]);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      assert.deepEqual(
        (await ids()).filter((id) => id.startsWith('b')),
        ['b1', 'b3'],
      );
    });

    it('a settle arriving while a group commits waits for the next group', async () => {
      const commit = createGroupCommit(counted, { gatherMs: 0 });
      transactions = 0;
      const first = commit(async (trx) => {
        const id = await insert('c1')(trx);
        // Arrives while the first group's transaction is open.
        second = commit(insert('c2'));
        return id;
      });
      let second: Promise<string> | undefined;
      assert.equal(await first, 'c1');
      assert.equal(await second, 'c2');
      assert.equal(transactions, 2);
      assert.deepEqual(
        (await ids()).filter((id) => id.startsWith('c')),
        ['c1', 'c2'],
      );
    });

    it('step settles share a commit on SQLite and run side by side on PostgreSQL', async () => {
      const commit = createSettleCommit({ transaction: counted.transaction, dialect });
      transactions = 0;
      // The first settle finishes only once the second has started running. In one shared
      // transaction the second would wait for the first; the guard turns that wait into a failure.
      let secondStarted: () => void = () => {};
      const started = new Promise<void>((resolve) => {
        secondStarted = resolve;
      });
      let guard: NodeJS.Timeout | undefined;
      const serialised = new Promise<never>((_, reject) => {
        guard = setTimeout(() => reject(new Error('the second settle waited for the first')), 10_000);
      });
      const first = commit(async (trx) => {
        await insert('d1')(trx);
        if (dialect === 'postgres') await Promise.race([started, serialised]);
        return 'd1';
      });
      const second = commit(async (trx) => {
        secondStarted();
        return insert('d2')(trx);
      });
      try {
        assert.deepEqual(await Promise.all([first, second]), ['d1', 'd2']);
      } finally {
        clearTimeout(guard);
      }
      assert.equal(transactions, dialect === 'postgres' ? 2 : 1);
      assert.deepEqual(
        (await ids()).filter((id) => id.startsWith('d')),
        ['d1', 'd2'],
      );
    });
  });
}
