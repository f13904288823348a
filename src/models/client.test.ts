import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { register as globalRegistry, Registry } from 'prom-client';
import { z } from 'zod';
import { createManualClock, LeadloopError } from '../core/index.ts';
import { createInMemoryTokenBudget } from './budget.ts';
import { createModelClient } from './client.ts';
import { createModelUsageMeter } from './usage.ts';

const slotsSchema = z.object({ need: z.string() });
const skills = {
  'chat.need': () => ({ type: 'object' as const, object: { need: 'faster lead routing' } }),
};

describe('model client on the offline model', () => {
  test('is the default and answers text, objects and streams with usage', async () => {
    const models = createModelClient({ skills });
    assert.equal(models.model, 'offline:leadloop-offline-1');

    const text = await models.generateText({ workspaceId: 'ws_a', prompt: 'Hello there' });
    assert.equal(text.provider, 'offline');
    assert.equal(text.fallback, null);
    assert.ok(text.usage.inputTokens > 0 && text.usage.outputTokens > 0);

    const object = await models.generateObject({
      workspaceId: 'ws_a',
      task: 'chat.need',
      schema: slotsSchema,
      prompt: 'x',
    });
    assert.deepEqual(object.object, { need: 'faster lead routing' });

    const stream = await models.streamText({ workspaceId: 'ws_a', prompt: 'Hello there' });
    let streamed = '';
    for await (const delta of stream) streamed += delta;
    assert.equal(streamed, text.text);
    assert.equal((await stream.result).text, text.text);
  });

  test('accounts calls and tokens per workspace', async () => {
    const models = createModelClient({ skills });
    const a1 = await models.generateText({ workspaceId: 'ws_a', prompt: 'We need a CRM integration' });
    const a2 = await models.generateObject({
      workspaceId: 'ws_a',
      task: 'chat.need',
      schema: slotsSchema,
      prompt: 'x',
    });
    const b1 = await models.generateText({ workspaceId: 'ws_b', prompt: 'Pricing?' });

    const usageA = models.usage('ws_a');
    assert.equal(usageA.calls, 2);
    assert.equal(usageA.byOutcome.ok, 2);
    assert.equal(usageA.inputTokens, a1.usage.inputTokens + a2.usage.inputTokens);
    assert.equal(usageA.outputTokens, a1.usage.outputTokens + a2.usage.outputTokens);
    assert.equal(models.usage('ws_b').outputTokens, b1.usage.outputTokens);
    assert.equal(models.usage('ws_unknown').calls, 0);
  });

  test('exports calls and tokens as Prometheus counters on the registry passed in, not the global one', async () => {
    const registry = new Registry();
    const models = createModelClient({ skills, metricsRegistry: registry });
    const first = await models.generateText({ workspaceId: 'ws_a', prompt: 'Hi' });
    const second = await models.generateText({ workspaceId: 'ws_a', prompt: 'Can we book a demo?' });

    const metrics = await registry.metrics();
    assert.match(
      metrics,
      /leadloop_model_calls_total\{provider="offline",model="leadloop-offline-1",workspace_id="ws_a",outcome="ok"\} 2/,
    );
    const inputTotal = first.usage.inputTokens + second.usage.inputTokens;
    const outputTotal = first.usage.outputTokens + second.usage.outputTokens;
    assert.ok(
      metrics.includes(
        `leadloop_model_tokens_total{provider="offline",model="leadloop-offline-1",workspace_id="ws_a",direction="input"} ${inputTotal}`,
      ),
    );
    assert.ok(
      metrics.includes(
        `leadloop_model_tokens_total{provider="offline",model="leadloop-offline-1",workspace_id="ws_a",direction="output"} ${outputTotal}`,
      ),
    );
    assert.equal(globalRegistry.getSingleMetric('leadloop_model_calls_total'), undefined);
  });

  test('refuses a call with rate_limited once the workspace budget for the window is spent, and admits it in the next window', async () => {
    const clock = createManualClock(Date.UTC(2026, 10, 28, 10, 0, 0));
    const budget = createInMemoryTokenBudget({ tokensPerWindow: 100, windowMs: 60_000, clock });
    const registry = new Registry();
    const models = createModelClient({
      // 10 input tokens (40 characters) and 20 output tokens (80 characters) per call.
      skills: { 'fixed.reply': () => ({ type: 'text', text: 'x'.repeat(80) }) },
      budget,
      clock,
      metricsRegistry: registry,
    });
    const call = (workspaceId: string) =>
      models.generateText({
        workspaceId,
        task: 'fixed.reply',
        prompt: 'abcd'.repeat(10),
        maxOutputTokens: 20,
      });

    for (let i = 0; i < 3; i++) await call('ws_a');
    assert.equal(budget.status('ws_a').used, 90);
    await assert.rejects(call('ws_a'), (error: unknown) => {
      assert.ok(error instanceof LeadloopError);
      assert.equal(error.code, 'rate_limited');
      assert.equal(error.retryable, true);
      assert.equal(error.retryAfterSeconds, 60);
      assert.match(
        error.message,
        /ws_a has used 90 of its 100 model tokens for this window; this call needs about 30/,
      );
      return true;
    });
    assert.equal(budget.status('ws_a').used, 90, 'a refused call spends nothing');
    assert.equal(models.usage('ws_a').byOutcome.rate_limited, 1);
    assert.match(await registry.metrics(), /workspace_id="ws_a",outcome="rate_limited"\} 1/);

    await call('ws_b'); // other workspaces keep their own budget
    clock.advance(60_000);
    await call('ws_a');
    assert.equal(budget.status('ws_a').used, 30);
  });

  test('charges the budget with the tokens really used, not the reservation', async () => {
    const clock = createManualClock();
    const budget = createInMemoryTokenBudget({ tokensPerWindow: 10_000, clock });
    const models = createModelClient({ budget, clock, outputReserveTokens: 2_000 });
    const result = await models.generateText({ workspaceId: 'ws_a', prompt: 'Hi' });
    assert.equal(budget.status('ws_a').used, result.usage.inputTokens + result.usage.outputTokens);
  });

  test('a stream abandoned by its reader is accounted as aborted and keeps its reservation spent', async () => {
    const clock = createManualClock();
    const budget = createInMemoryTokenBudget({ tokensPerWindow: 10_000, clock });
    const models = createModelClient({ budget, clock });
    const stream = await models.streamText({
      workspaceId: 'ws_a',
      prompt: 'Tell me about pricing',
      maxOutputTokens: 50,
    });
    const reserved = budget.status('ws_a').used;
    for await (const _delta of stream) break;
    await assert.rejects(stream.result, /stopped reading/);
    assert.equal(models.usage('ws_a').byOutcome.aborted, 1);
    assert.equal(budget.status('ws_a').used, reserved);
  });

  test('a stream can be iterated only once', async () => {
    const models = createModelClient();
    const stream = await models.streamText({ workspaceId: 'ws_a', prompt: 'Hi' });
    for await (const _delta of stream) {
      // drain
    }
    assert.throws(() => stream[Symbol.asyncIterator](), /only once/);
  });

  test('rejects a call without a workspace or without any prompt', async () => {
    const models = createModelClient();
    await assert.rejects(models.generateText({ workspaceId: ' ', prompt: 'Hi' }), /needs a workspaceId/);
    await assert.rejects(
      models.generateText({ workspaceId: 'ws_a', messages: [] }),
      /needs a prompt or at least one message/,
    );
  });

  test('shares one usage meter between clients', async () => {
    const usage = createModelUsageMeter();
    await createModelClient({ usage }).generateText({ workspaceId: 'ws_a', prompt: 'Hi' });
    await createModelClient({ usage }).generateText({ workspaceId: 'ws_a', prompt: 'Hi' });
    assert.equal(usage.workspace('ws_a').calls, 2);
  });
});
