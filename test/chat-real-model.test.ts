import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HttpApp } from '../src/http/index.ts';
import {
  loadFixture,
  type ProtocolServer,
  startProtocolServer,
} from '../src/models/testing/protocol-server.ts';
import { call } from './support/http.ts';
import { startTestApp, stopTestApp, type TestRuntime } from './support/runtime.ts';

/**
 * The chat with a real provider configured (`LEADLOOP_MODEL=openai:…`), against a local server that
 * speaks the OpenAI protocol: slots come from the model's structured output, and a failing model
 * falls back to the offline extractor without the visitor noticing.
 */
describe('chat extraction through a real provider (OpenAI protocol, local server)', () => {
  let server: ProtocolServer;
  let runtime: TestRuntime;
  let http: HttpApp;
  let widgetKey: string;
  let apiKey: string;
  const PATH = '/v1/chat/completions';

  before(async () => {
    server = await startProtocolServer();
    ({ runtime, http } = await startTestApp('sqlite', {
      config: {
        LEADLOOP_MODEL: 'openai:gpt-4o-mini',
        OPENAI_API_KEY: 'sk-test',
        LEADLOOP_MODEL_BASE_URL: `${server.url}/v1`,
        LEADLOOP_MODEL_TIMEOUT_MS: '2000',
      },
    }));
    const created = await runtime.tenants.createWorkspace({
      name: 'Real model',
      actor: { type: 'system', id: 'test' },
    });
    widgetKey = created.widgetKey;
    apiKey = created.apiKey;
  });
  after(async () => {
    await stopTestApp({ runtime, http });
    await server.close();
  });

  it('fills slots from the model’s structured output and accounts the call to the workspace', async () => {
    const started = await call(http.app, 'POST', '/v1/chat/sessions', { body: { widgetKey } });
    const sessionId = started.body.sessionId as string;
    // The recorded answer says authority "director"; the message itself names no role at all.
    const recorded = loadFixture<{ choices: { message: { content: string } }[] }>('openai-chat-json.json');
    const message = recorded.choices[0]?.message as { content: string };
    // The recorded answer in the shape of the extraction schema ({ slots: … }).
    message.content = JSON.stringify({ slots: JSON.parse(message.content) });
    server.reply(PATH, { json: recorded });
    const turn = await call(http.app, 'POST', `/v1/chat/sessions/${sessionId}/messages`, {
      body: { text: 'We want to sort out lead routing, roughly fifty grand.' },
      headers: { 'x-widget-key': widgetKey },
    });
    assert.equal(turn.status, 200, JSON.stringify(turn.body));
    const request = server.requests.find((r) => r.path === PATH);
    assert.ok(request, `no model request; got ${JSON.stringify(server.requests.map((r) => r.path))}`);
    assert.equal(request?.body.model, 'gpt-4o-mini');
    assert.ok(request?.body.response_format, 'structured output was requested');
    const session = await call(http.app, 'GET', `/v1/chat/sessions/${sessionId}`, { key: apiKey });
    const slots = session.body.slots as Record<string, unknown>;
    assert.equal(slots.authority, 'director');
    assert.deepEqual(slots.budget, { min: 50_000, max: 50_000, currency: 'USD' });
    const workspace = await runtime.tenants.resolveWidgetKey(widgetKey);
    assert.ok(runtime.models.usage(workspace?.id as string).calls >= 1);
  });

  it('falls back to the offline extractor when the model fails', async () => {
    const started = await call(http.app, 'POST', '/v1/chat/sessions', { body: { widgetKey } });
    const sessionId = started.body.sessionId as string;
    server.reply(PATH, { status: 400, json: loadFixture('openai-error-400.json') });
    const turn = await call(http.app, 'POST', `/v1/chat/sessions/${sessionId}/messages`, {
      body: { text: "I'm the CFO and our budget is $80k" },
      headers: { 'x-widget-key': widgetKey },
    });
    assert.equal(turn.status, 200);
    const session = await call(http.app, 'GET', `/v1/chat/sessions/${sessionId}`, { key: apiKey });
    const slots = session.body.slots as Record<string, unknown>;
    assert.equal(slots.authority, 'executive');
    assert.deepEqual(slots.budget, { min: 80_000, max: 80_000, currency: 'USD', period: 'one_off' });
  });
});
