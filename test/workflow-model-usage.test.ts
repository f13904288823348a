import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createManualClock, inWorkspace } from '../src/core/index.ts';
import { loadFixture } from '../src/models/testing/protocol-server.ts';
import { useAppWithModelServer } from './support/app.ts';
import { call } from './support/http.ts';
import { metricTotalOverDay } from './support/metric-total.ts';
import { DIALECTS, eventually } from './support/runtime.ts';

const START = Date.UTC(2026, 7, 3, 12);
const ACTOR = { type: 'system' as const, id: 'test' };
const GOAL = 'When a lead qualifies, assign an owner round robin and notify sales on Slack';

/** The model's answer in OpenAI's wire shape (usage: 143 prompt, 38 answer tokens). */
function answer(object: unknown) {
  const recorded = loadFixture<{ choices: { message: { content: string } }[] }>('openai-chat-json.json');
  (recorded.choices[0] as { message: { content: string } }).message.content = JSON.stringify(object);
  return { json: recorded };
}

const valid = {
  workflow: {
    schemaVersion: 1,
    name: 'Model speed to lead',
    triggers: [{ type: 'lead.qualified' }],
    start: 'assign',
    steps: [
      {
        id: 'assign',
        type: 'assign_owner',
        strategy: 'round_robin',
        owners: [{ id: 'ana' }],
        next: 'notify',
      },
      { id: 'notify', type: 'chat_message', channel: 'slack', webhook: 'slack-sales', text: 'New lead' },
    ],
  },
  explanation: [
    { step: 'assign', reason: 'an owner for every qualified lead' },
    { step: 'notify', reason: 'sales hears at once' },
  ],
};
// Valid in shape, not as a workflow (its start names no step): the generator asks for a repair.
const broken = { workflow: { ...valid.workflow, start: 'nowhere' }, explanation: [] };

for (const dialect of DIALECTS) {
  describe(`workflow generation's model calls in spend and model health (${dialect})`, () => {
    const clock = createManualClock(START);
    const app = useAppWithModelServer(dialect, { clock });

    const total = (workspaceId: string, metric: 'model_calls' | 'model_spend' | 'model_tokens') =>
      metricTotalOverDay(app.runtime, clock, workspaceId, metric);

    async function generate(apiKey: string) {
      const draft = await call(app.http.app, 'POST', '/v1/workflows/generate', {
        key: apiKey,
        body: { goal: GOAL },
      });
      assert.equal(draft.status, 200, JSON.stringify(draft.body));
      return draft.body as { source: { kind: string; repairs?: number } };
    }

    async function usedEvents(workspaceId: string) {
      const events = await inWorkspace(workspaceId, () => app.runtime.events.readSince(workspaceId, 0, 1000));
      return events.filter((e) => e.type === 'model.used');
    }

    it('counts every generation call, repairs included, once in model_calls, model_tokens and model_spend', async () => {
      const { workspace, apiKey } = await app.runtime.tenants.createWorkspace({
        name: 'Generation spend',
        actor: ACTOR,
      });
      app.server.reset();
      let seen = 0;
      app.server.respond('/v1/chat/completions', () => answer(seen++ === 0 ? broken : valid));
      const draft = await generate(apiKey);
      assert.equal(draft.source.kind, 'model', JSON.stringify(draft.source));
      assert.equal(draft.source.repairs, 1);
      const requests = app.server.requests.length;
      assert.equal(requests, 2, 'one answer and one repair');
      const calls = await eventually(async () => {
        const n = await total(workspace.id, 'model_calls');
        return n >= requests ? n : undefined;
      });
      assert.equal(calls, requests);
      assert.equal(await total(workspace.id, 'model_tokens'), requests * (143 + 38));
      const spend = await total(workspace.id, 'model_spend');
      assert.ok(spend > 0 && spend < 0.01, `spend ${spend}`);
      const used = await usedEvents(workspace.id);
      assert.equal(used.length, requests);
      assert.ok(used.every((e) => e.data.task === 'workflows.generate' && e.data.failedCalls === 0));
      const events = await inWorkspace(workspace.id, () =>
        app.runtime.events.readSince(workspace.id, 0, 1000),
      );
      assert.equal(events.filter((e) => e.type === 'council.decided').length, 0, 'no council decision');
    });

    it('counts a refused generation call as a failed call (the offline library answers the draft)', async () => {
      const { workspace, apiKey } = await app.runtime.tenants.createWorkspace({
        name: 'Generation errors',
        actor: ACTOR,
      });
      app.server.reset();
      app.server.respond('/v1/chat/completions', () => ({
        status: 400,
        json: { error: { message: 'the provider is down', type: 'invalid_request_error' } },
      }));
      const draft = await generate(apiKey);
      assert.notEqual(draft.source.kind, 'model', JSON.stringify(draft.source));
      const requests = app.server.requests.length;
      assert.ok(requests >= 1, `${requests} requests`);
      const used = await eventually(async () => {
        const list = await usedEvents(workspace.id);
        return list.length >= 1 ? list : undefined;
      });
      // A refused call is one call asked for, failed, however many attempts the client made.
      assert.equal(used.length, 1, JSON.stringify(used.map((e) => e.data)));
      assert.equal(used[0]?.data.failedCalls, 1);
      assert.equal(used[0]?.data.task, 'workflows.generate');
      assert.equal(await total(workspace.id, 'model_calls'), 1);
    });
  });
}
