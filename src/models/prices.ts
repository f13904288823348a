import type { ModelUsage } from './port.ts';

/** One model's list price, in currency units per million tokens. */
export interface ModelPrice {
  inputPerMillion: number;
  outputPerMillion: number;
}

/** The one currency model prices are written in (providers bill in US dollars). */
const PRICE_CURRENCY = 'USD';

/**
 * Where the default prices come from: the providers' public price lists (standard, not batch or
 * cached-input, rates) as published in 2025. They were not re-checked against the live pages when
 * this table was written (this build machine has no route to them), and prices change: a
 * deployment that bills on spend sets its own with `LEADLOOP_MODEL_PRICES`.
 */
const DEFAULT_PRICE_SOURCE =
  'list prices per million tokens from openai.com/api/pricing and anthropic.com/pricing (standard rates as published in 2025, not re-checked; set LEADLOOP_MODEL_PRICES to bill on them)';

/**
 * Default prices of the models we name in the docs and configuration examples, keyed
 * `provider:model`. A dated model id (`claude-3-5-haiku-20241022`) takes the price of its longest
 * listed prefix. The offline model and Ollama run on the deployment's own hardware: 0.
 */
const DEFAULT_MODEL_PRICES: Readonly<Record<string, ModelPrice>> = {
  'openai:gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 },
  'openai:gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 },
  'openai:gpt-4.1-nano': { inputPerMillion: 0.1, outputPerMillion: 0.4 },
  'openai:gpt-4.1-mini': { inputPerMillion: 0.4, outputPerMillion: 1.6 },
  'openai:gpt-4.1': { inputPerMillion: 2, outputPerMillion: 8 },
  'anthropic:claude-3-5-haiku': { inputPerMillion: 0.8, outputPerMillion: 4 },
  'anthropic:claude-haiku-4-5': { inputPerMillion: 1, outputPerMillion: 5 },
  'anthropic:claude-3-5-sonnet': { inputPerMillion: 3, outputPerMillion: 15 },
  'anthropic:claude-3-7-sonnet': { inputPerMillion: 3, outputPerMillion: 15 },
  'anthropic:claude-sonnet-4': { inputPerMillion: 3, outputPerMillion: 15 },
  'anthropic:claude-sonnet-4-5': { inputPerMillion: 3, outputPerMillion: 15 },
  'anthropic:claude-opus-4': { inputPerMillion: 15, outputPerMillion: 75 },
};

/** Providers that run on the deployment's own hardware: no price per token. */
const FREE_PROVIDERS = new Set(['offline', 'ollama']);

/** Why a call has the price it has. */
type PriceBasis = 'configured' | 'default' | 'free' | 'unpriced';

export interface ModelPrices {
  /** The price of `provider:model`, and where it came from (`unpriced`: null, spend unknown). */
  priceOf(provider: string, model: string): { price: ModelPrice | null; basis: PriceBasis };
  /** The cost of one call's tokens in `PRICE_CURRENCY`, or null when the model has no price. */
  costOf(provider: string, model: string, usage: ModelUsage): number | null;
  readonly currency: string;
  readonly source: string;
}

/**
 * Prices per model: configured ones first, then the defaults; free for the offline model and
 * Ollama; otherwise unpriced (an `openai-compatible` server, a model not listed), so spend is
 * reported as unknown instead of a guess.
 *
 * @example
 * const prices = createModelPrices();
 * prices.costOf('openai', 'gpt-4o-mini', { inputTokens: 1_000_000, outputTokens: 0 }); // 0.15
 */
export function createModelPrices(configured: Readonly<Record<string, ModelPrice>> = {}): ModelPrices {
  const lookup = (table: Readonly<Record<string, ModelPrice>>, key: string): ModelPrice | null => {
    if (table[key]) return table[key];
    let best: string | null = null;
    for (const listed of Object.keys(table))
      if (key.startsWith(`${listed}-`) && (best === null || listed.length > best.length)) best = listed;
    return best ? (table[best] ?? null) : null;
  };
  const priceOf = (provider: string, model: string): { price: ModelPrice | null; basis: PriceBasis } => {
    const key = `${provider}:${model}`;
    const own = lookup(configured, key);
    if (own) return { price: own, basis: 'configured' };
    if (FREE_PROVIDERS.has(provider))
      return { price: { inputPerMillion: 0, outputPerMillion: 0 }, basis: 'free' };
    const listed = lookup(DEFAULT_MODEL_PRICES, key);
    return listed ? { price: listed, basis: 'default' } : { price: null, basis: 'unpriced' };
  };
  return {
    priceOf,
    costOf(provider, model, usage) {
      const { price } = priceOf(provider, model);
      if (!price) return null;
      return (usage.inputTokens * price.inputPerMillion + usage.outputTokens * price.outputPerMillion) / 1e6;
    },
    currency: PRICE_CURRENCY,
    source:
      Object.keys(configured).length > 0
        ? `LEADLOOP_MODEL_PRICES for ${Object.keys(configured).join(', ')}; otherwise ${DEFAULT_PRICE_SOURCE}`
        : DEFAULT_PRICE_SOURCE,
  };
}
