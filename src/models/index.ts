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
export type {
  BudgetDecision,
  BudgetReservation,
  BudgetStatus,
  InMemoryTokenBudget,
  InMemoryTokenBudgetOptions,
  TokenBudget,
} from './budget.ts';
/** Budget factory: tokens per workspace per window, refusing with `rate_limited` via the client. */
export { createInMemoryTokenBudget } from './budget.ts';
/** Client options. */
export type { ModelClientOptions } from './client.ts';
/** The model port's factory: resolves the configured model at once and wires timeout, retries, budget, metrics, fallback. */
export { createModelClient } from './client.ts';
/** The offline model and its options. */
export type { OfflineLanguageModel, OfflineModelOptions } from './offline/offline-model.ts';
/** Leadloop's deterministic `LanguageModelV3` and the `providerOptions` key that carries `skill` and `input`. */
export {
  createOfflineModel,
  OFFLINE_PROVIDER_ID,
  OFFLINE_PROVIDER_OPTIONS_KEY,
} from './offline/offline-model.ts';
/** Intents the default reply skill recognises. */
export type { ReplyIntent } from './offline/replies.ts';
/** The default free-text skill (templated, varied replies) and its intent classifier. */
export { classifyReplyIntent, defaultReplySkill } from './offline/replies.ts';
/** What an offline skill receives and returns. */
export type {
  OfflineSkill,
  SkillInput,
  SkillMessage,
  SkillOutput,
  SkillRegistry,
  SkillTool,
  SkillToolResult,
} from './offline/skills.ts';
/** Skill registry factory. */
export { asSkillRegistry, createSkillRegistry } from './offline/skills.ts';
/** Helpers for skills: token estimate (~4 characters per token), stable hash, deterministic variant choice. */
export { chunkText, estimateTokens, hashString, pickVariant } from './offline/text-utils.ts';
/** The port's request and result types. */
export type {
  FallbackReason,
  ModelCallOptions,
  ModelClient,
  ModelFallback,
  ModelFinishReason,
  ModelMessage,
  ModelPrompt,
  ModelResultBase,
  ModelTool,
  ModelToolCall,
  ModelToolResult,
  ModelUsage,
  ObjectRequest,
  ObjectResult,
  TextRequest,
  TextResult,
  TextStream,
} from './port.ts';
/** Provider registry types. */
export type { AiProviderRegistry, AiProviderRegistryOptions, ProviderSettings } from './provider-registry.ts';
/** Provider registry keyed `provider:model`, and the default endpoints. */
export { createAiProviderRegistry, DEFAULT_BASE_URLS } from './provider-registry.ts';
/** Retry policy types. */
export type { RetryEvent, RetryPolicy } from './retry.ts';
/** Default retry policy and the retryable-error test (408, 409, 429, 5xx, network). */
export { DEFAULT_RETRY_POLICY, isRetryableModelError } from './retry.ts';
/** Model spec types. */
export type { ModelProvider, ModelSpec } from './spec.ts';
/** `provider:model` parsing for `LEADLOOP_MODEL`, its zod schema for configuration, and formatting. */
export {
  DEFAULT_OFFLINE_MODEL_ID,
  formatModelSpec,
  MODEL_PROVIDERS,
  modelSpecSchema,
  parseModelSpec,
} from './spec.ts';
/** Usage accounting types. */
export type { ModelCallOutcome, ModelCallRecord, ModelUsageMeter, WorkspaceModelUsage } from './usage.ts';
/** Usage meter: per-workspace totals and `leadloop_model_*_total` counters on a given prom-client registry. */
export { createModelUsageMeter, MODEL_CALL_OUTCOMES } from './usage.ts';
