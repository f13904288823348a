import { APICallError, type LanguageModelV3 } from '@ai-sdk/provider';
import {
  generateText,
  type LanguageModelUsage,
  NoObjectGeneratedError,
  Output,
  type Schema,
  streamText,
  zodSchema,
} from 'ai';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import { type Clock, invariant, LeadloopError, sleep, systemClock } from '../core/index.ts';
import type { BudgetReservation, TokenBudget } from './budget.ts';
import { estimatePromptTokens, schemaNameFor, toJsonObject, toSdkMessages, toSdkTools } from './messages.ts';
import { OFFLINE_PROVIDER_OPTIONS_KEY } from './offline/offline-model.ts';
import type { OfflineSkill, SkillRegistry } from './offline/skills.ts';
import type {
  FallbackReason,
  ModelCallOptions,
  ModelClient,
  ModelFallback,
  ModelFinishReason,
  ModelPrompt,
  ModelToolCall,
  ModelUsage,
  TextRequest,
  TextResult,
  TextStream,
} from './port.ts';
import { createAiProviderRegistry, type ProviderSettings } from './provider-registry.ts';
import { DEFAULT_RETRY_POLICY, type RetryEvent, type RetryPolicy, withRetries } from './retry.ts';
import {
  DEFAULT_OFFLINE_MODEL_ID,
  formatModelSpec,
  type ModelProvider,
  type ModelSpec,
  parseModelSpec,
} from './spec.ts';
import { createModelUsageMeter, type ModelCallOutcome, type ModelUsageMeter } from './usage.ts';

/** Everything {@link createModelClient} can be given; all optional, so `createModelClient()` is the offline default. */
export interface ModelClientOptions {
  /** `provider:model` (what `LEADLOOP_MODEL` holds) or a parsed spec. Default `offline`. */
  model?: string | ModelSpec;
  providers?: ProviderSettings;
  /** Used by every HTTP provider. Default: global `fetch`. */
  fetch?: typeof globalThis.fetch;
  /** The offline model's skills (a live registry, or a map). */
  skills?: SkillRegistry | Record<string, OfflineSkill>;
  /** Seed of the offline model's phrasing choices. */
  offlineSeed?: number;
  /** Per-call deadline including retries. Default 30 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Answer with the offline model when the configured model fails. Default true. */
  fallback?: boolean;
  /** Per-workspace token budget. Default: unlimited. */
  budget?: TokenBudget;
  /** Tokens reserved for the answer when a call sets no `maxOutputTokens`. Default 512. */
  outputReserveTokens?: number;
  /** Usage meter to record into; by default one is created (on `metricsRegistry` if given). */
  usage?: ModelUsageMeter;
  /** Where the default usage meter registers its Prometheus counters. */
  metricsRegistry?: Registry;
  clock?: Clock;
  /** Waits between retries; injectable so tests need not wait. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Retry jitter source in [0, 1). */
  random?: () => number;
  onRetry?: (event: RetryEvent) => void;
}

interface Target {
  provider: ModelProvider;
  model: string;
  spec: string;
  languageModel: LanguageModelV3;
}

interface Attempt<R> {
  value: R;
  usage: ModelUsage;
  finishReason: ModelFinishReason;
}

interface Failure {
  outcome: Extract<ModelCallOutcome, 'timeout' | 'error'>;
  reason: FallbackReason;
  message: string;
  usage: ModelUsage;
}

const NO_USAGE: ModelUsage = { inputTokens: 0, outputTokens: 0 };

function usageFrom(usage: LanguageModelUsage | undefined): ModelUsage {
  return { inputTokens: usage?.inputTokens ?? 0, outputTokens: usage?.outputTokens ?? 0 };
}

function classify(error: unknown, timedOut: boolean): Failure {
  const message = (error instanceof Error ? error.message : String(error)).slice(0, 500);
  if (timedOut) return { outcome: 'timeout', reason: 'timeout', message, usage: NO_USAGE };
  if (NoObjectGeneratedError.isInstance(error)) {
    return { outcome: 'error', reason: 'invalid_output', message, usage: usageFrom(error.usage) };
  }
  if (APICallError.isInstance(error)) {
    const reason: FallbackReason =
      error.statusCode === 429 ? 'rate_limited' : error.isRetryable ? 'unavailable' : 'rejected';
    return { outcome: 'error', reason, message, usage: NO_USAGE };
  }
  return { outcome: 'error', reason: 'error', message, usage: NO_USAGE };
}

function finalError(target: Target, failure: Failure, cause: unknown): LeadloopError {
  if (cause instanceof LeadloopError && target.provider === 'offline') return cause;
  const transient =
    failure.reason === 'timeout' || failure.reason === 'rate_limited' || failure.reason === 'unavailable';
  return new LeadloopError(
    transient ? 'unavailable' : 'internal',
    `model ${target.spec} failed (${failure.reason}): ${failure.message}`,
    {
      cause,
      retryable: transient,
    },
  );
}

function resolveSpec(model: string | ModelSpec): ModelSpec {
  if (typeof model !== 'string') return model;
  const parsed = parseModelSpec(model);
  if (!parsed.ok) throw new LeadloopError('internal', parsed.error);
  return parsed.value;
}

/**
 * The AI SDK's form of a zod schema, one per schema object: it converts the schema to JSON Schema
 * at its first use and keeps the result, where a zod schema passed as is was converted at every
 * call (with building the council's proposal schemas per call, 2.3% of a PostgreSQL drain's CPU
 * samples).
 */
const sdkSchemas = new WeakMap<z.ZodType, Schema<unknown>>();
function sdkSchema<T>(schema: z.ZodType<T>): Schema<T> {
  let known = sdkSchemas.get(schema) as Schema<T> | undefined;
  if (!known) {
    known = zodSchema(schema);
    sdkSchemas.set(schema, known as Schema<unknown>);
  }
  return known;
}

/**
 * Creates the model port. Resolves the configured model at once, so bad specs and missing API
 * keys fail at boot rather than on the first visitor.
 *
 * @example
 * const models = createModelClient({ model: 'offline', skills, budget, metricsRegistry });
 * const { object } = await models.generateObject({
 *   workspaceId, task: 'chat.extract', schema: slotsSchema, prompt: visitorText, skillInput: { text: visitorText },
 * });
 */
export function createModelClient(options: ModelClientOptions = {}): ModelClient {
  const spec = resolveSpec(options.model ?? 'offline');
  const clock = options.clock ?? systemClock;
  const registry = createAiProviderRegistry({
    ...(options.providers === undefined ? {} : { providers: options.providers }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    offline: {
      ...(options.skills === undefined ? {} : { skills: options.skills }),
      ...(options.offlineSeed === undefined ? {} : { seed: options.offlineSeed }),
      clock,
    },
  });
  const rawPrimary = registry.languageModel(spec);
  const primary: Target = {
    provider: spec.provider,
    model: spec.model,
    spec: formatModelSpec(spec),
    languageModel:
      spec.provider === 'offline'
        ? rawPrimary
        : withRetries(rawPrimary, {
            policy: { ...DEFAULT_RETRY_POLICY, ...options.retry },
            sleep: options.sleep ?? sleep,
            random: options.random ?? Math.random,
            clock,
            ...(options.onRetry === undefined ? {} : { onRetry: options.onRetry }),
          }),
  };
  const offline: Target = {
    provider: 'offline',
    model: DEFAULT_OFFLINE_MODEL_ID,
    spec: formatModelSpec({ provider: 'offline', model: DEFAULT_OFFLINE_MODEL_ID }),
    languageModel: registry.offlineModel(),
  };
  const canFallBack = (options.fallback ?? true) && primary.provider !== 'offline';
  const timeoutMs = options.timeoutMs ?? 30_000;
  const outputReserve = options.outputReserveTokens ?? 512;
  const meter =
    options.usage ??
    createModelUsageMeter(options.metricsRegistry ? { registry: options.metricsRegistry } : {});
  const budget = options.budget;

  const record = (workspaceId: string, target: Target, outcome: ModelCallOutcome, usage: ModelUsage) =>
    meter.record({ workspaceId, provider: target.provider, model: target.model, outcome, ...usage });

  /**
   * Records a failed attempt on the configured model and says why it failed. A caller's own abort is
   * not the model's failure: it is recorded as `aborted` and the caller's reason is rethrown.
   */
  const primaryFailed = (request: ModelCallOptions, error: unknown, timedOut: boolean): Failure => {
    if (request.signal?.aborted) {
      record(request.workspaceId, primary, 'aborted', NO_USAGE);
      throw request.signal.reason;
    }
    const failure = classify(error, timedOut);
    record(request.workspaceId, primary, failure.outcome, failure.usage);
    return failure;
  };

  async function admit(request: ModelCallOptions & ModelPrompt): Promise<BudgetReservation | undefined> {
    if (request.workspaceId.trim() === '') {
      throw new LeadloopError('internal', 'a model call needs a workspaceId');
    }
    if (request.prompt === undefined && (request.messages ?? []).length === 0) {
      throw new LeadloopError(
        'internal',
        'a model call needs a prompt or at least one message (send prompt "" to speak first)',
      );
    }
    if (!budget) return undefined;
    const estimate =
      estimatePromptTokens(request.system, request) + (request.maxOutputTokens ?? outputReserve);
    const decision = await budget.reserve(request.workspaceId, estimate);
    if (decision.ok) return decision.reservation;
    record(request.workspaceId, primary, 'rate_limited', NO_USAGE);
    throw new LeadloopError(
      'rate_limited',
      `workspace ${request.workspaceId} has used ${decision.used} of its ${decision.limit} model tokens for this window; ` +
        `this call needs about ${estimate}`,
      { retryable: true, retryAfterSeconds: Math.max(1, Math.ceil(decision.retryAfterMs / 1000)) },
    );
  }

  async function settle(reservation: BudgetReservation | undefined, usages: ModelUsage[]): Promise<void> {
    if (!reservation || !budget) return;
    await budget.settle(
      reservation,
      usages.reduce((sum, u) => sum + u.inputTokens + u.outputTokens, 0),
    );
  }

  function deadline(
    request: ModelCallOptions,
    stop?: AbortSignal,
  ): { signal: AbortSignal; timedOut: () => boolean } {
    const timeout = AbortSignal.timeout(request.timeoutMs ?? timeoutMs);
    const signals = [request.signal, stop, timeout].filter((signal) => signal !== undefined);
    const signal = signals.length === 1 ? timeout : AbortSignal.any(signals);
    return { signal, timedOut: () => timeout.aborted && !request.signal?.aborted && !stop?.aborted };
  }

  /** Call options every SDK function gets, with the offline-only instructions when the target is offline. */
  function common(request: ModelCallOptions & ModelPrompt, target: Target) {
    const leadloop = {
      ...(request.task === undefined ? {} : { skill: request.task }),
      ...(request.skillInput === undefined ? {} : { input: toJsonObject(request.skillInput) }),
    };
    return {
      model: target.languageModel,
      ...(request.system === undefined ? {} : { system: request.system }),
      messages: toSdkMessages(request),
      ...(request.maxOutputTokens === undefined ? {} : { maxOutputTokens: request.maxOutputTokens }),
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      maxRetries: 0,
      ...(target.provider === 'offline'
        ? { providerOptions: { [OFFLINE_PROVIDER_OPTIONS_KEY]: leadloop } }
        : {}),
    };
  }

  /** Runs on the configured model, falling back to the offline model on failure. */
  async function execute<R>(
    request: ModelCallOptions & ModelPrompt,
    run: (target: Target, signal: AbortSignal) => Promise<Attempt<R>>,
  ): Promise<Attempt<R> & { target: Target; fallback: ModelFallback | null }> {
    const reservation = await admit(request);
    const spent: ModelUsage[] = [];
    try {
      const { signal, timedOut } = deadline(request);
      try {
        const attempt = await run(primary, signal);
        record(request.workspaceId, primary, 'ok', attempt.usage);
        spent.push(attempt.usage);
        return { ...attempt, target: primary, fallback: null };
      } catch (error) {
        const failure = primaryFailed(request, error, timedOut());
        spent.push(failure.usage);
        if (!canFallBack) throw finalError(primary, failure, error);
        const fallback: ModelFallback = {
          from: primary.spec,
          reason: failure.reason,
          message: failure.message,
        };
        try {
          const attempt = await run(offline, request.signal ?? new AbortController().signal);
          record(request.workspaceId, offline, 'fallback', attempt.usage);
          spent.push(attempt.usage);
          return { ...attempt, target: offline, fallback };
        } catch (offlineError) {
          if (request.signal?.aborted) throw request.signal.reason;
          record(request.workspaceId, offline, 'error', NO_USAGE);
          throw new LeadloopError(
            'unavailable',
            `model ${primary.spec} failed (${failure.reason}) and the offline fallback failed too: ` +
              `${offlineError instanceof Error ? offlineError.message : String(offlineError)}`,
            { cause: offlineError, retryable: failure.reason !== 'rejected' },
          );
        }
      }
    } finally {
      await settle(reservation, spent);
    }
  }

  return {
    model: primary.spec,

    async generateText(request) {
      const tools = toSdkTools(request.tools);
      const answered = await execute(request, async (target, abortSignal) => {
        const result = await generateText({
          ...common(request, target),
          ...(tools === undefined ? {} : { tools }),
          ...(request.toolChoice === undefined ? {} : { toolChoice: request.toolChoice }),
          abortSignal,
        });
        const toolCalls: ModelToolCall[] = result.toolCalls
          .filter((call) => call.invalid !== true)
          .map((call) => ({ toolCallId: call.toolCallId, toolName: call.toolName, input: call.input }));
        return {
          value: { text: result.text, toolCalls },
          usage: usageFrom(result.totalUsage),
          finishReason: result.finishReason,
        };
      });
      return {
        text: answered.value.text,
        toolCalls: answered.value.toolCalls,
        provider: answered.target.provider,
        model: answered.target.model,
        usage: answered.usage,
        fallback: answered.fallback,
        finishReason: answered.finishReason,
      };
    },

    async generateObject(request) {
      const name = request.schemaName ?? schemaNameFor(request.task);
      const output = Output.object({
        schema: sdkSchema(request.schema),
        ...(name === undefined ? {} : { name }),
        ...(request.schemaDescription === undefined ? {} : { description: request.schemaDescription }),
      });
      const answered = await execute(request, async (target, abortSignal) => {
        const result = await generateText({ ...common(request, target), output, abortSignal });
        return {
          value: result.output,
          usage: usageFrom(result.totalUsage),
          finishReason: result.finishReason,
        };
      });
      return {
        object: answered.value,
        provider: answered.target.provider,
        model: answered.target.model,
        usage: answered.usage,
        fallback: answered.fallback,
        finishReason: answered.finishReason,
      };
    },

    async streamText(request) {
      const reservation = await admit(request);
      return createStream(request, reservation);
    },

    usage: (workspaceId) => meter.workspace(workspaceId),
  };

  function createStream(request: TextRequest, reservation: BudgetReservation | undefined): TextStream {
    const tools = toSdkTools(request.tools);
    const { promise: result, resolve, reject } = Promise.withResolvers<TextResult>();
    // Callers who only iterate must not see an unhandled rejection.
    result.catch(() => {});

    async function* streamFrom(
      target: Target,
      abortSignal: AbortSignal,
      state: { emitted: boolean },
    ): AsyncGenerator<string, Attempt<{ text: string; toolCalls: ModelToolCall[] }>> {
      const stream = streamText({
        ...common(request, target),
        ...(tools === undefined ? {} : { tools }),
        ...(request.toolChoice === undefined ? {} : { toolChoice: request.toolChoice }),
        abortSignal,
        onError: () => {},
      });
      let text = '';
      const toolCalls: ModelToolCall[] = [];
      let usage = NO_USAGE;
      let finishReason: ModelFinishReason = 'other';
      for await (const part of stream.fullStream) {
        switch (part.type) {
          case 'text-delta':
            if (part.text === '') break;
            text += part.text;
            state.emitted = true;
            yield part.text;
            break;
          case 'tool-call':
            if (part.invalid !== true)
              toolCalls.push({ toolCallId: part.toolCallId, toolName: part.toolName, input: part.input });
            break;
          case 'error':
            throw part.error;
          case 'abort':
            throw abortSignal.reason ?? new DOMException('The model stream was aborted', 'AbortError');
          case 'finish':
            usage = usageFrom(part.totalUsage);
            finishReason = part.finishReason;
            break;
          default:
            break;
        }
      }
      return { value: { text, toolCalls }, usage, finishReason };
    }

    let iterated = false;
    async function* run(): AsyncGenerator<string, void> {
      const spent: ModelUsage[] = [];
      let settledResult = false;
      const state = { emitted: false };
      let current = primary;
      // Aborts the provider request when the reader stops early.
      const stop = new AbortController();
      try {
        const { signal, timedOut } = deadline(request, stop.signal);
        let answered: Attempt<{ text: string; toolCalls: ModelToolCall[] }>;
        let target = primary;
        let fallback: ModelFallback | null = null;
        try {
          answered = yield* streamFrom(primary, signal, state);
          record(request.workspaceId, primary, 'ok', answered.usage);
        } catch (error) {
          const failure = primaryFailed(request, error, timedOut());
          // Once text reached the visitor, swapping in another model's reply would garble it.
          if (!canFallBack || state.emitted) throw finalError(primary, failure, error);
          fallback = { from: primary.spec, reason: failure.reason, message: failure.message };
          target = offline;
          current = offline;
          answered = yield* streamFrom(
            offline,
            request.signal ? AbortSignal.any([request.signal, stop.signal]) : stop.signal,
            state,
          );
          record(request.workspaceId, offline, 'fallback', answered.usage);
        }
        spent.push(answered.usage);
        settledResult = true;
        resolve({
          text: answered.value.text,
          toolCalls: answered.value.toolCalls,
          provider: target.provider,
          model: target.model,
          usage: answered.usage,
          fallback,
          finishReason: answered.finishReason,
        });
      } catch (error) {
        settledResult = true;
        reject(error);
        throw error;
      } finally {
        if (!settledResult) {
          // The consumer stopped reading: the provider's usage is unknown, so the reservation stays spent.
          stop.abort(new DOMException('The consumer stopped reading the model stream', 'AbortError'));
          record(request.workspaceId, current, 'aborted', NO_USAGE);
          reject(new DOMException('The consumer stopped reading the model stream', 'AbortError'));
          if (reservation) spent.push({ inputTokens: reservation.tokens, outputTokens: 0 });
        }
        await settle(reservation, spent);
      }
    }

    return {
      result,
      [Symbol.asyncIterator]() {
        invariant(!iterated, 'a TextStream can be iterated only once');
        iterated = true;
        return run();
      },
    };
  }
}
