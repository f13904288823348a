import { z } from 'zod';
import { err, ok, type Result } from '../core/index.ts';

/** Every provider the registry knows. Adding one here fails compilation until the registry handles it. */
export const MODEL_PROVIDERS = ['offline', 'openai', 'anthropic', 'ollama', 'openai-compatible'] as const;
/** A provider name, the part of a spec before the first `:`. */
export type ModelProvider = (typeof MODEL_PROVIDERS)[number];

/** A parsed `provider:model` string such as `openai:gpt-4o-mini` or `ollama:llama3.1:8b`. */
export interface ModelSpec {
  provider: ModelProvider;
  model: string;
}

/** Model id used when the spec is just `offline`. */
export const DEFAULT_OFFLINE_MODEL_ID = 'leadloop-offline-1';

const EXPECTED =
  'expected "offline" or "<provider>:<model>" with provider one of ' +
  `${MODEL_PROVIDERS.join(', ')} (for example "openai:gpt-4o-mini", "anthropic:claude-sonnet-4-5", "ollama:llama3.1")`;

function isProvider(value: string): value is ModelProvider {
  return (MODEL_PROVIDERS as readonly string[]).includes(value);
}

/**
 * Parses `LEADLOOP_MODEL`-style strings. Only the first `:` separates provider from model, so
 * model ids with tags (`ollama:llama3.1:8b`) survive intact. Whitespace around the value is ignored.
 */
export function parseModelSpec(value: string): Result<ModelSpec, string> {
  const trimmed = value.trim();
  if (trimmed === '') return err(`model spec is empty; ${EXPECTED}`);
  const colon = trimmed.indexOf(':');
  const provider = colon === -1 ? trimmed : trimmed.slice(0, colon);
  const model = colon === -1 ? '' : trimmed.slice(colon + 1).trim();
  if (!isProvider(provider)) {
    return err(`model spec "${value}" names unknown provider "${provider}"; ${EXPECTED}`);
  }
  if (provider === 'offline') return ok({ provider, model: model || DEFAULT_OFFLINE_MODEL_ID });
  if (model === '') return err(`model spec "${value}" has no model id after "${provider}:"; ${EXPECTED}`);
  if (/\s/.test(model)) return err(`model spec "${value}" has whitespace in the model id; ${EXPECTED}`);
  return ok({ provider, model });
}

/** `provider:model`, the inverse of {@link parseModelSpec}. */
export function formatModelSpec(spec: ModelSpec): string {
  return `${spec.provider}:${spec.model}`;
}

/** zod schema for configuration: a string that parses as a model spec, with the parser's message on failure. */
export const modelSpecSchema = z.string().transform((value, ctx): ModelSpec => {
  const parsed = parseModelSpec(value);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  }
  return parsed.value;
});
