/**
 * The AI model port. Leadloop code (the chat dialog engine, the council) calls a {@link ModelClient};
 * every call runs through the Vercel AI SDK over a `LanguageModelV3` chosen by a `provider:model`
 * spec (`LEADLOOP_MODEL`), with a timeout, retries, a per-workspace token budget, usage metrics and
 * a fallback to Leadloop's deterministic offline model, which is also the default.
 *
 * Offline skills: modules plug rule-based logic into the offline model by registering a skill
 * (`skills.register('chat.extract', fn)`) on the {@link SkillRegistry} handed to
 * {@link createModelClient}; a call selects it with `task: 'chat.extract'` and may pass parsed facts
 * in `skillInput`. See `docs/decisions/2026-11-28-model-port.md`.
 *
 * @example
 * const skills = createSkillRegistry();
 * skills.register('chat.extract', (input) => ({ type: 'object', object: extractSlots(input.lastUserText) }));
 * const models = createModelClient({ model: 'offline', skills, budget, metricsRegistry });
 * const { object, fallback } = await models.generateObject({
 *   workspaceId, task: 'chat.extract', schema: slotsSchema, prompt: visitorText, signal,
 * });
 */

/** Budget: the {@link TokenBudget} port and its in-memory, fixed-window implementation. */

/** Budget factory: tokens per workspace per window, refusing with `rate_limited` via the client. */
export { createInMemoryTokenBudget } from './budget.ts';
/** Client options. */

/** The model port's factory: resolves the configured model at once and wires timeout, retries, budget, metrics, fallback. */
export { createModelClient } from './client.ts';
/** The offline model and its options. */
/** Leadloop's deterministic `LanguageModelV3` and the `providerOptions` key that carries `skill` and `input`. */
/** Intents the default reply skill recognises. */
/** The default free-text skill (templated, varied replies) and its intent classifier. */

/** What an offline skill receives and returns. */
export type {
  OfflineSkill,
  SkillRegistry,
} from './offline/skills.ts';
/** Skill registry factory. */
export { createSkillRegistry } from './offline/skills.ts';
/** Helpers for skills: token estimate (~4 characters per token), stable hash, deterministic variant choice. */
export { estimateTokens } from './offline/text-utils.ts';
/** The port's request and result types. */
export type {
  ModelClient,
  ModelMessage,
  ObjectResult,
} from './port.ts';
/** Prices per model (configured, or the providers' list prices; offline and Ollama free) and the cost of a call. */
export type { ModelPrices } from './prices.ts';
export { createModelPrices } from './prices.ts';
/** Provider registry types. */
/** Provider registry keyed `provider:model`, and the default endpoints. */
/** Retry policy types. */
/** Default retry policy and the retryable-error test (408, 409, 429, 5xx, network). */

/** Model spec types. */
export type { ModelProvider } from './spec.ts';
/** `provider:model` parsing for `LEADLOOP_MODEL`, its zod schema for configuration, and formatting. */
export { parseModelSpec } from './spec.ts';
/** Usage accounting types. */
/** Usage meter: per-workspace totals and `leadloop_model_*_total` counters on a given prom-client registry. */
