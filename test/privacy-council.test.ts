import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDbCouncilTools } from '../src/main/council-tools/index.ts';
import { useAppWithWorkspace } from './support/app.ts';
import { call } from './support/http.ts';
import { DIALECTS, eventually } from './support/runtime.ts';

/** The council's database tools read the privacy ledger at each call: a withdrawal counts at once. */
for (const dialect of DIALECTS) {
  describe(`council tools read consent from the ledger (${dialect})`, () => {
    const app = useAppWithWorkspace(dialect, { workers: 2 });

    const withdraw = async (leadId: string, purpose: string) => {
      const response = await call(app.http.app, 'POST', `/v1/leads/${leadId}/consents`, {
        key: app.ws.apiKey,
        body: { entries: [{ purpose, action: 'withdraw' }] },
      });
      assert.equal(response.status, 201, JSON.stringify(response.body));
    };

    it('withdrawn e-mail consent reaches getLead as withdrawn; withdrawn profiling leaves nothing to profile on', async () => {
      const accepted = await call(app.http.app, 'POST', '/v1/leads', {
        key: app.ws.apiKey,
        body: {
          email: 'carla.council@tools.example',
          name: 'Carla',
          company: 'Toolworks',
          title: 'VP Sales',
          country: 'US',
          attributes: { industry: 'saas', employees: 250 },
          consent: {
            purposes: ['email_marketing', 'phone'],
            textVersion: 'v3',
            timestamp: new Date().toISOString(),
            method: 'checkbox',
          },
        },
      });
      assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
      const leadId = await eventually(async () => {
        const event = await call(app.http.app, 'GET', `/v1/events/${accepted.body.eventId}`, {
          key: app.ws.apiKey,
        });
        return (event.body.leadId as string | null) ?? undefined;
      });
      // The same tools the runtime's council uses, over the same ledger.
      const tools = createDbCouncilTools({
        store: app.runtime.store,
        chats: app.runtime.chats,
        rules: app.runtime.rules,
        clock: app.runtime.clock,
        consentState: app.runtime.privacy.consentState,
      });
      // One scope object per decision, as the council's gateway makes them: what a decision read,
      // it keeps; the next decision reads again.
      const decision = () => ({ workspaceId: app.ws.workspaceId });
      const scope = decision();

      const granted = await tools.getLead(scope, { leadId });
      assert.ok(granted);
      assert.ok(granted.consentPurposes.includes('email_marketing'));
      assert.ok(granted.consentPurposes.includes('marketing'), 'the council rules’ name for it too');
      assert.deepEqual(granted.consentWithdrawn, []);
      assert.equal(granted.title, 'VP Sales');
      assert.ok(await tools.getScore(scope, { leadId }), 'a score while profiling is allowed');

      await withdraw(leadId, 'email_marketing');
      const sameDecision = await tools.getLead(scope, { leadId });
      assert.deepEqual(sameDecision?.consentWithdrawn, [], 'one decision reads one snapshot');
      const afterEmail = await tools.getLead(decision(), { leadId });
      assert.ok(afterEmail);
      assert.ok(!afterEmail.consentPurposes.includes('email_marketing'));
      assert.ok(!afterEmail.consentPurposes.includes('marketing'));
      assert.deepEqual([...(afterEmail.consentWithdrawn ?? [])].sort(), ['email_marketing', 'marketing']);
      assert.ok(afterEmail.consentPurposes.includes('sales_contact'), 'phone consent still stands');

      await withdraw(leadId, 'profiling');
      const next = decision();
      const afterProfiling = await tools.getLead(next, { leadId });
      assert.ok(afterProfiling);
      assert.equal(afterProfiling.title, null);
      assert.equal(afterProfiling.industry, null);
      assert.equal(afterProfiling.employees, null);
      assert.deepEqual(afterProfiling.attributes, {});
      assert.equal(afterProfiling.country, 'US', 'where the person is stays: it decides the law');
      assert.equal(await tools.getScore(next, { leadId }), null);
      assert.equal(await tools.getConversation(decision(), { leadId }), null);

      // Through the runtime's own council: the decision read no score.
      const asked = await call(app.http.app, 'POST', '/v1/council/questions', {
        key: app.ws.apiKey,
        body: { type: 'lead.next_action', leadId },
      });
      assert.equal(asked.status, 200, JSON.stringify(asked.body));
      assert.equal(typeof asked.body.decisionClass, 'string', JSON.stringify(asked.body));
      assert.notEqual(asked.body.decisionClass, 'start_nurture');
      assert.doesNotMatch(JSON.stringify(asked.body.output), /Score \d+/);
    });
  });
}
