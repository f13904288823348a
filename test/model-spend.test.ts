import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spendOf } from '../src/main/model-usage-events.ts';
import { createModelPrices } from '../src/models/index.ts';

describe('model prices', () => {
  it('prices a call at the list price of its model, a dated id at its family’s, and offline and Ollama at 0', () => {
    const prices = createModelPrices();
    const million = { inputTokens: 1_000_000, outputTokens: 1_000_000 };
    assert.equal(prices.costOf('openai', 'gpt-4o-mini', million), 0.75);
    assert.equal(prices.costOf('anthropic', 'claude-3-5-haiku-20241022', million), 4.8);
    assert.equal(prices.priceOf('anthropic', 'claude-3-5-haiku-20241022').basis, 'default');
    assert.equal(prices.costOf('offline', 'default', million), 0);
    assert.equal(prices.costOf('ollama', 'llama3.1:8b', million), 0);
    // An OpenAI-compatible server has no list price: spend unknown, not guessed.
    assert.equal(prices.costOf('openai-compatible', 'mistral-7b', million), null);
    assert.equal(prices.currency, 'USD');
  });

  it('takes configured prices over the list, for dated ids too', () => {
    const prices = createModelPrices({
      'openai:gpt-4o-mini': { inputPerMillion: 1, outputPerMillion: 2 },
      'openai-compatible:mistral-7b': { inputPerMillion: 0.05, outputPerMillion: 0.05 },
    });
    assert.equal(
      prices.costOf('openai', 'gpt-4o-mini-2024-07-18', { inputTokens: 500_000, outputTokens: 0 }),
      0.5,
    );
    assert.equal(prices.priceOf('openai', 'gpt-4o-mini').basis, 'configured');
    assert.equal(
      prices.costOf('openai-compatible', 'mistral-7b', { inputTokens: 0, outputTokens: 2_000_000 }),
      0.1,
    );
    assert.match(prices.source, /LEADLOOP_MODEL_PRICES/);
  });

  it('sums a decision’s spend over its models and keeps unpriced tokens apart', () => {
    const spend = spendOf(createModelPrices(), [
      { provider: 'openai', model: 'gpt-4o-mini', inputTokens: 2_000, outputTokens: 500 },
      { provider: 'offline', model: 'default', inputTokens: 900, outputTokens: 100 },
      { provider: 'openai-compatible', model: 'x', inputTokens: 70, outputTokens: 30 },
    ]);
    assert.ok(Math.abs(spend.spend - (2_000 * 0.15 + 500 * 0.6) / 1e6) < 1e-12);
    assert.equal(spend.unpricedTokens, 100);
    assert.equal(spend.currency, 'USD');
  });
});
