import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateSecretKey, inWorkspace } from '../src/core/index.ts';
import type { HttpApp } from '../src/http/index.ts';
import { fingerprint } from '../src/ingest/index.ts';
import { rowToLead } from '../src/main/commands/import-command.ts';
import { call, sendSigned, sendWebhook } from './support/http.ts';
import {
  findInFiles,
  findInMemory,
  findInRedis,
  findInTables,
  schemaTables,
} from './support/privacy-scan.ts';
import { DIALECTS, eventually, startTestApp, stopTestApp, type TestRuntime } from './support/runtime.ts';
import { reportOutcomes, submitLeads, syntheticLeads } from './support/scoring-fixtures.ts';
import { type HttpSink, type SmtpSink, startHttpSink, startSmtpSink } from './support/sinks.ts';
import { defineWorkflow } from './support/workflow-definition.ts';
import { createActiveWorkflow, prepareWorkspace, runWhen } from './support/workflow-fixtures.ts';

/**
 * Issue 14's evaluation: one person enters through every entry point (signed webhook, API with
 * consent, a chat conversation to qualification, a CSV import of a duplicate, an outcome, a
 * council decision, a retrain), an access export holds all of it, erasure runs, and then every
 * table of the schema (and, on SQLite, the raw database and WAL bytes) is scanned for the person.
 */
const PERSON = {
  email: 'Zelda.Quarrington@quarrington-holdings.example',
  phone: '+44 20 7946 0321',
  name: 'Zelda Quarrington',
  company: 'Quarrington Holdings',
};
// Lower-case, so one needle covers the name, the company and the email's domain in any casing.
const NEEDLES = ['quarrington', '+442079460321', '2079460321', '7946 0321'];
const ACTOR = { type: 'system' as const, id: 'test' };

/** A manual run for the lead: a call to a CRM-like sink that answers with what it got, then a marketing e-mail. */
const FOLLOW_UP = (sinkUrl: string) =>
  defineWorkflow('Follow up', [
    { id: 'check', type: 'condition', when: { consent: { purposes: ['email_marketing'] } }, onTrue: 'crm' },
    {
      id: 'crm',
      type: 'http_request',
      method: 'POST',
      url: `${sinkUrl}/crm`,
      sharing: 'first_party',
      body: { name: '{{lead.name}}', company: '{{lead.company}}' },
      saveAs: 'crm',
      next: 'mail',
    },
    {
      id: 'mail',
      type: 'send_email',
      to: 'lead',
      purpose: 'marketing',
      subject: 'Welcome, {{lead.name}}',
      body: 'Hello {{lead.name}} of {{lead.company}}.',
    },
  ]);

/** An inbound hook whose body names the person but no lead: the run has no lead id, only the body. */
const INBOUND = (sinkUrl: string) =>
  defineWorkflow(
    'Inbound contact form',
    [
      {
        id: 'post',
        type: 'http_request',
        method: 'POST',
        url: `${sinkUrl}/inbound`,
        sharing: 'first_party',
        body: { email: '{{trigger.body.email}}' },
      },
    ],
    { type: 'webhook', path: 'contact-form' },
  );

for (const dialect of DIALECTS) {
  describe(`erasure leaves no trace (${dialect})`, () => {
    let runtime: TestRuntime;
    let http: HttpApp;
    let dir = '';
    const A = { workspaceId: '', apiKey: '', webhookSecret: '', widgetKey: '' };
    let leadId = '';
    /** The chat's own lead: an unverified chat claims the existing lead instead of merging into it. */
    let chatLeadId = '';
    let exportBody = '';
    let exportCsvText = '';
    let smtp: SmtpSink;
    let sink: HttpSink;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'leadloop-privacy-'));
      smtp = await startSmtpSink();
      // Echoes what it was sent, so the workflow step's stored output holds the person too.
      sink = await startHttpSink((request, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(request.body || '{}');
      });
      ({ runtime, http } = await startTestApp(dialect, {
        masterKey: generateSecretKey(),
        config: { LEADLOOP_SMTP_URL: smtp.url },
        ...(dialect === 'sqlite' ? { sqliteFile: join(dir, 'leadloop.db') } : {}),
      }));
      const a = await runtime.tenants.createWorkspace({ name: 'A', organisation: 'Org A', actor: ACTOR });
      Object.assign(A, {
        workspaceId: a.workspace.id,
        apiKey: a.apiKey,
        webhookSecret: a.webhookSecret,
        widgetKey: a.widgetKey,
      });
      await inWorkspace(A.workspaceId, () => prepareWorkspace(runtime, A.workspaceId));
      runtime.startWorkers(2);
      const settings = await call(http.app, 'PUT', '/v1/scoring/settings', {
        key: A.apiKey,
        body: { autoRetrain: false },
      });
      assert.equal(settings.status, 200, JSON.stringify(settings.body));
    });
    after(async () => {
      await stopTestApp({ runtime, http });
      await smtp.close();
      await sink.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const processedLead = (eventId: string) =>
      eventually(async () => {
        const event = await call(http.app, 'GET', `/v1/events/${eventId}`, { key: A.apiKey });
        if (event.body.status === 'failed') throw new Error(JSON.stringify(event.body));
        return (event.body.leadId as string | null) ?? undefined;
      }, 30_000);

    it('plants one person through every entry point, merged into one lead', async () => {
      const consent = {
        purposes: ['marketing'],
        textVersion: 'notice-v3',
        timestamp: '2026-12-01T10:00:00Z',
        method: 'form',
      };
      const hook = await sendWebhook(http.app, A.workspaceId, A.webhookSecret, {
        email: PERSON.email,
        name: PERSON.name,
        company: PERSON.company,
        consent,
      });
      assert.equal(hook.status, 202, JSON.stringify(hook.body));
      leadId = await processedLead(hook.body.eventId as string);

      const api = await call(http.app, 'POST', '/v1/leads', {
        key: A.apiKey,
        body: {
          email: PERSON.email,
          phone: PERSON.phone,
          title: 'CTO',
          consent: { ...consent, purposes: ['sales_contact'], method: 'api' },
        },
        headers: { 'idempotency-key': 'plant-1', 'sec-gpc': '1' },
      });
      assert.equal(api.status, 202, JSON.stringify(api.body));
      assert.equal(await processedLead(api.body.eventId as string), leadId);

      const started = await call(http.app, 'POST', '/v1/chat/sessions', {
        body: {
          widgetKey: A.widgetKey,
          context: { gpc: true, pageUrl: 'https://quarrington-holdings.example/pricing' },
        },
      });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      const sessionId = started.body.sessionId as string;
      const say = (text: string) =>
        call(http.app, 'POST', `/v1/chat/sessions/${sessionId}/messages`, {
          body: { text },
          headers: { 'x-widget-key': A.widgetKey },
        });
      await say(
        `Hi, I'm ${PERSON.name}, the CTO of ${PERSON.company}, a 200-person logistics company. We need a better way to route inbound leads. Budget is around $50k and we'd like to go live next quarter.`,
      );
      await say(PERSON.email.toLowerCase());
      const last = await say('yes');
      assert.equal(last.body.outcome, 'qualified', JSON.stringify(last.body));
      chatLeadId = await eventually(async () => {
        const session = await call(http.app, 'GET', `/v1/chat/sessions/${sessionId}`, { key: A.apiKey });
        const id = session.body.leadId as string | null;
        return id && id !== leadId ? id : undefined;
      }, 30_000);
      const claims = await call(http.app, 'GET', '/v1/identity-claims', { key: A.apiKey });
      assert.ok(
        (claims.body.items as { leadId: string; claimedLeadId: string }[]).some(
          (c) => c.leadId === chatLeadId && c.claimedLeadId === leadId,
        ),
        'the chat lead claims the existing one',
      );

      // The CSV import path: the same mapping and writer call as `leadloop import`.
      const row = rowToLead({
        'E-mail': PERSON.email.toUpperCase(),
        'First Name': 'Zelda',
        'Last Name': 'Quarrington',
        Company: PERSON.company,
      });
      const lead = runtime.ingest.validateLead(row, 'row 2');
      const imported = await inWorkspace(A.workspaceId, () =>
        runtime.writer.submit({
          workspaceId: A.workspaceId,
          source: 'import',
          payload: lead,
          idempotencyKey: 'file:2',
          requestHash: fingerprint(JSON.stringify(lead)),
        }),
      );
      assert.equal(imported.kind, 'accepted');
      assert.equal(await processedLead((imported as { eventId: string }).eventId), leadId);

      const outcome = await call(http.app, 'POST', `/v1/leads/${leadId}/outcome`, {
        key: A.apiKey,
        body: { converted: true, value: 50000 },
      });
      assert.equal(outcome.status, 200, JSON.stringify(outcome.body));
      const asked = await call(http.app, 'POST', '/v1/council/questions', {
        key: A.apiKey,
        body: { type: 'lead.next_action', leadId },
      });
      assert.equal(asked.status, 200, JSON.stringify(asked.body));

      // Workflows: a run for the lead that calls a CRM and e-mails the person, and an inbound hook
      // whose body names the person without naming a lead.
      const ws = { workspaceId: A.workspaceId };
      const followUp = await inWorkspace(A.workspaceId, () =>
        createActiveWorkflow(runtime, ws, FOLLOW_UP(sink.url)),
      );
      const inbound = await inWorkspace(A.workspaceId, () =>
        createActiveWorkflow(runtime, ws, INBOUND(sink.url)),
      );
      const { runId } = await inWorkspace(A.workspaceId, () =>
        runtime.workflows.service.run(ws, followUp, { leadId }, ACTOR),
      );
      // A failed run fails the set-up at once, with the run, instead of waiting out the timeout.
      const followed = (run: { status: string }) => {
        if (run.status === 'failed') throw new Error(JSON.stringify(run));
        return run.status === 'completed';
      };
      await inWorkspace(A.workspaceId, () => runWhen(runtime, ws, runId, followed, 30_000));
      await eventually(async () =>
        smtp.messages.find((m) => m.to.some((to) => to.toLowerCase() === PERSON.email.toLowerCase())),
      );
      const hooks = await call(http.app, 'GET', `/v1/workflows/${inbound}/hooks`, { key: A.apiKey });
      const endpoint = (hooks.body.items as { secret: string }[])[0];
      assert.ok(endpoint, JSON.stringify(hooks.body));
      const received = await sendSigned(
        http.app,
        `/v1/hooks/${A.workspaceId}/contact-form`,
        endpoint.secret,
        JSON.stringify({ email: PERSON.email, name: PERSON.name }),
        { id: 'msg_contact_1' },
      );
      assert.equal(received.status, 202, JSON.stringify(received.body));
      await inWorkspace(A.workspaceId, () =>
        runWhen(runtime, ws, received.body.runId as string, (run) => run.status === 'completed', 30_000),
      );

      // Analytics and the optimiser roll up what happened (aggregates: the scan below checks them too).
      await runtime.analytics.catchUp(A.workspaceId);
      await inWorkspace(A.workspaceId, () => runtime.optimiser.monitor(A.workspaceId));
      const rollups = await runtime.inspect
        .selectFrom('metric_rollups')
        .select('metric')
        .where('workspace_id', '=', A.workspaceId)
        .execute();
      assert.ok(rollups.length > 0, 'analytics rolled up the workspace’s events');

      // A retrain that learns from this person among others.
      const others = syntheticLeads(240, { seed: 7, prefix: 'other' });
      const otherIds = await submitLeads(http.app, runtime.store, A.apiKey, A.workspaceId, others);
      await reportOutcomes(http.app, A.apiKey, otherIds, others);
      const trained = await inWorkspace(A.workspaceId, () =>
        runtime.predictive.training.train(A.workspaceId, { trigger: 'test', actor: ACTOR }),
      );
      assert.equal(trained.status, 'trained', trained.reason);

      const consents = await call(http.app, 'GET', `/v1/leads/${leadId}/consents`, { key: A.apiKey });
      const state = consents.body.state as {
        purposes: Record<string, { allowed: boolean }>;
        saleOrShareOptOut: boolean;
        gpc: boolean;
      };
      assert.equal(state.purposes.email_marketing?.allowed, true, 'webhook consent recorded');
      assert.equal(state.purposes.phone?.allowed, true, 'API consent recorded');
      assert.equal(state.saleOrShareOptOut, true, 'Sec-GPC and the widget GPC flag opt out of sale/share');
      assert.equal(state.gpc, true);
      const methods = new Set((consents.body.history as { method: string }[]).map((h) => h.method));
      for (const method of ['form', 'api', 'gpc'])
        assert.ok(methods.has(method), `ledger has a ${method} entry: ${[...methods]}`);
      // The chat's consent lands on the chat's own lead, never on the lead it claims.
      assert.ok(!methods.has('chat'), 'an unverified chat records no consent on the claimed lead');
      const chatConsents = await call(http.app, 'GET', `/v1/leads/${chatLeadId}/consents`, { key: A.apiKey });
      assert.ok(
        (chatConsents.body.history as { method: string }[]).some((h) => h.method === 'chat'),
        'the chat lead has its chat consent',
      );
    });

    it('exports, before erasure, everything every entry point stored', async () => {
      const filed = await call(http.app, 'POST', '/v1/privacy/requests', {
        key: A.apiKey,
        body: { type: 'access', subject: { email: ` ${PERSON.email.toUpperCase()} ` }, jurisdiction: 'ccpa' },
      });
      assert.equal(filed.status, 201, JSON.stringify(filed.body));
      assert.equal(filed.body.status, 'completed');
      assert.deepEqual([...(filed.body.leadIds as string[])].sort(), [leadId, chatLeadId].sort());
      const receivedAt = Date.parse(filed.body.receivedAt as string);
      assert.equal(Date.parse(filed.body.dueAt as string) - receivedAt, 45 * 86_400_000, 'CCPA: 45 days');
      const exported = await call(http.app, 'GET', `/v1/privacy/requests/${filed.body.id}/export`, {
        key: A.apiKey,
      });
      assert.equal(exported.status, 200);
      exportBody = JSON.stringify(exported.body).toLowerCase();
      const tables = exported.body.tables as Record<string, unknown[]>;
      for (const table of [
        'leads',
        'lead_history',
        'events',
        'idempotency_keys',
        'chat_sessions',
        'lead_outcomes',
        'council_decisions',
        'consent_events',
        'consent_records',
        'audit_log',
        'workflow_runs',
        'workflow_steps',
      ]) {
        assert.ok((tables[table]?.length ?? 0) > 0, `export holds ${table}`);
      }
      assert.equal((tables.events ?? []).length, 4, 'webhook, API, chat and import events');
      for (const needle of ['quarrington', '+442079460321'])
        assert.ok(exportBody.includes(needle), `export holds ${needle}`);
      const csv = await http.app.inject({
        method: 'GET',
        url: `/v1/privacy/requests/${filed.body.id}/export?format=csv`,
        headers: { authorization: `Bearer ${A.apiKey}` },
      });
      assert.equal(csv.statusCode, 200);
      assert.match(csv.headers['content-type'] as string, /text\/csv/);
      exportCsvText = csv.body.toLowerCase();
      // The scan below must be able to fail: before erasure it finds the person where they were stored.
      const holding = new Set(
        (await findInTables(runtime.inspect, await schemaTables(runtime.inspect, dialect), NEEDLES)).map(
          (f) => f.table,
        ),
      );
      for (const table of [
        'leads',
        'lead_history',
        'events',
        'chat_sessions',
        'workflow_runs',
        'workflow_steps',
      ])
        assert.ok(holding.has(table), `scan finds the person in ${table}: ${[...holding]}`);
      // The council's in-memory reuse cache holds the decision asked about the person.
      assert.deepEqual(
        findInMemory(await runtime.decisionCache.held(A.workspaceId), [leadId]),
        [leadId],
        'the cache scan finds the person’s decision before erasure',
      );
      if (dialect === 'sqlite') {
        const file = join(dir, 'leadloop.db');
        assert.ok(
          findInFiles([file, `${file}-wal`], NEEDLES).length > 0,
          'the raw files hold the person before erasure',
        );
      }
      assert.ok(exportCsvText.includes('zelda.quarrington@quarrington-holdings.example'));
    });

    it('erases the person: no table, no database byte and no WAL frame holds them; the audit chain verifies', async () => {
      const erased = await call(http.app, 'DELETE', `/v1/leads/${leadId}`, { key: A.apiKey });
      assert.equal(erased.status, 200, JSON.stringify(erased.body));
      assert.equal(erased.body.status, 'completed');
      const removed = (erased.body.result as { removed: Record<string, number> }).removed;
      // The person's lead and the chat's lead that claimed it.
      assert.equal(removed.leads, 2, JSON.stringify(removed));
      assert.equal(removed['leads.identity_claims'], 1, JSON.stringify(removed));
      assert.equal(removed['ingest.events'], 4, JSON.stringify(removed));
      // The lead's run and the hook's run that named the person in its body.
      assert.equal(removed['workflows.runs'], 2, JSON.stringify(removed));
      // Their steps (check, CRM call, e-mail; the hook's call), reached before the runs are gone.
      assert.ok((removed['workflows.steps'] ?? 0) >= 4, JSON.stringify(removed));
      // Work queued by the erasure (a retrain without the erased outcome) runs, then we look.
      await eventually(async () => {
        const left = await runtime.inspect
          .selectFrom('jobs')
          .select('id')
          .where('status', 'in', ['queued', 'sent', 'active'])
          .execute();
        return left.length === 0 ? true : undefined;
      }, 60_000);
      await inWorkspace(A.workspaceId, () => runtime.privacy.scrubStorage());

      const tables = await schemaTables(runtime.inspect, dialect);
      const appTables = tables.filter((t) => !t.startsWith('leadloop_migrations'));
      assert.deepEqual(
        runtime.privacy.holders.uncovered(appTables),
        [],
        'every table is covered by a holder or declared clean',
      );
      assert.deepEqual(await findInTables(runtime.inspect, tables, NEEDLES), []);
      if (dialect === 'sqlite') {
        const file = join(dir, 'leadloop.db');
        assert.deepEqual(findInFiles([file, `${file}-wal`], NEEDLES), []);
      }
      assert.deepEqual(
        findInMemory(await runtime.decisionCache.held(A.workspaceId), [...NEEDLES, leadId, chatLeadId]),
        [],
        'no cached council decision holds the person',
      );

      if (runtime.config.REDIS_URL) {
        const redis = await findInRedis(
          runtime.config.REDIS_URL,
          runtime.config.LEADLOOP_QUEUE_PREFIX,
          NEEDLES,
        );
        assert.ok(redis.ours > 0, 'the queue used this Redis');
        assert.deepEqual(redis.found, []);
      }

      const verification = await inWorkspace(A.workspaceId, () =>
        runtime.audit.verify({ workspaceId: A.workspaceId }),
      );
      assert.deepEqual(verification.problems, []);
      assert.ok(verification.entries > 0);

      const request = await runtime.inspect
        .selectFrom('privacy_requests')
        .selectAll()
        .where('id', '=', erased.body.id as string)
        .executeTakeFirstOrThrow();
      assert.equal(request.subject_sealed, null);
      assert.equal(request.status, 'completed');
      const training = await inWorkspace(A.workspaceId, () =>
        runtime.inspect
          .selectFrom('scoring_state')
          .select('training')
          .where('workspace_id', '=', A.workspaceId)
          .executeTakeFirstOrThrow(),
      );
      assert.match(
        training.training ?? '',
        /privacy erasure dsr_\w+: 1 outcome\(s\) of erased subjects excluded/,
      );
      assert.equal((await call(http.app, 'GET', `/v1/leads/${leadId}`, { key: A.apiKey })).status, 404);
      assert.equal((await call(http.app, 'GET', `/v1/leads/${chatLeadId}`, { key: A.apiKey })).status, 404);
    });

    it('is idempotent: erasing again changes nothing and a later submission of the person is flagged, not contactable', async () => {
      const again = await call(http.app, 'DELETE', `/v1/leads/${leadId}`, { key: A.apiKey });
      assert.equal(again.status, 404, 'the lead is gone, so there is nothing to file');
      const back = await sendWebhook(http.app, A.workspaceId, A.webhookSecret, {
        email: PERSON.email,
        name: PERSON.name,
      });
      const newLead = await processedLead(back.body.eventId as string);
      const consents = await call(http.app, 'GET', `/v1/leads/${newLead}/consents`, { key: A.apiKey });
      const state = consents.body.state as {
        purposes: Record<string, { allowed: boolean; method: string | null }>;
      };
      assert.equal(state.purposes.email_marketing?.allowed, false);
      assert.equal(state.purposes.email_marketing?.method, 'suppression');
      const audit = await call(http.app, 'GET', `/v1/audit?subject=${newLead}&limit=50`, { key: A.apiKey });
      assert.ok(
        (audit.body.items as { action: string }[]).some((e) => e.action === 'privacy.suppressed_lead'),
      );
    });
  });
}
