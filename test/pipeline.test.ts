import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import { DEFAULT_RULE_SET } from '../src/scoring/index.ts';
import { useTestApp } from './support/app.ts';
import { call } from './support/http.ts';
import { DIALECTS, eventually, testWorkspace } from './support/runtime.ts';
import { FINTECH_RULES } from './support/scoring-fixtures.ts';

for (const dialect of DIALECTS) {
  describe(`lead pipeline (${dialect})`, () => {
    const app = useTestApp(dialect);
    let key: string;
    let workspaceId: string;

    before(async () => {
      ({ apiKey: key, workspaceId } = await testWorkspace(app.runtime, 'Pipeline'));
      app.runtime.startWorkers(4);
    });

    async function submit(body: unknown): Promise<{ eventId: string; leadId: string }> {
      const accepted = await call(app.http.app, 'POST', '/v1/leads', { key, body });
      assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
      const eventId = accepted.body.eventId as string;
      return eventually(async () => {
        const event = await call(app.http.app, 'GET', `/v1/events/${eventId}`, { key });
        if (event.body.status === 'failed') throw new Error(`event failed: ${event.body.error}`);
        return event.body.status === 'processed'
          ? { eventId, leadId: event.body.leadId as string }
          : undefined;
      });
    }

    it('creates a normalised, scored lead with its breakdown, history and consent record', async () => {
      const { leadId, eventId } = await submit({
        email: ' Linus@Kernel.Example.org ',
        name: 'Linus',
        phone: '030 901820',
        country: 'de',
        company: 'Kernel',
        title: 'Chief Architect',
        source: 'demo-request',
        utm: { source: 'google', medium: 'cpc' },
        consent: {
          purposes: ['sales_contact'],
          textVersion: 'v3',
          timestamp: '2026-11-01T10:00:00Z',
          method: 'form',
        },
      });
      const lead = await call(app.http.app, 'GET', `/v1/leads/${leadId}`, { key });
      assert.equal(lead.status, 200);
      assert.equal(lead.body.email, 'linus@kernel.example.org');
      assert.equal(lead.body.phone, '+4930901820');
      assert.equal(lead.body.country, 'DE');
      assert.equal(lead.body.companyDomain, 'kernel.example.org');
      assert.deepEqual(
        (lead.body.scoreBreakdown as { ruleId: string }[]).map((l) => l.ruleId),
        ['business-email', 'executive', 'has-company', 'has-phone', 'high-intent-source', 'sales-consent'],
      );
      assert.equal(lead.body.score, 80);
      assert.equal(lead.body.status, 'qualified');
      const history = lead.body.history as {
        eventId: string;
        action: string;
        changes: Record<string, unknown>;
      }[];
      assert.equal(history.length, 1);
      assert.equal(history[0]?.action, 'created');
      assert.equal(history[0]?.eventId, eventId);
      const consents = lead.body.consents as {
        purposes: string[];
        textVersion: string;
        givenAt: string;
        method: string;
      }[];
      assert.deepEqual(
        consents.map(({ purposes, textVersion, givenAt, method }) => ({
          purposes,
          textVersion,
          givenAt,
          method,
        })),
        [
          {
            purposes: ['sales_contact'],
            textVersion: 'v3',
            givenAt: '2026-11-01T10:00:00.000Z',
            method: 'form',
          },
        ],
      );
    });

    it('merges a second submission with the same email into one lead and keeps the old values in history', async () => {
      const first = await submit({
        email: 'margaret@apollo.example.com',
        title: 'Engineer',
        company: 'MIT',
        attributes: { employees: 20 },
      });
      const second = await submit({
        email: 'MARGARET@apollo.example.com',
        title: 'Director of Software',
        attributes: { employees: 400 },
      });
      assert.equal(second.leadId, first.leadId);
      const list = await call(app.http.app, 'GET', '/v1/leads?email=margaret@apollo.example.com', { key });
      assert.equal((list.body.items as unknown[]).length, 1);
      const lead = await call(app.http.app, 'GET', `/v1/leads/${first.leadId}`, { key });
      assert.equal(lead.body.title, 'Director of Software');
      assert.equal(lead.body.company, 'MIT');
      const history = lead.body.history as {
        action: string;
        changes: Record<string, { from: unknown; to: unknown }>;
      }[];
      assert.deepEqual(
        history.map((h) => h.action),
        ['created', 'merged'],
      );
      assert.deepEqual(history[1]?.changes.title, { from: 'Engineer', to: 'Director of Software' });
      assert.deepEqual(history[1]?.changes['attributes.employees'], { from: 20, to: 400 });
    });

    it('dedupes by phone when no email is given', async () => {
      const a = await submit({ phone: '+1 415 555 2671', name: 'Phone Only' });
      const b = await submit({ phone: '(415) 555-2671', country: 'US', company: 'Phone Co' });
      assert.equal(a.leadId, b.leadId);
    });

    it('scores with the workspace rules set through the API, and audits the change', async () => {
      const put = await call(app.http.app, 'PUT', '/v1/scoring/rules', { key, body: FINTECH_RULES });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal(put.body.version, 1);
      const { leadId } = await submit({ email: 'cfo@bank.example.com', attributes: { industry: 'Fintech' } });
      const lead = await call(app.http.app, 'GET', `/v1/leads/${leadId}`, { key });
      assert.equal(lead.body.score, 40);
      assert.equal(lead.body.status, 'qualified');
      const audit = await call(app.http.app, 'GET', `/v1/audit?subject=${leadId}`, { key });
      // The pipeline's own entries; a council decision for the qualified lead may land in between.
      const actions = (audit.body.items as { action: string; reason: string }[])
        .map((e) => e.action)
        .filter((action) => action.startsWith('lead.'));
      assert.deepEqual(actions, ['lead.qualified', 'lead.scored', 'lead.created']);
      const scored = (
        audit.body.items as { action: string; reason: string; data: Record<string, unknown> }[]
      ).find((e) => e.action === 'lead.scored');
      assert.match(scored?.reason ?? '', /fintech \+40 = 40/);
      assert.equal(scored?.data.model, 'point-rules v1');
      const rulesAudit = await call(app.http.app, 'GET', `/v1/audit?subject=${workspaceId}`, { key });
      assert.ok(
        (rulesAudit.body.items as { action: string }[]).some((e) => e.action === 'scoring.rules_updated'),
      );
      const restored = await call(app.http.app, 'PUT', '/v1/scoring/rules', { key, body: DEFAULT_RULE_SET });
      assert.equal(restored.status, 200);
    });

    it('writes audit entries that hold references, never personal data', async () => {
      const { leadId } = await submit({
        email: 'private.person@secret.example.com',
        name: 'Private Person',
        phone: '+442079460958',
      });
      const audit = await call(app.http.app, 'GET', `/v1/audit?subject=${leadId}`, { key });
      const text = JSON.stringify(audit.body);
      for (const secret of ['private.person', 'Private Person', '7946'])
        assert.ok(!text.includes(secret), `audit contains ${secret}`);
      const verification = await inWorkspace(workspaceId, () => app.runtime.audit.verify({ workspaceId }));
      assert.deepEqual(verification.problems, []);
    });

    it('streams domain events over SSE, resuming after Last-Event-ID', async () => {
      const address = await app.http.app.listen({ port: 0, host: '127.0.0.1' });
      const controller = new AbortController();
      const response = await fetch(`${address}/v1/events/stream`, {
        headers: { authorization: `Bearer ${key}` },
        signal: controller.signal,
      });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
      const stream = streamText(response.body as ReadableStream<Uint8Array>);
      const { leadId } = await submit({
        email: 'stream@sse.example.com',
        title: 'CEO',
        company: 'SSE',
        source: 'demo-request',
      });
      const typesOf = (text: string) =>
        [...text.matchAll(/event: (\S+)\ndata: (.*)\n/g)]
          .filter((m) => (m[2] ?? '').includes(leadId))
          .map((m) => m[1]);
      const seen = await stream.until((text) => typesOf(text).includes('lead.qualified'));
      assert.deepEqual(typesOf(seen), ['lead.created', 'lead.scored', 'lead.qualified']);
      controller.abort();
      const firstId = String(
        /id: (\S+)\nevent: lead.created\ndata: [^\n]*stream/.exec(seen)?.[1] ?? /id: (\S+)/.exec(seen)?.[1],
      );
      const resumed = await fetch(`${address}/v1/events/stream`, {
        headers: { authorization: `Bearer ${key}`, 'last-event-id': String(firstId) },
      });
      const resumedStream = streamText(resumed.body as ReadableStream<Uint8Array>);
      const resumedText = await resumedStream.until((text) => text.includes('lead.qualified'));
      assert.ok(!resumedText.includes(`id: ${firstId}\n`), 'resumes after the given id');
      await resumedStream.cancel();
      app.http.closeStreams();
    });

    it('marks an event whose stored payload is not a lead as failed instead of retrying forever', async () => {
      const eventId = app.runtime.ids.next('evt');
      // Written as the application, in the workspace's data scope (row-level security on PostgreSQL).
      await inWorkspace(workspaceId, () =>
        app.runtime.store.transaction(async (trx) => {
          await trx
            .insertInto('events')
            .values({
              id: eventId,
              workspace_id: workspaceId,
              type: 'lead.submitted',
              source: 'api',
              payload: '{"email":"not an email"}',
              status: 'accepted',
              lead_id: null,
              error: null,
              attempts: 0,
              created_at: Date.now(),
              processed_at: null,
            })
            .execute();
          await app.runtime.queue.enqueue(trx, [{ name: 'lead.process', workspaceId, payload: { eventId } }]);
        }),
      );
      app.runtime.queue.notify();
      const failed = await eventually(async () => {
        const event = await call(app.http.app, 'GET', `/v1/events/${eventId}`, { key });
        return event.body.status === 'failed' ? event : undefined;
      });
      assert.match(failed.body.error as string, /email/);
      assert.equal((await app.runtime.queue.depth()).dead, 0);
    });
  });
}

/**
 * Reads a server-sent event stream as text until `done` holds, giving up after `timeoutMs` with
 * what arrived in the message. One read stays pending across polls, so no chunk is lost to a
 * read that timed out.
 */
function streamText(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;
  return {
    async until(done: (text: string) => boolean, timeoutMs = 20_000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      while (!done(text)) {
        const left = deadline - Date.now();
        if (left <= 0)
          assert.fail(`the stream did not show what was expected in ${timeoutMs} ms; it sent:\n${text}`);
        pending ??= reader.read();
        let timer: NodeJS.Timeout | undefined;
        const result = await Promise.race([
          pending,
          new Promise<null>((resolve) => {
            timer = setTimeout(() => resolve(null), Math.min(left, 500));
          }),
        ]);
        clearTimeout(timer);
        if (result === null) continue;
        pending = null;
        if (result.done) assert.fail(`the stream ended early; it sent:\n${text}`);
        text += decoder.decode(result.value, { stream: true });
      }
      return text;
    },
    cancel: () => reader.cancel(),
  };
}
