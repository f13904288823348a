import { createRequire } from 'node:module';
import type * as AnthropicSdk from '@ai-sdk/anthropic';
import type * as OpenAiSdk from '@ai-sdk/openai';
import type * as OpenAiCompatibleSdk from '@ai-sdk/openai-compatible';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { LeadloopError } from '../core/index.ts';
import {
  createOfflineModel,
  type OfflineLanguageModel,
  type OfflineModelOptions,
} from './offline/offline-model.ts';
import { asSkillRegistry } from './offline/skills.ts';
import {
  DEFAULT_OFFLINE_MODEL_ID,
  formatModelSpec,
  type ModelProvider,
  type ModelSpec,
  parseModelSpec,
} from './spec.ts';

/*
 * Provider SDKs load when a model of theirs is first resolved: a server on the offline model (the
 * default) does not carry three HTTP clients it never calls (about 14 MiB of heap between them).
 * `require` because resolving a model is synchronous; Node 24 loads these ES modules with it.
 */
const load = createRequire(import.meta.url);
const sdk = {
  openai: () => load('@ai-sdk/openai') as typeof OpenAiSdk,
  anthropic: () => load('@ai-sdk/anthropic') as typeof AnthropicSdk,
  openaiCompatible: () => load('@ai-sdk/openai-compatible') as typeof OpenAiCompatibleSdk,
};

/** Endpoints used when a provider's `baseURL` is not set (Ollama's OpenAI-compatible API on this host). */
export const DEFAULT_BASE_URLS = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com/v1',
  ollama: 'http://127.0.0.1:11434/v1',
} as const;

/**
 * Credentials and endpoints per provider. Everything is passed in explicitly: the registry never
 * lets a provider SDK fall back to reading environment variables (only `src/main/` reads env).
 */
export interface ProviderSettings {
  openai?: {
    apiKey?: string;
    baseURL?: string;
    organization?: string;
    project?: string;
    headers?: Record<string, string>;
  };
  anthropic?: { apiKey?: string; baseURL?: string; headers?: Record<string, string> };
  /** Ollama's OpenAI-compatible endpoint; no key needed. */
  ollama?: { baseURL?: string; apiKey?: string; headers?: Record<string, string> };
  /** Any other OpenAI-compatible server (vLLM, LM Studio, a gateway); `baseURL` is required. */
  openaiCompatible?: {
    baseURL?: string;
    apiKey?: string;
    /** Provider name in SDK metadata and the `providerOptions` key it reads; default `openai-compatible`. */
    name?: string;
    headers?: Record<string, string>;
    /** Send `response_format: json_schema` rather than `json_object`; default false. */
    supportsStructuredOutputs?: boolean;
  };
}

/** What the registry needs to build models: provider settings, the `fetch` to use, offline model options. */
export interface AiProviderRegistryOptions {
  providers?: ProviderSettings;
  /** Used by every HTTP provider; tests point it at a local server. Default: global `fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Options of the offline model (its skills, seed, clock). */
  offline?: OfflineModelOptions;
}

/** Resolves `provider:model` specs to AI SDK language models. */
export interface AiProviderRegistry {
  /** The model for a spec; the same instance for the same spec. Throws on a bad spec or missing credentials. */
  languageModel(spec: ModelSpec | string): LanguageModelV3;
  /** The offline model for a model id (default id when omitted). */
  offlineModel(modelId?: string): OfflineLanguageModel;
}

function missing(spec: ModelSpec, setting: string): LeadloopError {
  return new LeadloopError('internal', `model "${formatModelSpec(spec)}" needs ${setting}`);
}

/**
 * Creates the provider registry. Provider settings are read when a model is first resolved, so a
 * missing API key is reported by the first `languageModel(...)` call (the composition root makes
 * that call at boot).
 *
 * @example
 * const registry = createAiProviderRegistry({ providers: { openai: { apiKey } } });
 * const model = registry.languageModel('openai:gpt-4o-mini');
 */
export function createAiProviderRegistry(options: AiProviderRegistryOptions = {}): AiProviderRegistry {
  const providers = options.providers ?? {};
  const fetchFn = options.fetch;
  const skills = asSkillRegistry(options.offline?.skills);
  const cache = new Map<string, LanguageModelV3>();
  const offlineCache = new Map<string, OfflineLanguageModel>();

  const offlineModel = (modelId?: string): OfflineLanguageModel => {
    const key = modelId ?? DEFAULT_OFFLINE_MODEL_ID;
    let model = offlineCache.get(key);
    if (!model) {
      model = createOfflineModel({ ...options.offline, skills, modelId: key });
      offlineCache.set(key, model);
    }
    return model;
  };

  /** An OpenAI-compatible server (Ollama, vLLM, ...), settled settings in hand. */
  const compatible = (
    spec: ModelSpec,
    settings: {
      name: string;
      baseURL: string;
      apiKey?: string | undefined;
      headers?: Record<string, string> | undefined;
      supportsStructuredOutputs: boolean;
    },
  ): LanguageModelV3 =>
    sdk
      .openaiCompatible()
      .createOpenAICompatible({
        name: settings.name,
        baseURL: settings.baseURL,
        ...(settings.apiKey === undefined ? {} : { apiKey: settings.apiKey }),
        ...(settings.headers === undefined ? {} : { headers: settings.headers }),
        ...(fetchFn === undefined ? {} : { fetch: fetchFn }),
        includeUsage: true,
        supportsStructuredOutputs: settings.supportsStructuredOutputs,
      })
      .chatModel(spec.model);

  const factories: Record<ModelProvider, (spec: ModelSpec) => LanguageModelV3> = {
    offline: (spec) => offlineModel(spec.model),
    openai: (spec) => {
      const settings = providers.openai ?? {};
      if (!settings.apiKey) throw missing(spec, 'an API key (providers.openai.apiKey)');
      return sdk
        .openai()
        .createOpenAI({
          apiKey: settings.apiKey,
          baseURL: settings.baseURL ?? DEFAULT_BASE_URLS.openai,
          ...(settings.organization === undefined ? {} : { organization: settings.organization }),
          ...(settings.project === undefined ? {} : { project: settings.project }),
          ...(settings.headers === undefined ? {} : { headers: settings.headers }),
          ...(fetchFn === undefined ? {} : { fetch: fetchFn }),
          // Chat Completions rather than the Responses API: it is what OpenAI-compatible servers speak too.
        })
        .chat(spec.model);
    },
    anthropic: (spec) => {
      const settings = providers.anthropic ?? {};
      if (!settings.apiKey) throw missing(spec, 'an API key (providers.anthropic.apiKey)');
      return sdk
        .anthropic()
        .createAnthropic({
          apiKey: settings.apiKey,
          baseURL: settings.baseURL ?? DEFAULT_BASE_URLS.anthropic,
          ...(settings.headers === undefined ? {} : { headers: settings.headers }),
          ...(fetchFn === undefined ? {} : { fetch: fetchFn }),
        })
        .languageModel(spec.model);
    },
    ollama: (spec) => {
      const settings = providers.ollama ?? {};
      return compatible(spec, {
        ...settings,
        name: 'ollama',
        baseURL: settings.baseURL ?? DEFAULT_BASE_URLS.ollama,
        supportsStructuredOutputs: true,
      });
    },
    'openai-compatible': (spec) => {
      const settings = providers.openaiCompatible ?? {};
      if (!settings.baseURL) throw missing(spec, 'a base URL (providers.openaiCompatible.baseURL)');
      return compatible(spec, {
        ...settings,
        name: settings.name ?? 'openai-compatible',
        baseURL: settings.baseURL,
        supportsStructuredOutputs: settings.supportsStructuredOutputs ?? false,
      });
    },
  };

  return {
    languageModel(specOrString) {
      let spec: ModelSpec;
      if (typeof specOrString === 'string') {
        const parsed = parseModelSpec(specOrString);
        if (!parsed.ok) throw new LeadloopError('internal', parsed.error);
        spec = parsed.value;
      } else {
        spec = specOrString;
      }
      const key = formatModelSpec(spec);
      let model = cache.get(key);
      if (!model) {
        model = factories[spec.provider](spec);
        cache.set(key, model);
      }
      return model;
    },
    offlineModel,
  };
}
