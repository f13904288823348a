import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createManualClock, inWorkspace } from '../src/core/index.ts';
import type { HttpApp } from '../src/http/index.ts';
import { call } from './support/http.ts';
import { feedMinutes, steadyTraffic } from './support/optimiser-feed.ts';
import { DIALECTS, startTestApp, stopTestApp, type TestRuntime } from './support/runtime.ts';
import { callWithSession, signIn } from './support/session.ts';

const ACTOR = { type: 'system' as const, id: 'test' };
const START_MINUTE = Math.floor(Date.UTC(2026, 4, 4) / 60_000);

for (const dialect of DIALECTS) {
  describe(`optimiser API (${dialect})`, () => {
    let runtime: TestRuntime;
    let http: HttpApp;
    const clock = createManualClock(START_MINUTE * 60_000);
    const A = { workspaceId: '', key: '' };
    const asA = (method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) =>
      call(http.app, method, url, { key: A.key, body });
    const stored = () =>
      inWorkspace(A.workspaceId, () =>
        runtime.predictive.insights.storedThresholds(runtime.store.db, A.workspaceId),
      );
    const auditActions = async () =>
      (await inWorkspace(A.workspaceId, () => runtime.audit.list(A.workspaceId, { limit: 500 }))).items.map(
        (e) => e.action,
      );
    let minute = START_MINUTE;

    before(async () => {
      ({ runtime, http } = await startTestApp(dialect, { clock, scheduleTickMs: 0 }));
      const a = await runtime.tenants.createWorkspace({ name: 'Opt', organisation: 'Org Opt', actor: ACTOR });
      Object.assign(A, { workspaceId: a.workspace.id, key: a.apiKey });
      // Thresholds as scoring would have computed them from a champion's outcomes.
      await runtime.inspect
        .insertInto('scoring_state')
        .values({
          workspace_id: A.workspaceId,
          settings: JSON.stringify({ valuePerConversion: 1000, costPerLead: 50 }),
          settings_version: 1,
          thresholds: JSON.stringify({
            segmentBy: 'source',
            valuePerConversion: 1000,
            costPerLead: 50,
            outcomes: 400,
            workspace: 0.2,
            segments: { web: 0.25 },
            computedAt: clock.now(),
          }),
          training: null,
          learning: JSON.stringify({}),
          updated_at: clock.now(),
        })
        .execute();
      await feedMinutes(runtime, clock, A.workspaceId, minute, 300, steadyTraffic);
      minute += 300;
      await runtime.optimiser.monitor(A.workspaceId);
    });
    after(async () => {
      await stopTestApp({ runtime, http });
    });

    it('applies a bounded nudge with a guard, and rolls it back by itself when qualification collapses', async () => {
      const asked = await asA('POST', '/v1/optimiser/adjustments', {
        kind: 'threshold_nudge',
        delta: 0.1,
        reason: 'fewer, better leads',
      });
      assert.equal(asked.status, 201, JSON.stringify(asked.body));
      assert.equal(asked.body.status, 'applied');
      assert.deepEqual(
        asked.body.after,
        { workspace: 0.23, segments: { web: 0.28 } },
        'clamped to the 0.03 step',
      );
      const guard = asked.body.guard as {
        baseline: { rate: number; arrivals: number };
        maxRelativeDrop: number;
      };
      assert.equal(guard.maxRelativeDrop, 0.5, 'a raise is guarded by the raise bound');
      assert.ok(guard.baseline.arrivals >= 600 && Math.abs(guard.baseline.rate - 0.5) < 0.01);
      assert.deepEqual(await stored(), { workspace: 0.23, segments: { web: 0.28 } });
      // A second nudge within the hour is over the policy's rate: recorded, not applied.
      const again = await asA('POST', '/v1/optimiser/adjustments', {
        kind: 'threshold_nudge',
        delta: 0.03,
        reason: 'more',
      });
      assert.equal(again.body.status, 'proposed');
      assert.match(again.body.reason as string, /1 threshold nudge\(s\) an hour/);
      assert.deepEqual(await stored(), { workspace: 0.23, segments: { web: 0.28 } });
      // Nothing qualifies any more: the guard's sequential test fires within minutes.
      await feedMinutes(runtime, clock, A.workspaceId, minute, 12, () => ({
        web: { arrivals: 2, qualified: 0 },
        ads: { arrivals: 1, qualified: 0 },
      }));
      minute += 12;
      const report = await runtime.optimiser.monitor(A.workspaceId);
      assert.deepEqual(report.adjustments, [{ id: asked.body.id, status: 'rolled_back' }]);
      assert.deepEqual(
        await stored(),
        { workspace: 0.2, segments: { web: 0.25 } },
        'the thresholds before it',
      );
      const listed = await asA('GET', '/v1/optimiser/adjustments?status=rolled_back');
      const rolled = (listed.body.items as { id: string; settlement: string }[]).find(
        (x) => x.id === asked.body.id,
      );
      assert.match(rolled?.settlement ?? '', /guard fired: qualification rate 0\.0%/);
      const actions = await auditActions();
      assert.ok(actions.includes('optimiser.change_applied'));
      assert.ok(actions.includes('optimiser.change_proposed'));
      assert.ok(actions.includes('optimiser.change_rolled_back'));
      assert.equal(
        actions.filter((a) => a === 'scoring.thresholds_adjusted').length,
        2,
        'applied and undone',
      );
      const streamed = await inWorkspace(A.workspaceId, () =>
        runtime.events.readSince(A.workspaceId, 0, 100_000),
      );
      assert.ok(
        streamed.some((e) => e.type === 'optimiser.adjustment_settled' && e.subject === asked.body.id),
      );
    });

    it('lists the alert the collapse opened, acknowledges it once, and refuses a resolved one', async () => {
      // The collapse above also tripped the qualification detector (it keeps running after a rollback).
      await feedMinutes(runtime, clock, A.workspaceId, minute, 30, () => ({
        web: { arrivals: 2, qualified: 0 },
        ads: { arrivals: 1, qualified: 0 },
      }));
      minute += 30;
      await runtime.optimiser.monitor(A.workspaceId);
      const open = await asA('GET', '/v1/alerts?status=open');
      assert.equal(open.status, 200);
      const items = open.body.items as { id: string; kind: string; evidence: { metric: string } }[];
      assert.ok(items.length >= 1, JSON.stringify(open.body));
      const alert = items[0]!;
      assert.equal(alert.kind, 'qualification_drop');
      // A member acknowledges it in the console; the alert names them, not their id.
      const member = await runtime.users.createUser({
        email: 'dana@opt.example.com',
        name: 'Dana Operator',
        password: 'correct horse battery',
        workspaceId: A.workspaceId,
        actor: ACTOR,
      });
      await runtime.users.grantRole({
        userId: member.id,
        workspaceId: A.workspaceId,
        role: 'member',
        actor: ACTOR,
      });
      const session = await signIn(http.app, 'dana@opt.example.com', 'correct horse battery');
      const acked = await callWithSession(http.app, session, 'POST', `/v1/alerts/${alert.id}/ack`, {
        note: 'looking into it',
      });
      assert.equal(acked.status, 200, JSON.stringify(acked.body));
      assert.equal(acked.body.status, 'acknowledged');
      assert.equal(acked.body.acknowledgedBy, member.id);
      assert.equal(acked.body.acknowledgedByName, 'Dana Operator');
      const listed = (await asA('GET', '/v1/alerts?status=acknowledged')).body.items as {
        id: string;
        acknowledgedByName: string | null;
      }[];
      assert.equal(listed.find((a) => a.id === alert.id)?.acknowledgedByName, 'Dana Operator');
      assert.equal((await asA('POST', `/v1/alerts/${alert.id}/ack`)).body.status, 'acknowledged');
      assert.equal((await asA('GET', '/v1/alerts?status=open')).body.items?.length, items.length - 1);
      assert.equal((await asA('GET', `/v1/alerts/alr_${'0'.repeat(26)}`)).status, 404);
      const acks = (await auditActions()).filter((a) => a === 'optimiser.alert_acknowledged');
      assert.equal(acks.length, 1, 'acknowledged once, audited once');
      // Back to normal for over an hour: the detector resolves it; a resolved alert takes no ack.
      await feedMinutes(runtime, clock, A.workspaceId, minute, 70, steadyTraffic);
      minute += 70;
      await runtime.optimiser.monitor(A.workspaceId);
      const resolved = await asA('GET', `/v1/alerts/${alert.id}`);
      assert.equal(resolved.body.status, 'resolved', JSON.stringify(resolved.body));
      assert.equal((await asA('POST', `/v1/alerts/${alert.id}/ack`)).status, 409);
    });

    it('rolls a change back by hand in one call, and makes no change while the policy is off', async () => {
      clock.advance(3_700_000);
      const asked = await asA('POST', '/v1/optimiser/adjustments', {
        kind: 'threshold_nudge',
        delta: -0.02,
        reason: 'more leads for the new reps',
      });
      assert.equal(asked.body.status, 'applied', JSON.stringify(asked.body));
      assert.deepEqual(await stored(), { workspace: 0.18, segments: { web: 0.23 } });
      const undone = await asA('POST', `/v1/optimiser/adjustments/${asked.body.id}/rollback`, {
        reason: 'reps are full',
      });
      assert.equal(undone.status, 200, JSON.stringify(undone.body));
      assert.equal(undone.body.status, 'rolled_back');
      assert.deepEqual(await stored(), { workspace: 0.2, segments: { web: 0.25 } });
      assert.equal(
        (await asA('POST', `/v1/optimiser/adjustments/${asked.body.id}/rollback`, { reason: 'again' }))
          .status,
        409,
      );
      const off = await asA('PUT', '/v1/optimiser/policy', { enabled: false });
      assert.equal(off.status, 200);
      assert.equal(off.body.version, 1);
      clock.advance(3_700_000);
      const refused = await asA('POST', '/v1/optimiser/adjustments', {
        kind: 'threshold_nudge',
        delta: 0.01,
        reason: 'while off',
      });
      assert.equal(refused.body.status, 'proposed');
      assert.match(refused.body.reason as string, /switched off for this workspace/);
      assert.deepEqual(await stored(), { workspace: 0.2, segments: { web: 0.25 } });
      assert.equal((await asA('GET', '/v1/optimiser/policy')).body.enabled, false);
      assert.ok((await auditActions()).includes('optimiser.policy_updated'));
    });

    it('approves a proposed change within bounds and guarded, audited with the caller; rejects another; decides each once', async () => {
      clock.advance(3_700_000);
      const proposed = await asA('POST', '/v1/optimiser/adjustments', {
        kind: 'threshold_nudge',
        delta: 0.01,
        reason: 'held for a person while the policy is off',
      });
      assert.equal(proposed.body.status, 'proposed', JSON.stringify(proposed.body));
      const approved = await asA('POST', `/v1/optimiser/adjustments/${proposed.body.id}/approve`, {
        note: 'go ahead',
      });
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      assert.equal(approved.body.status, 'applied');
      assert.ok(approved.body.guard, 'watched by a guard like an automatic change');
      assert.match(approved.body.reason as string, /approved by api_key .*: go ahead/);
      assert.deepEqual(await stored(), { workspace: 0.21, segments: { web: 0.26 } });
      const entries = (
        await inWorkspace(A.workspaceId, () =>
          runtime.audit.list(A.workspaceId, { subject: proposed.body.id as string, limit: 10 }),
        )
      ).items;
      const approval = entries.find((e) => e.action === 'optimiser.change_approved');
      assert.equal(approval?.actor.type, 'api_key', 'the caller is the actor');
      const twice = await asA('POST', `/v1/optimiser/adjustments/${proposed.body.id}/approve`);
      assert.equal(twice.status, 409);
      assert.equal(twice.body.errors?.[0]?.field, 'path.id');
      const undone = await asA('POST', `/v1/optimiser/adjustments/${proposed.body.id}/rollback`, {
        reason: 'changed my mind',
      });
      assert.equal(undone.body.status, 'rolled_back');
      assert.deepEqual(await stored(), { workspace: 0.2, segments: { web: 0.25 } });

      const other = await asA('POST', '/v1/optimiser/adjustments', {
        kind: 'threshold_nudge',
        delta: -0.01,
        reason: 'another one',
      });
      const rejected = await asA('POST', `/v1/optimiser/adjustments/${other.body.id}/reject`, { note: 'no' });
      assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
      assert.equal(rejected.body.status, 'rejected');
      assert.match(rejected.body.settlement as string, /rejected by api_key .*: no/);
      assert.equal((await asA('POST', `/v1/optimiser/adjustments/${other.body.id}/approve`)).status, 409);
      assert.deepEqual(await stored(), { workspace: 0.2, segments: { web: 0.25 } }, 'nothing applied');
      assert.ok((await auditActions()).includes('optimiser.change_rejected'));
      assert.equal(
        (await asA('POST', `/v1/optimiser/adjustments/adj_${'0'.repeat(26)}/approve`)).status,
        404,
      );
      const listed = await asA('GET', '/v1/optimiser/adjustments?status=rejected');
      assert.deepEqual(
        (listed.body.items as { id: string }[]).map((x) => x.id),
        [other.body.id],
      );
    });

    it('answers the guarantee report as JSON and CSV', async () => {
      const json = await asA('GET', '/v1/optimiser/guarantee?period=7d&periods=3&quantile=0.1');
      assert.equal(json.status, 200, JSON.stringify(json.body));
      assert.equal(json.body.periods, 3);
      const rows = json.body.rows as { segment: string; periodFrom: string; periodTo: string }[];
      assert.equal(rows.filter((r) => r.segment === 'all').length, 3, 'one `all` row per period');
      assert.equal(Date.parse(rows[0]!.periodTo) - Date.parse(rows[0]!.periodFrom), 7 * 86_400_000);
      const csv = await http.app.inject({
        method: 'GET',
        url: '/v1/optimiser/guarantee?period=7d&periods=3&format=csv',
        headers: { authorization: `Bearer ${A.key}` },
      });
      assert.equal(csv.statusCode, 200);
      assert.match(String(csv.headers['content-type']), /text\/csv/);
      const lines = csv.body.trim().split('\r\n');
      assert.equal(
        lines[0],
        'period_from,period_to,segment,qualified,expected,lower,upper,guaranteed,labelled,conversions,held',
      );
      assert.equal(lines.length, rows.length + 1);
      assert.equal((await asA('GET', '/v1/optimiser/guarantee?period=30')).status, 400);
    });
  });
}
