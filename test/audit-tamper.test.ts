import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import {
  type AuditCheckpoint,
  type AuditEntry,
  type AuditProblem,
  hashAuditEntry,
} from '../src/compliance/index.ts';
import { withDataScope } from '../src/core/index.ts';
import type { Store } from '../src/store/index.ts';
import { createTestRuntime, DIALECTS, openAppRoleStore, type TestRuntime } from './support/runtime.ts';

/**
 * The attack run's audit findings, each as a tamper by someone who can write the database (on
 * PostgreSQL: the schema owner or a DBA; the application's role is refused, last suite) and does
 * not hold the master key. Each must make `verify` fail.
 */
const ACTOR = { type: 'system' as const, id: 'tamper-test' };

for (const dialect of DIALECTS) {
  describe(`audit tampering is evident (${dialect})`, () => {
    let runtime: TestRuntime;
    let db: Store['db'];
    const everyone = async <T>(fn: () => Promise<T>) => {
      const ids = (await db.selectFrom('workspaces').select('id').execute()).map((w) => w.id);
      return withDataScope({ kind: 'workspaces', workspaceIds: ids }, fn);
    };
    const verify = (workspaceId: string, checkpoint?: AuditCheckpoint) =>
      everyone(() => runtime.audit.verify({ workspaceId, checkpoint }));
    const kinds = (problems: AuditProblem[]) => [...new Set(problems.map((p) => p.kind))].sort();

    /** A workspace with five entries: creation and four keys. */
    async function workspace(name: string): Promise<string> {
      const { workspace: w } = await runtime.tenants.createWorkspace({ name, actor: ACTOR });
      for (let i = 0; i < 4; i++)
        await runtime.tenants.createApiKey({ workspaceId: w.id, scope: 'read', actor: ACTOR });
      const clean = await verify(w.id);
      assert.deepEqual(clean.problems, [], 'intact before the tamper');
      assert.equal(clean.entries, 5);
      return w.id;
    }
    const rows = async (ws: string) =>
      (
        await db.selectFrom('audit_log').selectAll().where('workspace_id', '=', ws).orderBy('seq').execute()
      ).map((r) => ({ ...r, seq: Number(r.seq), at: Number(r.at) }));
    /** Rewrites one entry's reason in place, leaving its hash and the chain as they were. */
    const editReason = (ws: string, seq: number) =>
      db
        .updateTable('audit_log')
        .set({ reason: 'nothing happened' })
        .where('workspace_id', '=', ws)
        .where('seq', '=', seq)
        .execute();
    const asEntry = (r: Awaited<ReturnType<typeof rows>>[number]): Omit<AuditEntry, 'hash' | 'seq'> => ({
      id: r.id,
      workspaceId: r.workspace_id,
      at: r.at,
      actor: { type: r.actor_type as 'system', id: r.actor_id },
      action: r.action,
      subject: r.subject,
      reason: r.reason,
      data: JSON.parse(r.data),
      prevHash: r.prev_hash,
    });

    before(async () => {
      runtime = await createTestRuntime(dialect);
      db = runtime.inspect;
    });
    after(() => runtime.dispose());

    it('deleting a head row and then editing an entry is reported', async () => {
      const ws = await workspace('no-head');
      await db.deleteFrom('audit_heads').where('workspace_id', '=', ws).execute();
      await editReason(ws, 3);
      assert.deepEqual(kinds((await verify(ws)).problems), ['edited', 'missing_head']);
    });

    it('deleting a workspace’s whole log and head is reported', async () => {
      const ws = await workspace('no-chain');
      await db.deleteFrom('audit_log').where('workspace_id', '=', ws).execute();
      await db.deleteFrom('audit_heads').where('workspace_id', '=', ws).execute();
      assert.deepEqual(kinds((await verify(ws)).problems), ['missing_chain']);
    });

    it('deleting the last entry and moving the head back is reported, and named by a checkpoint', async () => {
      const ws = await workspace('truncated');
      const checkpoint = await everyone(() => runtime.audit.checkpoint());
      const before = await rows(ws);
      const previous = before[3] as (typeof before)[number];
      await db.deleteFrom('audit_log').where('workspace_id', '=', ws).where('seq', '=', 5).execute();
      await db
        .updateTable('audit_heads')
        .set({ seq: previous.seq, hash: previous.hash, mac: previous.mac })
        .where('workspace_id', '=', ws)
        .execute();
      assert.deepEqual(kinds((await verify(ws)).problems), ['forged']);
      const anchored = await verify(ws, checkpoint);
      assert.deepEqual(kinds(anchored.problems), ['forged', 'truncated']);
    });

    it('editing an entry and recomputing every later hash is reported, and named by a checkpoint', async () => {
      const ws = await workspace('recomputed');
      const checkpoint = await everyone(() => runtime.audit.checkpoint());
      let prevHash: string | null = null;
      let last = { seq: 0, hash: '' };
      for (const row of await rows(ws)) {
        const entry = asEntry(row);
        if (row.seq === 2) entry.reason = 'a different story';
        if (prevHash !== null) entry.prevHash = prevHash;
        const hash = hashAuditEntry(entry);
        await db
          .updateTable('audit_log')
          .set({ reason: entry.reason, prev_hash: entry.prevHash, hash })
          .where('workspace_id', '=', ws)
          .where('seq', '=', row.seq)
          .execute();
        prevHash = hash;
        last = { seq: row.seq, hash };
      }
      await db.updateTable('audit_heads').set(last).where('workspace_id', '=', ws).execute();
      assert.deepEqual(kinds((await verify(ws)).problems), ['forged']);
      assert.deepEqual(kinds((await verify(ws, checkpoint)).problems), ['forged', 'rewritten']);
    });

    it('appending a forged entry with a valid chain is reported', async () => {
      const ws = await workspace('forged-append');
      const tail = (await rows(ws)).at(-1) as Awaited<ReturnType<typeof rows>>[number];
      const entry = {
        id: 'aud_FORGED',
        workspaceId: ws,
        at: tail.at + 1,
        actor: { type: 'system' as const, id: 'tamper-test' },
        action: 'consent.recorded',
        subject: 'lead_x',
        reason: 'looks legitimate',
        data: {},
        prevHash: tail.hash,
      };
      const hash = hashAuditEntry(entry);
      await db
        .insertInto('audit_log')
        .values({
          workspace_id: ws,
          seq: 6,
          id: entry.id,
          at: entry.at,
          actor_type: 'system',
          actor_id: 'tamper-test',
          action: entry.action,
          subject: entry.subject,
          reason: entry.reason,
          data: '{}',
          prev_hash: entry.prevHash,
          hash,
          mac: 'f'.repeat(64),
        })
        .execute();
      await db.updateTable('audit_heads').set({ seq: 6, hash }).where('workspace_id', '=', ws).execute();
      assert.deepEqual(kinds((await verify(ws)).problems), ['forged']);
    });

    it('reseals a chain written before MACs: verify then says since when; an edited one is refused untouched', async () => {
      // A chain as migration 010 found it: hash-chained, no MACs on entries or head.
      const ws = await workspace('pre-010');
      await db.updateTable('audit_log').set({ mac: null }).where('workspace_id', '=', ws).execute();
      await db.updateTable('audit_heads').set({ mac: null }).where('workspace_id', '=', ws).execute();
      assert.deepEqual(kinds((await verify(ws)).problems), ['forged']);
      const sealed = await everyone(() => runtime.audit.reseal(ws, ACTOR));
      assert.ok(sealed.ok, JSON.stringify(sealed));
      assert.equal(sealed.sealed, 5);
      assert.equal(sealed.upTo, 5);
      assert.equal(sealed.entry?.action, 'audit.resealed');
      const after = await verify(ws);
      assert.deepEqual(after.problems, []);
      assert.deepEqual(
        after.resealed.map((r) => [r.workspaceId, r.upTo, r.seq]),
        [[ws, 5, 6]],
      );
      // Idempotent: nothing left to seal, and nothing recorded.
      const again = await everyone(() => runtime.audit.reseal(ws, ACTOR));
      assert.ok(again.ok && again.sealed === 0 && again.entry === null);
      assert.equal((await rows(ws)).length, 6);

      // An unsealed chain that was edited is not blessed by a reseal.
      const edited = await workspace('pre-010-edited');
      await db.updateTable('audit_log').set({ mac: null }).where('workspace_id', '=', edited).execute();
      await editReason(edited, 2);
      const refused = await everyone(() => runtime.audit.reseal(edited, ACTOR));
      assert.equal(refused.ok, false);
      assert.deepEqual(kinds(refused.ok ? [] : refused.problems), ['edited']);
      assert.ok(
        (await rows(edited)).every((r) => r.mac === null),
        'no MAC was added',
      );
      assert.equal((await rows(edited)).length, 5);
    });

    it('a checkpoint altered after signing is rejected', async () => {
      const ws = await workspace('checkpoint');
      const checkpoint = await everyone(() => runtime.audit.checkpoint());
      const altered = {
        ...checkpoint,
        heads: checkpoint.heads.map((h) => (h.workspaceId === ws ? { ...h, seq: 4 } : h)),
      };
      assert.deepEqual(kinds((await verify(ws, altered)).problems), ['checkpoint_invalid']);
      assert.deepEqual((await verify(ws, checkpoint)).problems, []);
    });
  });
}

describe('the application role cannot rewrite the audit trail (postgres)', {
  skip: process.env.TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL is not set',
}, () => {
  let runtime: TestRuntime;
  let app: Store;
  let ws = '';
  before(async () => {
    runtime = await createTestRuntime('postgres');
    ws = (await runtime.tenants.createWorkspace({ name: 'A', actor: ACTOR })).workspace.id;
    ({ store: app } = await openAppRoleStore(runtime));
  });
  after(async () => {
    await app.destroy();
    await runtime.dispose();
  });

  for (const [what, statement] of [
    ['update audit_log', sql`update audit_log set reason = 'x'`],
    ['delete from audit_log', sql`delete from audit_log`],
    ['truncate audit_log', sql`truncate audit_log`],
    ['update audit_heads', sql`update audit_heads set seq = 0`],
    ['delete from audit_heads', sql`delete from audit_heads`],
    [
      'insert into audit_log',
      sql`insert into audit_log (workspace_id, seq, id, at, actor_type, actor_id, action, subject, reason, data, prev_hash, hash)
            values (current_setting('app.workspace_id'), 99, 'aud_x', 0, 'system', 'x', 'x', 'x', 'x', '{}', 'x', 'x')`,
    ],
  ] as const) {
    it(`refuses "${what}" with permission denied`, async () => {
      await assert.rejects(
        withDataScope({ kind: 'workspaces', workspaceIds: [ws] }, () => statement.execute(app.db)),
        /permission denied/,
      );
    });
  }

  it('lets the append function only continue a chain, and only in the data scope', async () => {
    const entry = (seq: number, prev: string) =>
      JSON.stringify([{ seq, prev_hash: prev, id: 'aud_y', at: 0, hash: 'h', data: '{}' }]);
    await assert.rejects(
      withDataScope({ kind: 'workspaces', workspaceIds: [ws] }, () =>
        app.db.transaction().execute(async (trx) => {
          await sql`select * from audit_lock_head(${ws})`.execute(trx);
          await sql`select audit_append(${ws}, ${entry(1, '0'.repeat(64))}::jsonb, null)`.execute(trx);
        }),
      ),
      /does not continue the chain/,
    );
    // A batch is checked entry by entry: one that does not follow its predecessor in the batch
    // (a wrong previous hash, or a position skipped) fails the whole call, naming that entry.
    const batch = (head: { seq: number; hash: string }, second: { seq: number; prev: string }) =>
      JSON.stringify([
        { seq: head.seq + 1, prev_hash: head.hash, id: 'aud_first', at: 0, hash: 'h1', data: '{}' },
        { seq: second.seq, prev_hash: second.prev, id: 'aud_second', at: 0, hash: 'h2', data: '{}' },
      ]);
    for (const second of [
      (head: { seq: number }) => ({ seq: head.seq + 2, prev: 'not-h1' }),
      (head: { seq: number }) => ({ seq: head.seq + 3, prev: 'h1' }),
    ])
      await assert.rejects(
        withDataScope({ kind: 'workspaces', workspaceIds: [ws] }, () =>
          app.db.transaction().execute(async (trx) => {
            const { rows } = await sql<{
              seq: string;
              hash: string;
            }>`select * from audit_lock_head(${ws})`.execute(trx);
            const head = { seq: Number(rows[0]?.seq), hash: rows[0]?.hash ?? '' };
            await sql`select audit_append(${ws}, ${batch(head, second(head))}::jsonb, null)`.execute(trx);
          }),
        ),
        /audit entry aud_second does not continue the chain/,
      );
    await assert.rejects(
      withDataScope({ kind: 'workspaces', workspaceIds: ['ws_other'] }, () =>
        app.db.transaction().execute((trx) => sql`select * from audit_lock_head(${ws})`.execute(trx)),
      ),
      /not in this transaction's data scope/,
    );
  });
});
