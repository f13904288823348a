import { Counter, type Registry } from 'prom-client';

/**
 * How one provider call ended. `fallback` marks the offline model answering for a failed real
 * model (the failed call is recorded separately as `timeout` or `error`); `rate_limited` is a call
 * refused by the workspace's token budget before reaching any provider.
 */
export type ModelCallOutcome = 'ok' | 'error' | 'timeout' | 'aborted' | 'rate_limited' | 'fallback';

/** One provider call as the meter records it. */
interface ModelCallRecord {
  workspaceId: string;
  /** Leadloop provider name (`openai`, `offline`, ...). */
  provider: string;
  model: string;
  outcome: ModelCallOutcome;
  inputTokens: number;
  outputTokens: number;
}

/** A workspace's accumulated model usage. `calls` counts provider calls, so a fallback counts twice. */
export interface WorkspaceModelUsage {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  byOutcome: Record<ModelCallOutcome, number>;
}

/** Usage accounting for the model port: per-workspace totals in memory and, optionally, Prometheus counters. */
export interface ModelUsageMeter {
  record(call: ModelCallRecord): void;
  workspace(workspaceId: string): WorkspaceModelUsage;
}

function emptyUsage(): WorkspaceModelUsage {
  return {
    calls: 0,
    inputTokens: 0,
    outputTokens: 0,
    byOutcome: { ok: 0, error: 0, timeout: 0, aborted: 0, rate_limited: 0, fallback: 0 },
  };
}

/**
 * Creates a usage meter. With a `registry`, it registers
 * `leadloop_model_calls_total{provider,model,workspace_id,outcome}` and
 * `leadloop_model_tokens_total{provider,model,workspace_id,direction}` on it (never on prom-client's
 * global registry). Create one meter per registry: registering the same names twice throws.
 */
export function createModelUsageMeter(options: { registry?: Registry } = {}): ModelUsageMeter {
  const totals = new Map<string, WorkspaceModelUsage>();
  const registry = options.registry;
  const calls =
    registry &&
    new Counter({
      name: 'leadloop_model_calls_total',
      help: 'Model calls by provider, model, workspace and outcome.',
      labelNames: ['provider', 'model', 'workspace_id', 'outcome'] as const,
      registers: [registry],
    });
  const tokens =
    registry &&
    new Counter({
      name: 'leadloop_model_tokens_total',
      help: 'Model tokens by provider, model, workspace and direction (input or output).',
      labelNames: ['provider', 'model', 'workspace_id', 'direction'] as const,
      registers: [registry],
    });

  return {
    record(call) {
      let usage = totals.get(call.workspaceId);
      if (!usage) {
        usage = emptyUsage();
        totals.set(call.workspaceId, usage);
      }
      usage.calls += 1;
      usage.inputTokens += call.inputTokens;
      usage.outputTokens += call.outputTokens;
      usage.byOutcome[call.outcome] += 1;
      const labels = { provider: call.provider, model: call.model, workspace_id: call.workspaceId };
      calls?.inc({ ...labels, outcome: call.outcome });
      if (call.inputTokens > 0) tokens?.inc({ ...labels, direction: 'input' }, call.inputTokens);
      if (call.outputTokens > 0) tokens?.inc({ ...labels, direction: 'output' }, call.outputTokens);
    },
    workspace(workspaceId) {
      const usage = totals.get(workspaceId) ?? emptyUsage();
      return { ...usage, byOutcome: { ...usage.byOutcome } };
    },
  };
}
