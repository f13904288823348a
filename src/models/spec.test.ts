import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { createModelClient } from './client.ts';
import { createAiProviderRegistry } from './provider-registry.ts';
import { formatModelSpec, MODEL_PROVIDERS, modelSpecSchema, parseModelSpec } from './spec.ts';

describe('model spec parser', () => {
  test('parses provider:model, keeping colons of tagged model ids', () => {
    assert.deepEqual(parseModelSpec('openai:gpt-4o-mini'), {
      ok: true,
      value: { provider: 'openai', model: 'gpt-4o-mini' },
    });
    assert.deepEqual(parseModelSpec('anthropic:claude-sonnet-4-5'), {
      ok: true,
      value: { provider: 'anthropic', model: 'claude-sonnet-4-5' },
    });
    assert.deepEqual(parseModelSpec(' ollama:llama3.1:8b '), {
      ok: true,
      value: { provider: 'ollama', model: 'llama3.1:8b' },
    });
    assert.deepEqual(parseModelSpec('openai-compatible:mistral-small'), {
      ok: true,
      value: { provider: 'openai-compatible', model: 'mistral-small' },
    });
  });

  test('reads a bare "offline" as the default offline model', () => {
    assert.deepEqual(parseModelSpec('offline'), {
      ok: true,
      value: { provider: 'offline', model: 'leadloop-offline-1' },
    });
    assert.deepEqual(parseModelSpec('offline:tuned'), {
      ok: true,
      value: { provider: 'offline', model: 'tuned' },
    });
  });

  test('names the bad value and what is expected', () => {
    const unknown = parseModelSpec('gpt-4o');
    assert.equal(unknown.ok, false);
    assert.match(
      unknown.ok ? '' : unknown.error,
      /model spec "gpt-4o" names unknown provider "gpt-4o"; expected "offline" or "<provider>:<model>"/,
    );
    const noModel = parseModelSpec('openai:');
    assert.match(noModel.ok ? '' : noModel.error, /"openai:" has no model id after "openai:"/);
    const empty = parseModelSpec('   ');
    assert.match(empty.ok ? '' : empty.error, /empty; expected/);
    const spaced = parseModelSpec('openai:gpt 4o');
    assert.match(spaced.ok ? '' : spaced.error, /whitespace/);
  });

  test('the zod schema carries the parser message for configuration errors', () => {
    assert.deepEqual(modelSpecSchema.parse('anthropic:claude-sonnet-4-5'), {
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
    });
    const result = modelSpecSchema.safeParse('azure:gpt-4o');
    assert.equal(result.success, false);
    assert.match(result.error?.issues[0]?.message ?? '', /unknown provider "azure"/);
  });

  test('format and parse are inverses for every provider and model id', () => {
    const modelId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,40}$/);
    fc.assert(
      fc.property(fc.constantFrom(...MODEL_PROVIDERS), modelId, (provider, model) => {
        const parsed = parseModelSpec(formatModelSpec({ provider, model }));
        assert.deepEqual(parsed, { ok: true, value: { provider, model } });
      }),
    );
  });

  test('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        const parsed = parseModelSpec(value);
        if (!parsed.ok) assert.ok(parsed.error.includes('expected'));
      }),
    );
  });
});

describe('model registry', () => {
  test('builds each provider from its spec through the AI SDK', () => {
    const registry = createAiProviderRegistry({
      providers: {
        openai: { apiKey: 'sk-1' },
        anthropic: { apiKey: 'sk-ant-1' },
        openaiCompatible: { baseURL: 'http://127.0.0.1:9/v1' },
      },
    });
    assert.equal(registry.languageModel('openai:gpt-4o-mini').provider, 'openai.chat');
    assert.equal(registry.languageModel('anthropic:claude-sonnet-4-5').provider, 'anthropic.messages');
    assert.equal(registry.languageModel('ollama:llama3.1').provider, 'ollama.chat');
    assert.equal(registry.languageModel('openai-compatible:qwen').provider, 'openai-compatible.chat');
    assert.equal(registry.languageModel('offline').provider, 'leadloop.offline');
    assert.equal(
      registry.languageModel('openai:gpt-4o-mini'),
      registry.languageModel({ provider: 'openai', model: 'gpt-4o-mini' }),
    );
  });

  test('reports missing credentials and base URLs by model and setting', () => {
    const registry = createAiProviderRegistry();
    assert.throws(
      () => registry.languageModel('openai:gpt-4o-mini'),
      /"openai:gpt-4o-mini" needs an API key \(providers\.openai\.apiKey\)/,
    );
    assert.throws(
      () => registry.languageModel('anthropic:claude-sonnet-4-5'),
      /providers\.anthropic\.apiKey/,
    );
    assert.throws(
      () => registry.languageModel('openai-compatible:qwen'),
      /needs a base URL \(providers\.openaiCompatible\.baseURL\)/,
    );
    assert.throws(() => registry.languageModel('mistral:large'), /unknown provider "mistral"/);
  });

  test('a client with a bad spec or missing key fails when it is created, not on the first call', () => {
    assert.throws(() => createModelClient({ model: 'openai' }), /unknown provider|no model id/);
    assert.throws(() => createModelClient({ model: 'anthropic:claude-sonnet-4-5' }), /needs an API key/);
  });
});
