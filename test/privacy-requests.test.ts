import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import type { HttpApp } from '../src/http/index.ts';
import { call } from './support/http.ts';
import { findInMemory } from './support/privacy-scan.ts';
import { workflowRunRow, workflowStepRow } from './support/rows.ts';
import { DIALECTS, eventually, startTestApp, stopTestApp, type TestRuntime } from './support/runtime.ts';

const ACTOR = { type: 'system' as const, id: 'test' };

for (const dialect of DIALECTS) {
  describe(`data-subject requests and consent (${dialect})`, () => {
    let runtime: TestRuntime;
    let http: HttpApp;
    const A = { workspaceId: '', organisationId: '', apiKey: '' };
    const ctx = () => ({ workspaceId: A.workspaceId, organisationId: A.organisationId });

    before(async () => {
      ({ runtime, http } = await startTestApp(dialect));
      const a = await runtime.tenants.createWorkspace({ name: 'A', organisation: 'Org A', actor: ACTOR });
      Object.assign(A, {
        workspaceId: a.workspace.id,
        organisationId: a.workspace.organisationId,
        apiKey: a.apiKey,
      });
      runtime.startWorkers(2);
    });
    after(async () => {
      await stopTestApp({ runtime, http });
    });

    const submit = async (body: Record<string, unknown>) => {
      const accepted = await call(http.app, 'POST', '/v1/leads', { key: A.apiKey, body });
      assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
      return eventually(async () => {
        const event = await call(http.app, 'GET', `/v1/events/${accepted.body.eventId}`, { key: A.apiKey });
        return (event.body.leadId as string | null) ?? undefined;
      });
    };
    const file = (body: Record<string, unknown>) =>
      call(http.app, 'POST', '/v1/privacy/requests', { key: A.apiKey, body });
    const requestCount = async () =>
      (
        await inWorkspace(A.workspaceId, () =>
          runtime.inspect
            .selectFrom('privacy_requests')
            .select('id')
            .where('workspace_id', '=', A.workspaceId)
            .execute(),
        )
      ).length;
    const stateOf = async (leadId: string) =>
      (await call(http.app, 'GET', `/v1/leads/${leadId}/consents`, { key: A.apiKey })).body.state as {
        purposes: Record<string, { allowed: boolean; method: string | null }>;
        restricted: boolean;
        saleOrShareOptOut: boolean;
        profilingAllowed: boolean;
      };

    it('answers an unknown subject and malformed requests with problem+json naming the field, storing nothing', async () => {
      const before = await requestCount();
      const unknown = await file({
        type: 'access',
        subject: { email: 'nobody@nowhere.example' },
        jurisdiction: 'gdpr',
      });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.errors?.[0]?.field, 'body.subject');
      const badType = await file({ type: 'forget', subject: { email: 'a@b.example' } });
      assert.equal(badType.status, 400);
      assert.ok(
        badType.body.errors?.some((e) => e.field === 'body.type'),
        JSON.stringify(badType.body),
      );
      const noChanges = await file({ type: 'rectification', subject: { email: 'a@b.example' } });
      assert.ok(
        noChanges.body.errors?.some((e) => e.field === 'body.changes'),
        JSON.stringify(noChanges.body),
      );
      const noSubject = await file({ type: 'access', subject: {} });
      assert.ok(
        noSubject.body.errors?.some((e) => e.field.startsWith('body.subject')),
        JSON.stringify(noSubject.body),
      );
      assert.equal(await requestCount(), before);
    });

    it('records consent through the API, derives the state and takes a withdrawal at once', async () => {
      const leadId = await submit({ email: 'consent@ledger.example' });
      const granted = await call(http.app, 'POST', `/v1/leads/${leadId}/consents`, {
        key: A.apiKey,
        body: {
          entries: [{ purpose: 'sms', action: 'grant', noticeVersion: 'v7', noticeText: 'We may text you.' }],
        },
      });
      assert.equal(granted.status, 201, JSON.stringify(granted.body));
      assert.equal((await stateOf(leadId)).purposes.sms?.allowed, true);
      const withdrawn = await call(http.app, 'POST', `/v1/leads/${leadId}/consents`, {
        key: A.apiKey,
        body: { entries: [{ purpose: 'sms', action: 'withdraw' }] },
        headers: { 'sec-gpc': '1' },
      });
      assert.equal(withdrawn.status, 201);
      const state = await stateOf(leadId);
      assert.equal(state.purposes.sms?.allowed, false);
      assert.equal(state.saleOrShareOptOut, true, 'Sec-GPC on the consent call opts out of sale/share');
      const history = (await call(http.app, 'GET', `/v1/leads/${leadId}/consents`, { key: A.apiKey })).body
        .history as { noticeHash: string | null }[];
      assert.equal(history.length, 3, 'append-only: grant, withdrawal, GPC opt-out');
      assert.match(history[0]?.noticeHash ?? '', /^[0-9a-f]{64}$/);
      const bad = await call(http.app, 'POST', `/v1/leads/${leadId}/consents`, {
        key: A.apiKey,
        body: { entries: [{ purpose: 'SMS!', action: 'grant' }] },
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.errors?.[0]?.field, 'body.entries.0.purpose');
    });

    it('restriction and objection stop profiling: the next submission is not scored and does not qualify', async () => {
      const leadId = await submit({ email: 'restrict@me.example', title: 'CTO' });
      const lead = await call(http.app, 'GET', `/v1/leads/${leadId}`, { key: A.apiKey });
      assert.ok((lead.body.score as number) > 0, 'scored by the point rules before the request');
      const restricted = await file({
        type: 'restriction',
        subject: { email: 'RESTRICT@me.example' },
        jurisdiction: 'gdpr',
      });
      assert.equal(restricted.status, 201, JSON.stringify(restricted.body));
      assert.equal((await stateOf(leadId)).restricted, true);
      const other = await submit({ email: 'object@me.example', title: 'CTO' });
      const objected = await file({
        type: 'objection',
        subject: { email: 'object@me.example' },
        jurisdiction: 'gdpr',
      });
      assert.equal(objected.body.status, 'completed');
      const objectedState = await stateOf(other);
      assert.equal(objectedState.profilingAllowed, false);
      assert.equal(objectedState.purposes.email_marketing?.allowed, false);
      // A later submission of the objecting person: kept, merged, but scored by nothing.
      await submit({ email: 'object@me.example', title: 'CTO', company: 'Objectors Ltd' });
      const after = await call(http.app, 'GET', `/v1/leads/${other}`, { key: A.apiKey });
      assert.equal(after.body.score, 0);
      assert.deepEqual(
        (after.body.scoreBreakdown as { ruleId: string }[]).map((l) => l.ruleId),
        ['privacy.not_profiled'],
      );
      const optOut = await file({ type: 'opt_out', subject: { leadId }, jurisdiction: 'ccpa' });
      assert.equal(optOut.body.status, 'completed');
      assert.equal((await stateOf(leadId)).saleOrShareOptOut, true);
    });

    it('rectifies every matching lead, keeps the old and new values out of the audit trail in clear', async () => {
      const leadId = await submit({ email: 'wrong.name@rectify.example', name: 'Jon Smiht' });
      const fixed = await file({
        type: 'rectification',
        subject: { email: 'wrong.name@rectify.example' },
        changes: { name: 'Jon Smith' },
        jurisdiction: 'gdpr',
      });
      assert.equal(fixed.status, 201, JSON.stringify(fixed.body));
      assert.equal(fixed.body.status, 'completed');
      const lead = await call(http.app, 'GET', `/v1/leads/${leadId}`, { key: A.apiKey });
      assert.equal(lead.body.name, 'Jon Smith');
      const audit = await call(http.app, 'GET', `/v1/audit?subject=${leadId}&limit=50`, { key: A.apiKey });
      const entry = (audit.body.items as { action: string; data: Record<string, unknown> }[]).find(
        (e) => e.action === 'lead.rectified',
      );
      assert.ok(entry);
      assert.equal(JSON.stringify(audit.body).includes('Smiht'), false);
      assert.match(String(entry.data.sealed), /^sb2\./);
      const request = await call(http.app, 'GET', `/v1/privacy/requests/${fixed.body.id}`, { key: A.apiKey });
      assert.deepEqual(
        (request.body.steps as { step: string }[]).map((s) => s.step),
        ['received', 'started', 'completed'],
      );
    });

    it('resumes an erasure interrupted half-way: the crash leaves the whole person, the rerun removes all of them', async () => {
      const leadId = await submit({ email: 'crash@erase.example', name: 'Crash Test' });
      let failOnce = true;
      runtime.privacy.holders.register({
        name: 'test.crash',
        tables: [],
        action: 'delete',
        export: async () => [],
        erase: async () => {
          if (failOnce) {
            failOnce = false;
            throw new Error('simulated crash between holders');
          }
          return 0;
        },
      });
      const filed = await inWorkspace(A.workspaceId, () =>
        runtime.privacy.requests.submit(
          ctx(),
          { type: 'erasure', subject: { email: 'crash@erase.example' }, jurisdiction: 'gdpr' },
          { actor: ACTOR, origin: 'cli', run: false },
        ),
      );
      await assert.rejects(
        inWorkspace(A.workspaceId, () => runtime.privacy.requests.run(ctx(), filed.id, ACTOR)),
        /simulated crash/,
      );
      assert.equal(
        (await call(http.app, 'GET', `/v1/leads/${leadId}`, { key: A.apiKey })).status,
        200,
        'nothing half-erased',
      );
      assert.equal(
        (await call(http.app, 'GET', `/v1/privacy/requests/${filed.id}`, { key: A.apiKey })).body.status,
        'in_progress',
      );
      const resumed = await inWorkspace(A.workspaceId, () => runtime.privacy.requests.resume(ctx(), ACTOR));
      assert.ok(resumed >= 1);
      assert.equal((await call(http.app, 'GET', `/v1/leads/${leadId}`, { key: A.apiKey })).status, 404);
      const done = await call(http.app, 'GET', `/v1/privacy/requests/${filed.id}`, { key: A.apiKey });
      assert.equal(done.body.status, 'completed');
      const again = await inWorkspace(A.workspaceId, () =>
        runtime.privacy.requests.run(ctx(), filed.id, ACTOR),
      );
      assert.equal(
        again.completedAt,
        done.body.completedAt ? Date.parse(done.body.completedAt as string) : null,
        'a rerun changes nothing',
      );
    });

    it('files a request on hold: the daily resume leaves it; the operator extends it once, then runs or rejects it (each step in the log and the audit trail)', async () => {
      const held = await submit({ email: 'held@verify.example', name: 'Hal Held' });
      const doubtful = await submit({ email: 'doubtful@verify.example' });
      const filed = await file({
        type: 'erasure',
        subject: { email: 'held@verify.example' },
        jurisdiction: 'ccpa',
        hold: true,
      });
      assert.equal(filed.status, 201, JSON.stringify(filed.body));
      assert.equal(filed.body.status, 'received');
      assert.equal(filed.body.held, true);
      const id = filed.body.id as string;
      await inWorkspace(A.workspaceId, () => runtime.privacy.requests.resume(ctx(), ACTOR));
      assert.equal(
        (await call(http.app, 'GET', `/v1/leads/${held}`, { key: A.apiKey })).status,
        200,
        'resume skips a held request',
      );

      const dueBefore = Date.parse(filed.body.dueAt as string);
      const extended = await call(http.app, 'POST', `/v1/privacy/requests/${id}/extend`, {
        key: A.apiKey,
        body: { reason: 'identity check needs a signed form' },
      });
      assert.equal(extended.status, 200, JSON.stringify(extended.body));
      assert.equal(extended.body.dueAt, filed.body.extendedDueAt);
      assert.deepEqual(
        (extended.body.steps as { step: string; detail: Record<string, unknown> }[]).find(
          (s) => s.step === 'extended',
        )?.detail.requesterNotified,
        false,
        'the history says Leadloop told nobody',
      );
      assert.equal(
        Date.parse(extended.body.dueAt as string) - dueBefore,
        45 * 86_400_000,
        'CCPA: 45 more days',
      );
      const twice = await call(http.app, 'POST', `/v1/privacy/requests/${id}/extend`, {
        key: A.apiKey,
        body: { reason: 'again' },
      });
      assert.equal(twice.status, 409);
      const noReason = await call(http.app, 'POST', `/v1/privacy/requests/${id}/extend`, {
        key: A.apiKey,
        body: {},
      });
      assert.equal(noReason.status, 400);
      assert.ok(
        noReason.body.errors?.some((e) => e.field === 'body.reason'),
        JSON.stringify(noReason.body),
      );

      const ran = await call(http.app, 'POST', `/v1/privacy/requests/${id}/run`, { key: A.apiKey });
      assert.equal(ran.status, 200, JSON.stringify(ran.body));
      assert.equal(ran.body.status, 'completed');
      assert.equal(ran.body.held, false);
      assert.equal((await call(http.app, 'GET', `/v1/leads/${held}`, { key: A.apiKey })).status, 404);
      assert.deepEqual(
        (ran.body.steps as { step: string }[]).map((step) => step.step),
        ['received', 'extended', 'started', 'completed'],
      );
      const lateReject = await call(http.app, 'POST', `/v1/privacy/requests/${id}/reject`, {
        key: A.apiKey,
        body: { reason: 'too late' },
      });
      assert.equal(lateReject.status, 409, 'a completed request cannot be rejected');

      const other = await file({ type: 'access', subject: { email: 'doubtful@verify.example' }, hold: true });
      const rejected = await call(http.app, 'POST', `/v1/privacy/requests/${other.body.id}/reject`, {
        key: A.apiKey,
        body: { reason: 'identity not verified' },
      });
      assert.equal(rejected.status, 200, JSON.stringify(rejected.body));
      assert.equal(rejected.body.status, 'rejected');
      assert.deepEqual(rejected.body.result, { rejected: 'identity not verified' });
      const sealed = await inWorkspace(A.workspaceId, () =>
        runtime.inspect
          .selectFrom('privacy_requests')
          .select(['subject_sealed', 'changes_sealed'])
          .where('id', '=', other.body.id as string)
          .executeTakeFirstOrThrow(),
      );
      assert.deepEqual(
        { ...sealed },
        { subject_sealed: null, changes_sealed: null },
        'the filed subject is cleared at once',
      );
      const runRejected = await call(http.app, 'POST', `/v1/privacy/requests/${other.body.id}/run`, {
        key: A.apiKey,
      });
      assert.equal(runRejected.status, 409);
      assert.equal((await call(http.app, 'GET', `/v1/leads/${doubtful}`, { key: A.apiKey })).status, 200);
      const actions = await inWorkspace(A.workspaceId, () =>
        runtime.inspect
          .selectFrom('audit_log')
          .select(['action', 'reason', 'data'])
          .where('subject', 'in', [id, other.body.id as string])
          .orderBy('seq')
          .execute(),
      );
      assert.deepEqual(
        actions.map((a) => a.action),
        [
          'privacy.request.received',
          'privacy.request.extended',
          'privacy.request.started',
          'privacy.request.completed',
          'privacy.request.received',
          'privacy.request.rejected',
        ],
      );
      // The operator's free-text reasons may name the person: the audit trail holds them sealed only.
      const trail = JSON.stringify(actions);
      for (const words of ['identity not verified', 'identity check needs a signed form'])
        assert.ok(!trail.includes(words), `the audit trail does not hold "${words}" in clear`);
    });

    it('sweeps retention: erases old unconverted leads (and their cached council decisions), keeps converted ones, deletes finished workflow runs past their days, reports, and a rerun removes nothing', async () => {
      const stale = await submit({ email: 'stale@retention.example' });
      const customer = await submit({ email: 'customer@retention.example' });
      // A council decision about the stale lead sits in the reuse cache until the sweep erases the lead.
      const asked = await call(http.app, 'POST', '/v1/council/questions', {
        key: A.apiKey,
        body: { type: 'lead.next_action', leadId: stale },
      });
      assert.equal(asked.status, 200, JSON.stringify(asked.body));
      assert.deepEqual(
        findInMemory(await runtime.decisionCache.held(A.workspaceId), [stale]),
        [stale],
        'the cache scan finds the decision before the sweep',
      );
      await call(http.app, 'POST', `/v1/leads/${customer}/outcome`, {
        key: A.apiKey,
        body: { converted: true },
      });
      const put = await call(http.app, 'PUT', '/v1/privacy/retention', {
        key: A.apiKey,
        body: {
          unconvertedLeadsDays: 30,
          transcriptsDays: 30,
          rawPayloadsDays: 30,
          decisionsDays: 30,
          workflowRunsDays: 30,
        },
      });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      const old = Date.now() - 40 * 86_400_000;
      // Workflow runs: one finished long ago (goes), one finished lately and one still waiting
      // since long ago (both stay: a waiting run needs its memoised steps to resume).
      const run = (id: string, status: string, at: number) =>
        workflowRunRow(id, A.workspaceId, 'wf_retention', customer, at, {
          trigger: 'lead.qualified',
          status,
          finished_at: status === 'running' ? null : at,
        });
      const step = (runId: string, at: number) =>
        workflowStepRow(
          A.workspaceId,
          runId,
          { id: 'mail', type: 'send_email', output: { messageId: '<m@acme.example>' } },
          at,
        );
      const runIds = {
        old: 'wfr_retention_old',
        recent: 'wfr_retention_recent',
        waiting: 'wfr_retention_wait',
      };
      await inWorkspace(A.workspaceId, async () => {
        await runtime.inspect
          .insertInto('workflow_runs')
          .values([
            run(runIds.old, 'completed', old),
            run(runIds.recent, 'completed', Date.now()),
            run(runIds.waiting, 'running', old),
          ])
          .execute();
        await runtime.inspect
          .insertInto('workflow_steps')
          .values([step(runIds.old, old), step(runIds.recent, Date.now()), step(runIds.waiting, old)])
          .execute();
      });
      await inWorkspace(A.workspaceId, async () => {
        await runtime.inspect
          .updateTable('leads')
          .set({ updated_at: old })
          .where('id', 'in', [stale, customer])
          .execute();
        await runtime.inspect
          .updateTable('events')
          .set({ created_at: old })
          .where('lead_id', 'in', [stale, customer])
          .execute();
      });
      const report = await inWorkspace(A.workspaceId, () => runtime.privacy.retention.sweep(ctx(), ACTOR));
      assert.ok(report.removed.unconvertedLeads >= 1, JSON.stringify(report));
      assert.equal((await call(http.app, 'GET', `/v1/leads/${stale}`, { key: A.apiKey })).status, 404);
      assert.deepEqual(
        findInMemory(await runtime.decisionCache.held(A.workspaceId), [stale]),
        [],
        'the sweep purged the erased lead’s decisions from the council cache',
      );
      assert.equal((await call(http.app, 'GET', `/v1/leads/${customer}`, { key: A.apiKey })).status, 200);
      const customerEvent = await inWorkspace(A.workspaceId, () =>
        runtime.inspect
          .selectFrom('events')
          .select('payload')
          .where('lead_id', '=', customer)
          .executeTakeFirstOrThrow(),
      );
      assert.equal(customerEvent.payload, '{}', 'raw payload blanked after 30 days');
      // The job queued by the PUT may have swept first: the rows left are what count.
      assert.ok(report.removed.workflowRuns <= 1, JSON.stringify(report));
      const left = await inWorkspace(A.workspaceId, async () => ({
        runs: (
          await runtime.inspect
            .selectFrom('workflow_runs')
            .select('id')
            .where('workflow_id', '=', 'wf_retention')
            .orderBy('id')
            .execute()
        ).map((r) => r.id),
        steps: (
          await runtime.inspect
            .selectFrom('workflow_steps')
            .select('run_id')
            .where('run_id', 'in', Object.values(runIds))
            .orderBy('run_id')
            .execute()
        ).map((r) => r.run_id),
      }));
      assert.deepEqual(left.runs, [runIds.recent, runIds.waiting]);
      assert.deepEqual(left.steps, [runIds.recent, runIds.waiting]);
      const rerun = await inWorkspace(A.workspaceId, () => runtime.privacy.retention.sweep(ctx(), ACTOR));
      assert.deepEqual(rerun.removed, {
        unconvertedLeads: 0,
        transcripts: 0,
        rawPayloads: 0,
        decisions: 0,
        workflowRuns: 0,
      });
      const shown = await call(http.app, 'GET', '/v1/privacy/retention', { key: A.apiKey });
      assert.equal(shown.body.isDefault, false);
      assert.ok(shown.body.lastReport);
    });
  });
}
