import type { Logger } from 'pino';
import { type Clock, inWorkspace, LeadloopError } from '../core/index.ts';
import type { DomainEventLog } from '../events/index.ts';
import type { ModelClient, ModelPrices, ObjectResult } from '../models/index.ts';
import type { Store } from '../store/index.ts';

/** Model usage of one council decision or one chat model call, as the analytics rollups count it. */
interface ModelUsageFigures {
  calls: number;
  /** Calls that failed: a provider error or timeout, answered by the offline model or by no one. */
  failedCalls: number;
  latencyMs: number;
  tokens: number;
  /** Tokens per answering model, prompt and answer apart: what prices apply to. */
  byModel: readonly { provider: string; model: string; inputTokens: number; outputTokens: number }[];
}

/**
 * The one shape model usage takes in the domain-event stream, for `council.decided` and
 * `model.used` alike: the rollups count both the same way (calls, failures, latency, tokens,
 * spend), so spend, cost per qualified lead and the model-health detectors see every model call.
 */
export function modelUsageData(prices: ModelPrices, usage: ModelUsageFigures) {
  return {
    calls: usage.calls,
    failedCalls: usage.failedCalls,
    latencyMs: usage.latencyMs,
    tokens: usage.tokens,
    ...spendOf(prices, usage.byModel),
  };
}

/**
 * A decision's spend in money from its tokens per model: `spend` over the priced models,
 * `unpricedTokens` for models without a price (an `openai-compatible` server not configured in
 * LEADLOOP_MODEL_PRICES), so a total is never silently short.
 */
export function spendOf(
  prices: ModelPrices,
  byModel: readonly { provider: string; model: string; inputTokens: number; outputTokens: number }[],
): { spend: number; currency: string; unpricedTokens: number } {
  let spend = 0;
  let unpricedTokens = 0;
  for (const m of byModel) {
    const cost = prices.costOf(m.provider, m.model, m);
    if (cost === null) unpricedTokens += m.inputTokens + m.outputTokens;
    else spend += cost;
  }
  return { spend, currency: prices.currency, unpricedTokens };
}

/**
 * The model client as chat and workflow generation see it: every call made through it (answered,
 * fallen back to the offline model, failed, timed out or given up on by its caller) becomes a
 * `model.used` event, so those calls land in the rollups the council's decisions feed. The council
 * is not wrapped (nor a workflow's council step, which asks the council service): its calls reach
 * the stream once, with the decision that made them.
 *
 * Events are appended after the call, in their own transaction and off the caller's path: a
 * chat turn never waits on the event log, and a turn's own transaction (which may hold the
 * workspace's append turn) never waits on this one. A call refused by the token budget reached no
 * provider and is not counted.
 */
export function meteredModelClient(options: {
  models: ModelClient;
  prices: ModelPrices;
  store: Store;
  events: DomainEventLog;
  clock: Clock;
  logger: Logger;
}): ModelClient {
  const { models, prices, store, events, clock, logger } = options;
  const [provider = 'offline', ...rest] = models.model.split(':');
  const configured = { provider, model: rest.join(':') || 'default' };
  let pending: Promise<void> = Promise.resolve();

  const append = (workspaceId: string, task: string | undefined, usage: ModelUsageFigures) => {
    const data = { task: task ?? 'chat', ...modelUsageData(prices, usage) };
    pending = pending
      .then(() =>
        inWorkspace(workspaceId, () =>
          store.transaction((trx) =>
            events.append(trx, workspaceId, [{ type: 'model.used', subject: workspaceId, data }]),
          ),
        ),
      )
      .then(
        () => events.notify(workspaceId),
        (error: unknown) =>
          logger.warn({ err: error, workspaceId, task }, 'a model call was not recorded in the metrics'),
      );
  };

  const answered = (
    request: { workspaceId: string; task?: string },
    startedAt: number,
    result: Pick<ObjectResult<unknown>, 'provider' | 'model' | 'usage' | 'fallback'>,
  ) => {
    const failed = result.fallback !== null;
    append(request.workspaceId, request.task, {
      // A fallback is the configured model's failed call and the offline model's answer: one call
      // asked for, one failure (as the council counts its fallbacks).
      calls: 1,
      failedCalls: failed ? 1 : 0,
      latencyMs: Math.max(0, clock.now() - startedAt),
      tokens: result.usage.inputTokens + result.usage.outputTokens,
      byModel: [{ provider: result.provider, model: result.model, ...result.usage }],
    });
  };

  const thrown = (request: { workspaceId: string; task?: string }, startedAt: number, error: unknown) => {
    if (error instanceof LeadloopError && error.code === 'rate_limited') return;
    append(request.workspaceId, request.task, {
      calls: 1,
      failedCalls: 1,
      latencyMs: Math.max(0, clock.now() - startedAt),
      tokens: 0,
      byModel: [{ ...configured, inputTokens: 0, outputTokens: 0 }],
    });
  };

  /** One whole call (text or object): its answer, or what it threw, is counted once. */
  const counted = async <R extends Parameters<typeof answered>[2]>(
    request: { workspaceId: string; task?: string },
    call: () => Promise<R>,
  ): Promise<R> => {
    const startedAt = clock.now();
    try {
      const result = await call();
      answered(request, startedAt, result);
      return result;
    } catch (error) {
      thrown(request, startedAt, error);
      throw error;
    }
  };

  return {
    model: models.model,
    usage: (workspaceId) => models.usage(workspaceId),
    generateText: (request) => counted(request, () => models.generateText(request)),
    generateObject: (request) => counted(request, () => models.generateObject(request)),
    async streamText(request) {
      const startedAt = clock.now();
      let stream: Awaited<ReturnType<ModelClient['streamText']>>;
      try {
        stream = await models.streamText(request);
      } catch (error) {
        thrown(request, startedAt, error);
        throw error;
      }
      stream.result.then(
        (result) => answered(request, startedAt, result),
        (error: unknown) => thrown(request, startedAt, error),
      );
      return stream;
    },
  };
}
