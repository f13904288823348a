import { APICallError, type LanguageModelV3 } from '@ai-sdk/provider';
import { wrapLanguageModel } from 'ai';
import type { Clock } from '../core/index.ts';

/** How provider calls are retried. The SDK's own `maxRetries` is set to 0 so this is the only retry loop. */
export interface RetryPolicy {
  /** Retries after the first attempt; 0 disables retrying. */
  maxRetries: number;
  initialDelayMs: number;
  backoffFactor: number;
  /** Longest wait between attempts; a `retry-after` asking for more ends the retries instead. */
  maxDelayMs: number;
}

/** Two retries after 0.5 s and 1 s (with jitter), never waiting more than 10 s. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 2,
  initialDelayMs: 500,
  backoffFactor: 2,
  maxDelayMs: 10_000,
};

/** One scheduled retry, for logs and tests. */
export interface RetryEvent {
  /** 1 for the first retry. */
  retry: number;
  delayMs: number;
  statusCode: number | undefined;
  error: unknown;
}

/** What {@link withRetries} needs: the policy and injected time, sleep and randomness. */
export interface RetryOptions {
  policy: RetryPolicy;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** In [0, 1); spreads retries of many clients apart. */
  random: () => number;
  clock: Clock;
  onRetry?: (event: RetryEvent) => void;
}

/**
 * Whether the provider said "try again": HTTP 408, 409, 429 and 5xx, and network failures, as
 * classified by the SDK's `APICallError.isRetryable`. A 400 (bad request, bad key) is final.
 */
export function isRetryableModelError(error: unknown): boolean {
  return APICallError.isInstance(error) && error.isRetryable;
}

/** The wait the server asked for, in ms, from `retry-after-ms` or `retry-after` (seconds or HTTP date). */
export function serverRetryDelayMs(error: unknown, nowMs: number): number | undefined {
  if (!APICallError.isInstance(error) || error.responseHeaders === undefined) return undefined;
  const headers = error.responseHeaders;
  const ms = Number.parseFloat(headers['retry-after-ms'] ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const after = headers['retry-after'];
  if (after === undefined) return undefined;
  const seconds = Number.parseFloat(after);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

async function withRetry<T>(
  attempt: () => PromiseLike<T>,
  signal: AbortSignal | undefined,
  options: RetryOptions,
): Promise<T> {
  const { policy } = options;
  for (let retry = 1; ; retry++) {
    try {
      return await attempt();
    } catch (error) {
      if (signal?.aborted || retry > policy.maxRetries || !isRetryableModelError(error)) throw error;
      const asked = serverRetryDelayMs(error, options.clock.now());
      if (asked !== undefined && asked > policy.maxDelayMs) throw error;
      const backoff = policy.initialDelayMs * policy.backoffFactor ** (retry - 1);
      const delayMs = Math.min(policy.maxDelayMs, asked ?? backoff * (0.5 + 0.5 * options.random()));
      options.onRetry?.({
        retry,
        delayMs,
        statusCode: APICallError.isInstance(error) ? error.statusCode : undefined,
        error,
      });
      await options.sleep(delayMs, signal);
    }
  }
}

/**
 * Wraps a model so that `doGenerate` and `doStream` retry retryable failures with exponential
 * backoff, honouring `retry-after` headers and the call's abort signal. A stream is retried only
 * while opening it (status errors arrive before the first chunk), never after text has flowed.
 */
export function withRetries(model: LanguageModelV3, options: RetryOptions): LanguageModelV3 {
  if (options.policy.maxRetries <= 0) return model;
  return wrapLanguageModel({
    model,
    middleware: {
      specificationVersion: 'v3',
      wrapGenerate: ({ doGenerate, params }) => withRetry(doGenerate, params.abortSignal, options),
      wrapStream: ({ doStream, params }) => withRetry(doStream, params.abortSignal, options),
    },
  });
}
