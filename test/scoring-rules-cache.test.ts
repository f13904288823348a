import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KyselyPlugin } from 'kysely';
import { inWorkspace } from '../src/core/index.ts';
import { createRulesRepository } from '../src/scoring/index.ts';
import { createTestRuntime, type TestRuntime, testWorkspace } from './support/runtime.ts';
import { FINTECH_RULES } from './support/scoring-fixtures.ts';

/**
 * The point rules are cached for a second per workspace. A read that began before a change of the
 * rules (a pipeline set's transaction still seeing the old ones) must not put the old rules back in
 * the cache after the change cleared it: the full suite on PostgreSQL once scored a lead with the
 * rules of the test before.
 */
// On PostgreSQL: SQLite's one connection would hold the change back behind the held read (and a
// pipeline set there holds the write lock, so the race cannot happen).
describe('scoring rules cache (postgres)', {
  skip: !process.env.TEST_DATABASE_URL && 'needs TEST_DATABASE_URL',
}, () => {
  let runtime: TestRuntime;
  let ctx: { workspaceId: string; organisationId: string };
  before(async () => {
    runtime = await createTestRuntime('postgres');
    const ws = await testWorkspace(runtime, 'Rules cache');
    ctx = { workspaceId: ws.workspaceId, organisationId: ws.organisationId };
  });
  after(() => runtime.dispose());

  it('does not cache what a read begun before a change returns', () =>
    inWorkspace(ctx.workspaceId, async () => {
      const rules = createRulesRepository({
        store: runtime.store,
        clock: runtime.clock,
        audit: runtime.audit,
      });
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      // Holds the read's result back until the change has committed.
      const slow: KyselyPlugin = {
        transformQuery: (args) => args.node,
        transformResult: async (args) => {
          await held;
          return args.result;
        },
      };
      const reading = rules.get(runtime.store.db.withPlugin(slow), ctx);
      const changed = await rules.put(ctx, FINTECH_RULES, { type: 'system', id: 'test' });
      release();
      assert.equal((await reading).version, 0, 'the held read saw the rules before the change');
      assert.equal(changed.version, 1);
      assert.equal((await rules.get(runtime.store.db, ctx)).version, 1);
    }));
});
