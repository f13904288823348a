import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createManualClock, createSeededRandom, inWorkspace } from '../src/core/index.ts';
import type { HttpApp } from '../src/http/index.ts';
import { call } from './support/http.ts';
import {
  DIALECTS,
  eventually,
  startAppWithWorkspace,
  stopTestApp,
  type TestRuntime,
} from './support/runtime.ts';
import { defineWorkflow } from './support/workflow-definition.ts';
import { createActiveWorkflow } from './support/workflow-fixtures.ts';

const ACTOR = { type: 'system' as const, id: 'test' };
const HOUR = 3_600_000;

/** A manual workflow whose split sends each run to one of two tagging variants. */
const splitWorkflow = defineWorkflow('Subject line test', [
  {
    id: 'ab',
    type: 'split',
    metric: 'conversion',
    variants: [
      { name: 'short', next: 'tag-short' },
      { name: 'long', next: 'tag-long' },
    ],
  },
  { id: 'tag-short', type: 'update_lead', addTags: ['short'] },
  { id: 'tag-long', type: 'update_lead', addTags: ['long'] },
]);

for (const dialect of DIALECTS) {
  describe(`workflow split by Thompson sampling (${dialect})`, () => {
    let runtime: TestRuntime;
    let http: HttpApp;
    let ws: { workspaceId: string; organisationId: string; apiKey: string };
    const clock = createManualClock(Date.UTC(2026, 5, 1));

    before(async () => {
      ({ runtime, http, ws } = await startAppWithWorkspace(dialect, {
        clock,
        random: createSeededRandom(17),
        scheduleTickMs: 0,
      }));
      runtime.startWorkers(2);
    });
    after(() => stopTestApp({ runtime, http }));

    /** Creates `n` leads, runs the workflow for each, and returns lead id → variant taken. */
    async function runLeads(
      workflowId: string,
      prefix: string,
      n: number,
      step = { id: 'ab', field: 'variant' },
    ) {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const accepted = await call(http.app, 'POST', '/v1/leads', {
          key: ws.apiKey,
          body: { email: `${prefix}-${i}@example.com`, name: `Lead ${i}`, country: 'US' },
        });
        assert.equal(accepted.status, 202);
      }
      await eventually(async () => {
        const rows = await runtime.inspect
          .selectFrom('leads')
          .select('id')
          .where('workspace_id', '=', ws.workspaceId)
          .where('email', 'like', `${prefix}-%`)
          .execute();
        if (rows.length < n) return undefined;
        ids.push(...rows.map((r) => r.id));
        return true;
      }, 60_000);
      const runs = new Map<string, string>();
      for (const leadId of ids) {
        // Round-robin turns come from the run's place in creation order: one run a second.
        clock.advance(1000);
        const started = await inWorkspace(ws.workspaceId, () =>
          runtime.workflows.service.run(ws, workflowId, { leadId }, ACTOR),
        );
        runs.set(started.runId, leadId);
      }
      const variants = new Map<string, string>();
      await eventually(async () => {
        const steps = await runtime.inspect
          .selectFrom('workflow_steps')
          .select(['run_id', 'output'])
          .where('workspace_id', '=', ws.workspaceId)
          .where('step_id', '=', step.id)
          .where('status', '=', 'completed')
          .where('run_id', 'in', [...runs.keys()])
          .execute();
        if (steps.length < n) return undefined;
        for (const s of steps)
          variants.set(runs.get(s.run_id) as string, JSON.parse(s.output ?? '{}')[step.field] as string);
        return true;
      }, 120_000);
      return variants;
    }

    /**
     * Records each lead's outcome: 3 in 4 of the leads that took `winner` convert, none of the
     * others. (With 1 in 10 of the others converting, a run in which the other variant's few
     * leads happened to hold the converting ones left it a posterior draw or two in 4,000: a weight
     * of 0.00025, not 0. Which leads take which variant follows the order the runs finish in.)
     */
    async function recordOutcomes(taken: Map<string, string>, winner: string) {
      const ctx = { workspaceId: ws.workspaceId, organisationId: ws.organisationId };
      let i = 0;
      for (const [leadId, value] of taken) {
        const converted = value === winner && i % 4 !== 0;
        i += 1;
        await inWorkspace(ws.workspaceId, () =>
          runtime.predictive.outcomes.record(ctx, leadId, { converted }, ACTOR, 'api'),
        );
      }
    }

    it('rebalances toward the variant whose leads convert, audited; the engine follows the new weights; one call rolls it back', async () => {
      const ctx = { workspaceId: ws.workspaceId, organisationId: ws.organisationId };
      const workflowId = await inWorkspace(ws.workspaceId, () =>
        createActiveWorkflow(runtime, ws, splitWorkflow),
      );
      // Let the split move all traffic in one decision, so the engine's use of the weights shows.
      await inWorkspace(ws.workspaceId, () =>
        runtime.optimiser.putPolicy(
          ctx,
          { variantSplit: { floor: 0, maxStep: 0.5, minOutcomes: 30 } },
          ACTOR,
        ),
      );
      const first = await runLeads(workflowId, 'split-a', 40);
      const taken = [...first.values()];
      assert.ok(taken.includes('short') && taken.includes('long'), 'equal starting weights use both');

      assert.deepEqual(
        await runtime.optimiser.splits.rebalance(ws.workspaceId),
        [],
        'no decision before the split has outcomes',
      );
      // Leads through `long` convert (3 in 4), leads through `short` do not (1 in 10).
      await recordOutcomes(first, 'long');
      const [change] = await runtime.optimiser.splits.rebalance(ws.workspaceId);
      assert.ok(change);
      assert.equal(change.kind, 'split_weights');
      assert.equal(change.status, 'applied');
      assert.equal(change.target, `workflow ${workflowId} split ab`);
      assert.deepEqual(change.before, { workflowId, stepId: 'ab', weights: {} });
      assert.deepEqual(change.after, { workflowId, stepId: 'ab', weights: { short: 0, long: 1 } });
      assert.match(change.reason, /Thompson sampling on conversion/);
      assert.match(change.reason, /long: \d+\/\d+ converted, posterior mean [\d.]+%, P\(best\) 100%/);
      const audited = await runtime.inspect
        .selectFrom('audit_log')
        .select(['action', 'subject'])
        .where('workspace_id', '=', ws.workspaceId)
        .where('subject', '=', change.id)
        .execute();
      assert.deepEqual(
        audited.map((a) => a.action),
        ['optimiser.change_applied'],
      );
      assert.deepEqual(
        await runtime.optimiser.splits.rebalance(ws.workspaceId),
        [],
        'at most one decision a split an hour',
      );

      const second = await runLeads(workflowId, 'split-b', 12);
      assert.deepEqual(
        new Set(second.values()),
        new Set(['long']),
        'every new run takes the favoured variant',
      );

      const listed = await call(http.app, 'GET', '/v1/optimiser/adjustments', { key: ws.apiKey });
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      const rolled = await call(http.app, 'POST', `/v1/optimiser/adjustments/${change.id}/rollback`, {
        key: ws.apiKey,
        body: { reason: 'the copy team wants the even split back' },
      });
      assert.equal(rolled.status, 200, JSON.stringify(rolled.body));
      assert.equal(rolled.body.status, 'rolled_back');
      const row = await runtime.inspect
        .selectFrom('split_weights')
        .selectAll()
        .where('workspace_id', '=', ws.workspaceId)
        .executeTakeFirst();
      assert.equal(row, undefined, "rolled back to the step's own weights");

      // Under a `propose` policy the next decision is recorded for a person and changes nothing.
      await inWorkspace(ws.workspaceId, () =>
        runtime.optimiser.putPolicy(ctx, { variantSplit: { mode: 'propose' } }, ACTOR),
      );
      clock.advance(HOUR + 1);
      const [proposed] = await runtime.optimiser.splits.rebalance(ws.workspaceId);
      assert.equal(proposed?.status, 'proposed');
      assert.match(proposed?.reason ?? '', /not applied: the policy records split changes for a person/);
      assert.equal(
        await runtime.inspect
          .selectFrom('split_weights')
          .select('weights')
          .where('workspace_id', '=', ws.workspaceId)
          .executeTakeFirst(),
        undefined,
      );
    });

    it('moves round-robin shares toward the owner whose leads convert, as a routing_weights change', async () => {
      const ctx = { workspaceId: ws.workspaceId, organisationId: ws.organisationId };
      const routing = defineWorkflow('Route to reps', [
        {
          id: 'route',
          type: 'assign_owner',
          strategy: 'round_robin',
          owners: [{ id: 'ann' }, { id: 'bob' }],
        },
      ]);
      const workflowId = await inWorkspace(ws.workspaceId, () => createActiveWorkflow(runtime, ws, routing));
      await inWorkspace(ws.workspaceId, () =>
        runtime.optimiser.putPolicy(
          ctx,
          { routingWeights: { mode: 'apply', floor: 0.1, maxStep: 0.3, minOutcomes: 30 } },
          ACTOR,
        ),
      );
      const step = { id: 'route', field: 'owner' };
      const first = await runLeads(workflowId, 'route-a', 40, step);
      assert.equal([...first.values()].filter((o) => o === 'ann').length, 20, 'plain round-robin alternates');
      await recordOutcomes(first, 'ann');
      const made = await runtime.optimiser.splits.rebalance(ws.workspaceId);
      const change = made.find((c) => c.kind === 'routing_weights');
      assert.ok(change, JSON.stringify(made));
      assert.equal(change.status, 'applied');
      assert.equal(change.target, `workflow ${workflowId} owners at route`);
      assert.deepEqual(change.after, { workflowId, stepId: 'route', weights: { ann: 0.8, bob: 0.2 } });
      assert.match(change.reason, /^Routing weights: Thompson sampling on conversion/);
      const second = await runLeads(workflowId, 'route-b', 20, step);
      const ann = [...second.values()].filter((o) => o === 'ann').length;
      assert.ok(ann >= 14 && ann <= 18, `ann took ${ann} of 20 at a 0.8 share`);
    });
  });
}
