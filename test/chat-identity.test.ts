import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useTestApp } from './support/app.ts';
import { call } from './support/http.ts';
import { DIALECTS, eventually } from './support/runtime.ts';

/**
 * Issue 12, finding 3: a chat visitor who gives an existing lead's e-mail and answers "yes" used
 * to merge into that lead (source, score, transcript, a consent in that person's name). Now the
 * chat gets a lead of its own that claims the e-mail, for an operator to confirm or reject.
 */
const OPENING =
  "Hi, I'm the CTO at Freightly, a logistics company with 200 employees in Germany. We need a routing tool within 2 months and have about 50k USD budget.";

for (const dialect of DIALECTS) {
  describe(`chat identity claims (${dialect})`, () => {
    const app = useTestApp(dialect);
    const ws = { id: '', key: '', widget: '' };
    const email = 'ann@target.example.com';
    let victim = '';

    before(async () => {
      const created = await app.runtime.tenants.createWorkspace({
        name: 'Claims',
        actor: { type: 'system', id: 't' },
      });
      Object.assign(ws, { id: created.workspace.id, key: created.apiKey, widget: created.widgetKey });
      app.runtime.startWorkers(2);
      const accepted = await call(app.http.app, 'POST', '/v1/leads', {
        key: ws.key,
        body: { email, name: 'Ann Target', title: 'VP Sales', company: 'Target' },
      });
      victim = await eventually(async () => {
        const event = await call(app.http.app, 'GET', `/v1/events/${accepted.body.eventId}`, { key: ws.key });
        return (event.body.leadId as string | null) ?? undefined;
      });
    });

    const lead = async (id: string) =>
      (await call(app.http.app, 'GET', `/v1/leads/${id}`, { key: ws.key })).body;

    it('keeps an existing lead unchanged when a chat visitor gives its e-mail and consents', async () => {
      const before = await lead(victim);
      const started = await call(app.http.app, 'POST', '/v1/chat/sessions', {
        body: { widgetKey: ws.widget },
      });
      const sessionId = started.body.sessionId as string;
      const say = (text: string) =>
        call(app.http.app, 'POST', `/v1/chat/sessions/${sessionId}/messages`, {
          body: { text },
          headers: { 'x-widget-key': ws.widget },
        });
      await say(OPENING);
      await say(email);
      const last = await say('yes');
      assert.equal(last.body.state, 'ended', JSON.stringify(last.body));
      const chatLead = await eventually(async () => {
        const session = await call(app.http.app, 'GET', `/v1/chat/sessions/${sessionId}`, { key: ws.key });
        return (session.body.leadId as string | null) ?? undefined;
      });
      assert.notEqual(chatLead, victim, 'the chat merged into the existing lead');
      const after = await lead(victim);
      for (const field of [
        'email',
        'name',
        'source',
        'score',
        'scoreBreakdown',
        'status',
        'consents',
        'conversations',
      ])
        assert.deepEqual(after[field], before[field], `${field} of the existing lead changed`);
      const claimant = await lead(chatLead);
      assert.equal(claimant.email, null);
      assert.equal((claimant.attributes as Record<string, unknown>).claimed_email, email);
      assert.equal(
        (claimant.consents as unknown[]).length,
        1,
        'the visitor’s consent stays on their own lead',
      );

      const pending = await call(app.http.app, 'GET', '/v1/identity-claims?status=pending', { key: ws.key });
      const claims = pending.body.items as {
        id: string;
        leadId: string;
        claimedLeadId: string;
        matchedOn: string;
      }[];
      assert.equal(claims.length, 1);
      assert.deepEqual(
        {
          leadId: claims[0]?.leadId,
          claimedLeadId: claims[0]?.claimedLeadId,
          matchedOn: claims[0]?.matchedOn,
        },
        { leadId: chatLead, claimedLeadId: victim, matchedOn: 'email' },
      );
    });

    it('lets an admin confirm or reject a claim once, audited with the reason', async () => {
      const [claim] = (await call(app.http.app, 'GET', '/v1/identity-claims?status=pending', { key: ws.key }))
        .body.items as { id: string; leadId: string }[];
      assert.ok(claim);
      const read = await app.runtime.tenants.createApiKey({
        workspaceId: ws.id,
        scope: 'read',
        actor: { type: 'system', id: 't' },
      });
      const forbidden = await call(app.http.app, 'POST', `/v1/identity-claims/${claim.id}/confirm`, {
        key: read.key,
        body: { reason: 'called her' },
      });
      assert.equal(forbidden.status, 403);
      const confirmed = await call(app.http.app, 'POST', `/v1/identity-claims/${claim.id}/confirm`, {
        key: ws.key,
        body: { reason: 'called her back on the number we have' },
      });
      assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
      assert.equal(confirmed.body.status, 'confirmed');
      const again = await call(app.http.app, 'POST', `/v1/identity-claims/${claim.id}/reject`, {
        key: ws.key,
        body: { reason: 'changed my mind' },
      });
      assert.equal(again.status, 409);
      const audit = await call(app.http.app, 'GET', `/v1/audit?subject=${claim.leadId}`, { key: ws.key });
      const actions = (audit.body.items as { action: string; reason: string }[]).map((e) => e.action);
      assert.ok(actions.includes('lead.identity_claimed'), actions.join());
      assert.ok(actions.includes('lead.identity_claim_confirmed'), actions.join());
    });
  });
}
