import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { z } from 'zod';
import { createModelClient, type ModelClientOptions } from './client.ts';
import type { ModelClient } from './port.ts';
import { loadFixture, type SseEvent } from './testing/protocol-server.ts';
import { LOOKUP_LEAD_TOOLS, readStream, setUpWireTest, toolRoundTrip } from './testing/wire-test.ts';

const PATH = '/v1/chat/completions';
const slotsSchema = z.object({
  budget: z.object({ min: z.number(), max: z.number(), currency: z.string() }),
  authority: z.enum(['executive', 'vp', 'director', 'manager', 'individual']),
  need: z.string(),
});
type Slots = z.infer<typeof slotsSchema>;

const offlineSlots: Slots = {
  budget: { min: 1, max: 1, currency: 'USD' },
  authority: 'manager',
  need: 'offline',
};

const wire = setUpWireTest();
const { sleeps, body } = wire;
let fetchCalls: number;

function client(extra: Partial<ModelClientOptions> = {}): ModelClient {
  return createModelClient({
    model: 'openai:gpt-4o-mini',
    providers: { openai: { apiKey: 'sk-test-123', baseURL: `${wire.server.url}/v1` } },
    fetch: (input, init) => {
      fetchCalls += 1;
      return fetch(input, init);
    },
    skills: { 'chat.extract': () => ({ type: 'object', object: offlineSlots }) },
    retry: { maxRetries: 2, initialDelayMs: 10, backoffFactor: 2 },
    random: () => 1,
    sleep: wire.sleep,
    ...extra,
  });
}

beforeEach(() => {
  fetchCalls = 0;
});

/** Chat's slot extraction, the structured call the fallback tests make. */
function extractSlots(models: ModelClient, prompt: string) {
  return models.generateObject({ workspaceId: 'ws_a', task: 'chat.extract', schema: slotsSchema, prompt });
}

describe('OpenAI Chat Completions wire format', () => {
  test('sends model, system and messages with bearer auth through the injected fetch, and returns text and usage', async () => {
    wire.server.reply(PATH, { json: loadFixture('openai-chat-text.json') });
    const result = await client().generateText({
      workspaceId: 'ws_a',
      system: 'You qualify leads for Acme.',
      messages: [
        { role: 'assistant', content: 'Hi! What brings you here?' },
        { role: 'user', content: 'We are 25 people, what would it cost?' },
      ],
      maxOutputTokens: 200,
      temperature: 0.2,
    });

    const request = wire.server.requests[0];
    assert.equal(request?.method, 'POST');
    assert.equal(request?.path, PATH);
    assert.equal(request?.headers.authorization, 'Bearer sk-test-123');
    assert.match(String(request?.headers['content-type']), /application\/json/);
    assert.equal(fetchCalls, 1);
    assert.deepEqual(body(), {
      model: 'gpt-4o-mini',
      max_tokens: 200,
      temperature: 0.2,
      messages: [
        { role: 'system', content: 'You qualify leads for Acme.' },
        { role: 'assistant', content: 'Hi! What brings you here?' },
        { role: 'user', content: 'We are 25 people, what would it cost?' },
      ],
    });
    assert.equal(
      result.text,
      'Thanks! A team of 25 on the Growth plan comes to about $1,200 a month. When would you like to start?',
    );
    assert.deepEqual(result.usage, { inputTokens: 57, outputTokens: 27 });
    assert.equal(result.provider, 'openai');
    assert.equal(result.model, 'gpt-4o-mini');
    assert.equal(result.fallback, null);
    assert.equal(result.finishReason, 'stop');
  });

  test('offers tools as functions, returns tool calls with parsed input, and sends tool results back', async () => {
    wire.server.reply(
      PATH,
      { json: loadFixture('openai-chat-tool-call.json') },
      { json: loadFixture('openai-chat-text.json') },
    );
    const tools = LOOKUP_LEAD_TOOLS;
    const models = client();
    const first = await models.generateText({
      workspaceId: 'ws_a',
      prompt: 'What should we do with this lead?',
      tools,
    });

    const sentTools = body().tools as Array<{
      type: string;
      function: { name: string; description: string; parameters: { properties: object } };
    }>;
    assert.equal(sentTools.length, 1);
    assert.equal(sentTools[0]?.type, 'function');
    assert.equal(sentTools[0]?.function.name, 'lookup_lead');
    assert.equal(sentTools[0]?.function.description, 'Reads a lead of this workspace.');
    assert.deepEqual(Object.keys(sentTools[0]?.function.parameters.properties ?? {}), ['leadId', 'include']);
    assert.equal(first.finishReason, 'tool-calls');
    assert.deepEqual(first.toolCalls, [
      {
        toolCallId: 'call_Xk2m9QvR7tLp3sWb8nYc1dFe',
        toolName: 'lookup_lead',
        input: { leadId: 'lead_01JDX4K9T2M8Q3R5V7W9YB1C3D', include: ['history', 'score'] },
      },
    ]);

    await models.generateText({
      workspaceId: 'ws_a',
      tools,
      messages: toolRoundTrip('What should we do with this lead?', first, '', { stage: 'qualified' }),
    });
    const messages = body(1).messages as Array<Record<string, unknown>>;
    assert.deepEqual(messages[1], {
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          id: 'call_Xk2m9QvR7tLp3sWb8nYc1dFe',
          type: 'function',
          function: {
            name: 'lookup_lead',
            arguments: JSON.stringify({
              leadId: 'lead_01JDX4K9T2M8Q3R5V7W9YB1C3D',
              include: ['history', 'score'],
            }),
          },
        },
      ],
    });
    assert.deepEqual(messages[2], {
      role: 'tool',
      tool_call_id: 'call_Xk2m9QvR7tLp3sWb8nYc1dFe',
      content: JSON.stringify({ stage: 'qualified' }),
    });
  });

  test('asks for structured output with a json_schema response_format named after the task and validates the object', async () => {
    wire.server.reply(PATH, { json: loadFixture('openai-chat-json.json') });
    const result = await client().generateObject({
      workspaceId: 'ws_a',
      task: 'chat.extract',
      skillInput: { secret: 'offline-only' },
      schema: slotsSchema,
      prompt: 'Our budget is 50k and I am the director of sales ops.',
    });

    const format = body().response_format as {
      type: string;
      json_schema: { name: string; strict: boolean; schema: { properties: object; required: string[] } };
    };
    assert.equal(format.type, 'json_schema');
    assert.equal(format.json_schema.name, 'chat_extract');
    assert.equal(format.json_schema.strict, true);
    assert.deepEqual(Object.keys(format.json_schema.schema.properties), ['budget', 'authority', 'need']);
    assert.deepEqual(format.json_schema.schema.required, ['budget', 'authority', 'need']);
    assert.ok(!JSON.stringify(body()).includes('offline-only'), 'skillInput must not reach a real provider');
    assert.deepEqual(result.object, {
      budget: { min: 50000, max: 50000, currency: 'USD' },
      authority: 'director',
      need: 'route inbound leads to the right rep',
    });
    assert.deepEqual(result.usage, { inputTokens: 143, outputTokens: 38 });
    assert.equal(result.fallback, null);
  });

  test('streams text deltas over SSE with include_usage and reports usage from the final chunk', async () => {
    const { events } = loadFixture<{ events: SseEvent[] }>('openai-chat-stream.json');
    wire.server.reply(PATH, { sse: events });
    const stream = await client().streamText({ workspaceId: 'ws_a', prompt: 'Can I get a demo?' });
    const { deltas, result } = await readStream(stream);

    assert.equal(body().stream, true);
    assert.deepEqual(body().stream_options, { include_usage: true });
    assert.deepEqual(deltas, ['Happy', ' to help', '. What is your', ' timeline?']);
    assert.equal(result.text, 'Happy to help. What is your timeline?');
    assert.deepEqual(result.usage, { inputTokens: 41, outputTokens: 9 });
    assert.equal(result.provider, 'openai');
    assert.equal(result.fallback, null);
  });

  test('a reader that stops early aborts the provider request', async () => {
    const { events } = loadFixture<{ events: SseEvent[] }>('openai-chat-stream.json');
    wire.server.reply(PATH, { sse: events, eventDelayMs: 40 });
    const models = client();
    const stream = await models.streamText({ workspaceId: 'ws_a', prompt: 'Can I get a demo?' });
    for await (const delta of stream) {
      assert.equal(delta, 'Happy');
      break;
    }
    await assert.rejects(stream.result, /stopped reading/);
    for (let i = 0; i < 50 && wire.server.abortedRequests() === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal(wire.server.abortedRequests(), 1);
    assert.equal(models.usage('ws_a').byOutcome.aborted, 1);
  });

  test('assembles a streamed tool call from argument fragments', async () => {
    const { events } = loadFixture<{ events: SseEvent[] }>('openai-chat-stream-tool-call.json');
    wire.server.reply(PATH, { sse: events });
    const stream = await client().streamText({
      workspaceId: 'ws_a',
      prompt: 'How is the SaaS EMEA segment doing?',
      tools: {
        segment_stats: {
          description: 'Conversion statistics of a segment.',
          inputSchema: z.object({ segment: z.string() }),
        },
      },
    });
    const { deltas, result } = await readStream(stream);

    assert.deepEqual(deltas, []);
    assert.deepEqual(result.toolCalls, [
      {
        toolCallId: 'call_Rt5nW2qX8vKm1pLs4bYd7cFg',
        toolName: 'segment_stats',
        input: { segment: 'saas-emea' },
      },
    ]);
    assert.equal(result.finishReason, 'tool-calls');
    assert.deepEqual(result.usage, { inputTokens: 96, outputTokens: 18 });
  });
});

describe('OpenAI retries, timeouts and fallback', () => {
  test('retries a 429, waiting as long as retry-after-ms asks, then succeeds', async () => {
    wire.server.reply(
      PATH,
      { status: 429, headers: { 'retry-after-ms': '120' }, json: loadFixture('openai-error-429.json') },
      { json: loadFixture('openai-chat-text.json') },
    );
    const models = client();
    const result = await models.generateText({ workspaceId: 'ws_a', prompt: 'Hello' });

    assert.equal(wire.server.requests.length, 2);
    assert.deepEqual(sleeps, [120]);
    assert.equal(result.provider, 'openai');
    assert.equal(result.fallback, null);
    assert.equal(models.usage('ws_a').byOutcome.ok, 1);
  });

  test('gives up at once when retry-after asks for longer than the longest wait, falling back as rate_limited', async () => {
    wire.server.reply(PATH, {
      status: 429,
      headers: { 'retry-after': '120' },
      json: loadFixture('openai-error-429.json'),
    });
    const result = await client().generateText({ workspaceId: 'ws_a', prompt: 'Hello' });

    assert.equal(wire.server.requests.length, 1);
    assert.deepEqual(sleeps, []);
    assert.equal(result.provider, 'offline');
    assert.equal(result.fallback?.reason, 'rate_limited');
  });

  test('retries a 500 with exponential backoff and falls back to the offline model once retries run out', async () => {
    const failure = { status: 500, json: loadFixture('openai-error-500.json') };
    wire.server.reply(PATH, failure, failure, failure);
    const models = client();
    const result = await extractSlots(models, 'budget 50k');

    assert.equal(wire.server.requests.length, 3);
    assert.deepEqual(sleeps, [10, 20]);
    assert.deepEqual(result.object, offlineSlots);
    assert.equal(result.provider, 'offline');
    assert.equal(result.fallback?.from, 'openai:gpt-4o-mini');
    assert.equal(result.fallback?.reason, 'unavailable');
    const usage = models.usage('ws_a');
    assert.equal(usage.byOutcome.error, 1);
    assert.equal(usage.byOutcome.fallback, 1);
  });

  test('does not retry a 400 and reports the fallback as rejected', async () => {
    wire.server.reply(
      PATH,
      { status: 400, json: loadFixture('openai-error-400.json') },
      { json: loadFixture('openai-chat-json.json') },
    );
    const result = await extractSlots(client(), 'x');

    assert.equal(wire.server.requests.length, 1);
    assert.deepEqual(sleeps, []);
    assert.equal(result.fallback?.reason, 'rejected');
    assert.match(result.fallback?.message ?? '', /required/);
  });

  test('falls back to the offline model with reason timeout when the provider does not answer in time', async () => {
    wire.server.reply(PATH, { hang: true });
    const models = client({ timeoutMs: 150 });
    const result = await models.generateText({ workspaceId: 'ws_a', prompt: 'Hi, can I book a demo?' });

    assert.equal(result.provider, 'offline');
    assert.deepEqual(result.fallback && { from: result.fallback.from, reason: result.fallback.reason }, {
      from: 'openai:gpt-4o-mini',
      reason: 'timeout',
    });
    assert.ok(result.text.length > 0);
    assert.equal(models.usage('ws_a').byOutcome.timeout, 1);
    assert.equal(models.usage('ws_a').byOutcome.fallback, 1);
  });

  test('falls back with reason invalid_output when the provider returns an object that breaks the schema', async () => {
    const wrong = loadFixture<{ choices: Array<{ message: { content: string } }> }>('openai-chat-json.json');
    const choice = wrong.choices[0];
    assert.ok(choice);
    choice.message.content = '{"budget":"a lot","authority":"boss"}';
    wire.server.reply(PATH, { json: wrong });
    const models = client();
    const result = await extractSlots(models, 'x');

    assert.equal(wire.server.requests.length, 1);
    assert.equal(result.fallback?.reason, 'invalid_output');
    assert.deepEqual(result.object, offlineSlots);
    // The failed call's tokens are still accounted to the workspace.
    assert.equal(models.usage('ws_a').inputTokens, 143 + result.usage.inputTokens);
  });

  test('a call the caller cancels neither retries nor falls back', async () => {
    wire.server.reply(PATH, { hang: true });
    const models = client();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('visitor left')), 30);
    await assert.rejects(
      models.generateText({ workspaceId: 'ws_a', prompt: 'Hi', signal: controller.signal }),
      /visitor left/,
    );

    assert.equal(wire.server.requests.length, 1);
    const usage = models.usage('ws_a');
    assert.equal(usage.byOutcome.aborted, 1);
    assert.equal(usage.byOutcome.fallback, 0);
  });

  test('without fallback a failure surfaces as a retryable unavailable error', async () => {
    wire.server.reply(PATH, { status: 503, json: loadFixture('openai-error-500.json') });
    await assert.rejects(
      client({ fallback: false, retry: { maxRetries: 0 } }).generateText({
        workspaceId: 'ws_a',
        prompt: 'Hi',
      }),
      (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.equal((error as { code?: string }).code, 'unavailable');
        assert.equal((error as { retryable?: boolean }).retryable, true);
        assert.match(error.message, /openai:gpt-4o-mini failed \(unavailable\)/);
        return true;
      },
    );
  });

  test('a stream that fails before its first delta falls back to the offline reply, streamed', async () => {
    wire.server.reply(PATH, { status: 500, json: loadFixture('openai-error-500.json') });
    const stream = await client({ retry: { maxRetries: 0 } }).streamText({
      workspaceId: 'ws_a',
      prompt: 'What does it cost?',
    });
    const { deltas, result } = await readStream(stream);

    assert.ok(deltas.length > 1);
    assert.equal(deltas.join(''), result.text);
    assert.equal(result.provider, 'offline');
    assert.equal(result.fallback?.reason, 'unavailable');
  });
});

describe('OpenAI-compatible providers', () => {
  test('ollama:<model> speaks the same protocol at its base URL without an API key', async () => {
    wire.server.reply(PATH, { json: loadFixture('openai-chat-text.json') });
    const models = createModelClient({
      model: 'ollama:llama3.1:8b',
      providers: { ollama: { baseURL: `${wire.server.url}/v1` } },
    });
    const result = await models.generateText({ workspaceId: 'ws_a', prompt: 'Hello' });

    assert.equal(wire.server.requests[0]?.path, PATH);
    assert.equal(wire.server.requests[0]?.headers.authorization, undefined);
    assert.equal(body().model, 'llama3.1:8b');
    assert.equal(result.provider, 'ollama');
    assert.equal(result.model, 'llama3.1:8b');
    assert.deepEqual(result.usage, { inputTokens: 57, outputTokens: 27 });
  });

  test('openai-compatible:<model> sends its key to the configured base URL', async () => {
    wire.server.reply('/gateway/v1/chat/completions', { json: loadFixture('openai-chat-text.json') });
    const models = createModelClient({
      model: 'openai-compatible:mistral-small',
      providers: { openaiCompatible: { baseURL: `${wire.server.url}/gateway/v1`, apiKey: 'gw-key' } },
    });
    const result = await models.generateText({ workspaceId: 'ws_a', prompt: 'Hello' });

    assert.equal(wire.server.requests[0]?.headers.authorization, 'Bearer gw-key');
    assert.equal(body().model, 'mistral-small');
    assert.equal(result.provider, 'openai-compatible');
  });
});
