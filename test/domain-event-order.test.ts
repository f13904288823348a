import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { inWorkspace } from '../src/core/index.ts';
import { type Db, takeEventTurn, withSavepoint } from '../src/store/index.ts';
import { createTestRuntime, type TestRuntime } from './support/runtime.ts';

/**
 * A stream reader keeps the last position it saw, so a workspace's events must become visible in
 * position order. On PostgreSQL positions come from a sequence at insert time; without ordering,
 * a slow transaction's earlier position appeared after a reader had moved past it (an SSE test
 * lost its events under CI load).
 */
const enabled = Boolean(process.env.TEST_DATABASE_URL);

describe('domain event positions (postgres)', {
  skip: enabled ? false : 'TEST_DATABASE_URL is not set',
}, () => {
  let runtime: TestRuntime;
  let workspaceId = '';

  before(async () => {
    runtime = await createTestRuntime('postgres');
    const created = await runtime.tenants.createWorkspace({
      name: 'Order',
      actor: { type: 'system', id: 't' },
    });
    workspaceId = created.workspace.id;
  });
  after(async () => {
    await runtime.dispose();
  });

  /**
   * A transaction of the workspace that runs `first`, then stays open until `release()` before it
   * runs `then` and commits: `entered` resolves once `first` has run, `done` once it has committed.
   */
  const heldOpen = (first: (trx: Db) => Promise<unknown>, then?: (trx: Db) => Promise<unknown>) => {
    const { promise: entered, resolve: enter } = Promise.withResolvers<void>();
    const { promise: released, resolve: release } = Promise.withResolvers<void>();
    const done = inWorkspace(workspaceId, () =>
      runtime.store.transaction(async (trx) => {
        await first(trx);
        enter();
        await released;
        await then?.(trx);
      }),
    );
    return { entered, release, done };
  };

  it('makes a later writer wait for the earlier one, so no reader skips a position', async () => {
    const event = (subject: string) => [{ type: 'lead.created' as const, subject, data: {} }];
    const first = heldOpen((trx) => runtime.events.append(trx, workspaceId, event('first')));
    await first.entered;
    let secondDone = false;
    const second = inWorkspace(workspaceId, () =>
      runtime.store.transaction(async (trx) => {
        await runtime.events.append(trx, workspaceId, event('second'));
      }),
    ).then(() => {
      secondDone = true;
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(secondDone, false, 'the second writer waits while the first is open');
      const midway = await inWorkspace(workspaceId, () => runtime.events.readSince(workspaceId, 0));
      assert.deepEqual(midway, [], 'nothing is visible before the first commits');
    } finally {
      // Closes the first transaction even when an assertion failed, so the test ends.
      first.release();
    }
    await Promise.all([first.done, second]);
    const all = await inWorkspace(workspaceId, () => runtime.events.readSince(workspaceId, 0));
    assert.deepEqual(
      all.map((e) => e.subject),
      ['first', 'second'],
    );
    assert.ok((all[0]?.seq ?? 0) < (all[1]?.seq ?? 0));
  });
  it("orders a workspace's locks, event turn before audit head, so an audit-first writer and an event-first writer never deadlock", async () => {
    // Before: the pipeline took the event turn then the audit head, a workflow step's settle the head
    // then the turn; with both open PostgreSQL failed one with "deadlock detected" (retried after a
    // backoff: PostgreSQL + Redis workflow runs fell to 14/s). Now the audit append takes the turn first.
    const actor = { type: 'system' as const, id: 'lock-order' };
    const record = (action: string) => ({ actor, action, subject: workspaceId, reason: 'lock order' });
    const event = (subject: string) => [{ type: 'lead.created' as const, subject, data: {} }];
    const eventFirst = heldOpen(
      (trx) => runtime.events.takeTurn(trx, workspaceId),
      (trx) => runtime.audit.append(trx, workspaceId, record('event.first')),
    );
    await eventFirst.entered;
    const auditFirst = inWorkspace(workspaceId, () =>
      runtime.store.transaction(async (trx) => {
        await runtime.audit.append(trx, workspaceId, record('audit.first'));
        await runtime.events.append(trx, workspaceId, event('audit-first'));
      }),
    );
    // Give the audit-first writer time to take what it can before the first one goes on.
    await new Promise((resolve) => setTimeout(resolve, 300));
    eventFirst.release();
    const results = await Promise.allSettled([eventFirst.done, auditFirst]);
    assert.deepEqual(
      results.map((r) => (r.status === 'rejected' ? String((r.reason as Error).message) : 'ok')),
      ['ok', 'ok'],
    );
    const verified = await inWorkspace(workspaceId, () => runtime.audit.verify({ workspaceId }));
    assert.deepEqual(verified.problems, []);
  });

  it('takes the turn again after a rollback to a savepoint gave it back', async () => {
    // Whether this transaction's backend holds an advisory lock (the turn is the only one here).
    const holds = async (trx: Db) => {
      const { rows } = await sql<{ n: string }>`
        select count(*) as n from pg_locks
         where locktype = 'advisory' and granted and pid = pg_backend_pid()`.execute(trx);
      return Number(rows[0]?.n) > 0;
    };
    await inWorkspace(workspaceId, () =>
      runtime.store.transaction(async (trx) => {
        await assert.rejects(
          withSavepoint(trx, async () => {
            await takeEventTurn(trx, workspaceId);
            assert.equal(await holds(trx), true);
            throw new Error('undone');
          }),
          /undone/,
        );
        assert.equal(await holds(trx), false, 'the rollback gave the turn back');
        // Remembered as held, it would be skipped here and the appends would run without it.
        await takeEventTurn(trx, workspaceId);
        assert.equal(await holds(trx), true);
        await takeEventTurn(trx, workspaceId);
        assert.equal(await holds(trx), true);
      }),
    );
  });
});
