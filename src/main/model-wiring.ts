import {
  CHAT_ANSWER_TASK,
  CHAT_EXTRACT_TASK,
  CHAT_PHRASE_TASK,
  createChatExtractSkill,
  createOfflineExtractor,
  draftEchoSkill,
} from '../chat/index.ts';
import type { Config } from '../config/index.ts';
import { type Clock, LeadloopError } from '../core/index.ts';
import { registerCouncilSkills } from '../council/index.ts';
import {
  createInMemoryTokenBudget,
  createModelClient,
  createModelPrices,
  createSkillRegistry,
  type ModelClient,
  type ModelPrices,
  parseModelSpec,
} from '../models/index.ts';
import type { Metrics } from '../telemetry/index.ts';

/** The AI model the configuration names, and the offline one the council falls back to. */
export interface ModelWiring {
  models: ModelClient;
  /** The council's fallback for pipeline decisions once a workspace's budget is used up. */
  offlineModels: ModelClient;
  /** The configured model is the offline one (no provider, no token budget). */
  offline: boolean;
  /** Chat's rule-based slot extractor: the offline model's chat skill, and every engine's fallback. */
  offlineExtractor: ReturnType<typeof createOfflineExtractor>;
  /** Prices per model (LEADLOOP_MODEL_PRICES over the list prices): spend in money. */
  prices: ModelPrices;
}

export function wireModels(options: { config: Config; clock: Clock; metrics: Metrics }): ModelWiring {
  const { config, clock, metrics } = options;
  const spec = parseModelSpec(config.LEADLOOP_MODEL);
  if (!spec.ok) throw new LeadloopError('validation_failed', `LEADLOOP_MODEL: ${spec.error}`);
  const offline = spec.value.provider === 'offline';
  const offlineExtractor = createOfflineExtractor();
  const skills = createSkillRegistry();
  skills.register(CHAT_EXTRACT_TASK, createChatExtractSkill(offlineExtractor));
  skills.register(CHAT_PHRASE_TASK, draftEchoSkill);
  skills.register(CHAT_ANSWER_TASK, draftEchoSkill);
  registerCouncilSkills(skills);
  const baseURL = config.LEADLOOP_MODEL_BASE_URL;
  const models = createModelClient({
    model: spec.value,
    skills,
    timeoutMs: config.LEADLOOP_MODEL_TIMEOUT_MS,
    // The offline model costs nothing, so only real providers are held to the token budget.
    ...(offline
      ? {}
      : {
          budget: createInMemoryTokenBudget({
            clock,
            tokensPerWindow: config.LEADLOOP_MODEL_TOKENS_PER_HOUR,
            windowMs: 3_600_000,
          }),
        }),
    metricsRegistry: metrics.registry,
    clock,
    providers: {
      openai: { apiKey: config.OPENAI_API_KEY, ...(baseURL ? { baseURL } : {}) },
      anthropic: { apiKey: config.ANTHROPIC_API_KEY, ...(baseURL ? { baseURL } : {}) },
      ollama: baseURL ? { baseURL } : {},
      openaiCompatible: { baseURL, apiKey: config.OPENAI_API_KEY },
    },
  });
  const offlineModels = offline ? models : createModelClient({ model: 'offline', skills, clock });
  const prices = createModelPrices(config.LEADLOOP_MODEL_PRICES);
  return { models, offlineModels, offline, offlineExtractor, prices };
}
