import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { createModelClient } from './client.ts';
import type { ModelClient } from './port.ts';
import { loadFixture, type SseEvent } from './testing/protocol-server.ts';
import { LOOKUP_LEAD_TOOLS, readStream, setUpWireTest, toolRoundTrip } from './testing/wire-test.ts';

const PATH = '/v1/messages';
const nextActionSchema = z.object({
  action: z.enum(['route_to_rep', 'start_nurture', 'ask_missing_info', 'disqualify']),
  confidence: z.number().min(0).max(1),
  message: z.string(),
});

const wire = setUpWireTest();
const { sleeps, body } = wire;

function client(model = 'anthropic:claude-sonnet-4-5'): ModelClient {
  return createModelClient({
    model,
    providers: { anthropic: { apiKey: 'sk-ant-test', baseURL: `${wire.server.url}/v1` } },
    retry: { maxRetries: 2, initialDelayMs: 10 },
    random: () => 1,
    sleep: wire.sleep,
  });
}

describe('Anthropic Messages wire format', () => {
  test('sends x-api-key, anthropic-version, the system prompt and max_tokens, and returns text and usage', async () => {
    wire.server.reply(PATH, { json: loadFixture('anthropic-messages-text.json') });
    const result = await client().generateText({
      workspaceId: 'ws_b',
      system: 'You qualify leads for Acme.',
      prompt: 'I run sales ops and we lose inbound leads.',
      maxOutputTokens: 300,
    });

    const request = wire.server.requests[0];
    assert.equal(request?.path, PATH);
    assert.equal(request?.headers['x-api-key'], 'sk-ant-test');
    assert.equal(request?.headers['anthropic-version'], '2023-06-01');
    assert.equal(request?.headers.authorization, undefined);
    assert.equal(body().model, 'claude-sonnet-4-5');
    assert.equal(body().max_tokens, 300);
    assert.deepEqual(body().system, [{ type: 'text', text: 'You qualify leads for Acme.' }]);
    assert.deepEqual(body().messages, [
      { role: 'user', content: [{ type: 'text', text: 'I run sales ops and we lose inbound leads.' }] },
    ]);
    assert.equal(
      result.text,
      'Understood: a director looking to route inbound leads faster. Is there a date you need this live by?',
    );
    assert.deepEqual(result.usage, { inputTokens: 64, outputTokens: 24 });
    assert.equal(result.provider, 'anthropic');
    assert.equal(result.finishReason, 'stop');
  });

  test('offers tools with input_schema, returns tool_use blocks as tool calls, and sends tool_result blocks back', async () => {
    wire.server.reply(
      PATH,
      { json: loadFixture('anthropic-messages-tool-use.json') },
      { json: loadFixture('anthropic-messages-text.json') },
    );
    const tools = LOOKUP_LEAD_TOOLS;
    const models = client();
    const first = await models.generateText({ workspaceId: 'ws_b', prompt: 'Research this lead.', tools });

    const sentTools = body().tools as Array<{
      name: string;
      description: string;
      input_schema: { properties: object };
    }>;
    assert.equal(sentTools[0]?.name, 'lookup_lead');
    assert.equal(sentTools[0]?.description, 'Reads a lead of this workspace.');
    assert.deepEqual(Object.keys(sentTools[0]?.input_schema.properties ?? {}), ['leadId', 'include']);
    assert.equal(first.text, "I'll pull the lead's history first.");
    assert.equal(first.finishReason, 'tool-calls');
    assert.deepEqual(first.toolCalls, [
      {
        toolCallId: 'toolu_01A09q90qw90lq917835lq9',
        toolName: 'lookup_lead',
        input: { leadId: 'lead_01JDX4K9T2M8Q3R5V7W9YB1C3D', include: ['history'] },
      },
    ]);

    await models.generateText({
      workspaceId: 'ws_b',
      tools,
      messages: toolRoundTrip('Research this lead.', first, first.text, { events: 3 }),
    });
    const messages = body(1).messages as Array<{ role: string; content: Array<Record<string, unknown>> }>;
    assert.deepEqual(
      messages[1]?.content.map((block) => block.type),
      ['text', 'tool_use'],
    );
    assert.equal(messages[1]?.content[1]?.id, 'toolu_01A09q90qw90lq917835lq9');
    assert.equal(messages[2]?.role, 'user');
    assert.equal(messages[2]?.content[0]?.type, 'tool_result');
    assert.equal(messages[2]?.content[0]?.tool_use_id, 'toolu_01A09q90qw90lq917835lq9');
    assert.equal(messages[2]?.content[0]?.content, JSON.stringify({ events: 3 }));
  });

  test('asks a structured-output model for a json_schema output format and validates the object', async () => {
    wire.server.reply(PATH, { json: loadFixture('anthropic-messages-json.json') });
    const result = await client().generateObject({
      workspaceId: 'ws_b',
      task: 'council.strategist',
      schema: nextActionSchema,
      prompt: 'Qualified lead: director, 50k budget, needs it next quarter.',
    });

    const outputConfig = body().output_config as { format: { type: string; schema: { properties: object } } };
    assert.equal(outputConfig.format.type, 'json_schema');
    assert.deepEqual(Object.keys(outputConfig.format.schema.properties), ['action', 'confidence', 'message']);
    assert.deepEqual(result.object, {
      action: 'route_to_rep',
      confidence: 0.82,
      message: 'Hi Dana, thanks for the details. A specialist will reach out today.',
    });
    assert.deepEqual(result.usage, { inputTokens: 311, outputTokens: 42 });
  });

  test('gets structured output from an older model through a forced json tool', async () => {
    wire.server.reply(PATH, { json: loadFixture('anthropic-messages-json-tool.json') });
    const result = await client('anthropic:claude-3-haiku-20240307').generateObject({
      workspaceId: 'ws_b',
      schema: nextActionSchema,
      prompt: 'Lead with a long timeline.',
    });

    const sentTools = body().tools as Array<{ name: string; input_schema: { properties: object } }>;
    assert.deepEqual(
      sentTools.map((t) => t.name),
      ['json'],
    );
    assert.deepEqual(Object.keys(sentTools[0]?.input_schema.properties ?? {}), [
      'action',
      'confidence',
      'message',
    ]);
    // Only the json tool is offered, so "any" forces it.
    assert.deepEqual(body().tool_choice, { type: 'any', disable_parallel_tool_use: true });
    assert.equal(body().output_config, undefined);
    assert.equal(result.object.action, 'start_nurture');
    assert.equal(result.object.confidence, 0.64);
  });

  test('streams text deltas from content_block_delta events with input and output usage', async () => {
    const { events } = loadFixture<{ events: SseEvent[] }>('anthropic-messages-stream.json');
    wire.server.reply(PATH, { sse: events });
    const stream = await client().streamText({ workspaceId: 'ws_b', prompt: 'Can we do a demo?' });
    const { deltas, result } = await readStream(stream);

    assert.equal(body().stream, true);
    assert.deepEqual(deltas, ['Great', ', a demo it is.', ' Which day suits you?']);
    assert.equal(result.text, 'Great, a demo it is. Which day suits you?');
    assert.deepEqual(result.usage, { inputTokens: 38, outputTokens: 14 });
    assert.equal(result.finishReason, 'stop');
  });
});

describe('Anthropic retries', () => {
  test('retries a 529 overloaded response, then succeeds', async () => {
    wire.server.reply(
      PATH,
      { status: 529, json: loadFixture('anthropic-error-529.json') },
      { json: loadFixture('anthropic-messages-text.json') },
    );
    const result = await client().generateText({ workspaceId: 'ws_b', prompt: 'Hello' });

    assert.equal(wire.server.requests.length, 2);
    assert.deepEqual(sleeps, [10]);
    assert.equal(result.provider, 'anthropic');
    assert.equal(result.fallback, null);
  });

  test('does not retry a 400 and falls back to the offline model', async () => {
    wire.server.reply(PATH, { status: 400, json: loadFixture('anthropic-error-400.json') });
    const result = await client().generateText({ workspaceId: 'ws_b', prompt: 'Hello' });

    assert.equal(wire.server.requests.length, 1);
    assert.deepEqual(sleeps, []);
    assert.equal(result.provider, 'offline');
    assert.equal(result.fallback?.from, 'anthropic:claude-sonnet-4-5');
    assert.equal(result.fallback?.reason, 'rejected');
    assert.match(result.fallback?.message ?? '', /roles must alternate/);
  });
});
