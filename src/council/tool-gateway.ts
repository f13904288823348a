import { assertNever, err, ok, type Result } from '../core/index.ts';
import { hashValue, stableJson } from './hashing.ts';
import {
  type CouncilTools,
  type SegmentCounts,
  type SegmentStats,
  TOOL_ARGS,
  TOOL_RESULTS,
  type ToolResults,
} from './tools-port.ts';
import { TOOL_NAMES, type ToolName } from './vocabulary.ts';
import { rateWithInterval } from './wilson.ts';

/** One tool call, as the decision record keeps it. */
export interface ToolCallRecord {
  seq: number;
  /** The tool asked for (an unknown name is recorded as asked, and refused). */
  tool: string;
  /** `router` for the context the council reads before routing, otherwise the agent's id. */
  caller: string;
  /** Arguments as passed to the port (after tenant keys were removed and defaults applied). */
  args: unknown;
  /** Keys naming a workspace, tenant or organisation that were removed from the arguments. */
  ignoredArgs: string[];
  status: 'ok' | 'denied' | 'invalid' | 'error' | 'scope_violation';
  /** Answered from this decision's earlier identical call, without reaching the port. */
  cached: boolean;
  durationMs: number;
  resultBytes: number;
  /** sha256 of the result's stable JSON: a reference to the input without copying it. */
  resultHash: string | null;
  error: string | null;
}

/** Why a tool call was refused or failed. */
export interface ToolCallFailure {
  status: Exclude<ToolCallRecord['status'], 'ok'>;
  message: string;
}

/** The tools one caller may use, bound to the question's workspace. */
export interface ScopedTools {
  call<N extends ToolName>(tool: N, args: unknown): Promise<Result<ToolResults[N], ToolCallFailure>>;
  /** For names that come from outside (a model's tool call): unknown names are refused and recorded. */
  callByName(tool: string, args: unknown): Promise<Result<unknown, ToolCallFailure>>;
}

/** The per-decision gateway in front of the {@link CouncilTools} port. */
export interface ToolGateway {
  readonly workspaceId: string;
  forCaller(caller: { id: string; tools: readonly ToolName[] }): ScopedTools;
  records(): ToolCallRecord[];
}

export interface ToolGatewayOptions {
  tools: CouncilTools;
  /** The question's workspace: the only one any call can reach. */
  workspaceId: string;
  signal?: AbortSignal;
  /** Milliseconds, for durations. Default `performance.now`. */
  timer?: () => number;
}

const TENANT_KEY = /^(workspace|tenant|organi[sz]ation|org|account)[_-]?(id|ids|key)?$/i;

/** Removes keys naming a tenant at any depth; returns the cleaned value and the removed paths. */
export function stripTenantKeys(value: unknown, path = ''): { value: unknown; removed: string[] } {
  if (Array.isArray(value)) {
    const removed: string[] = [];
    const items = value.map((item, index) => {
      const result = stripTenantKeys(item, `${path}${index}.`);
      removed.push(...result.removed);
      return result.value;
    });
    return { value: items, removed };
  }
  if (typeof value !== 'object' || value === null) return { value, removed: [] };
  const removed: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (TENANT_KEY.test(key.replace(/\s/g, ''))) {
      removed.push(`${path}${key}`);
      continue;
    }
    const result = stripTenantKeys(item, `${path}${key}.`);
    removed.push(...result.removed);
    out[key] = result.value;
  }
  return { value: out, removed };
}

function enrich(counts: SegmentCounts, segment: SegmentStats['segment']): SegmentStats {
  return {
    segment,
    windowDays: counts.windowDays,
    total: rateWithInterval(counts.total.conversions, counts.total.leads),
    byChannel: counts.byChannel.map((c) => ({
      channel: c.channel,
      ...rateWithInterval(c.conversions, c.leads),
    })),
  };
}

const isToolName = (name: string): name is ToolName => (TOOL_NAMES as readonly string[]).includes(name);

/**
 * Creates the gateway for one decision. Every call (a) runs in the question's workspace, whatever
 * workspace, tenant or organisation id the arguments carry (those keys are removed and recorded),
 * (b) is refused unless the caller's tool list has the tool, (c) is recorded with arguments,
 * duration, result size and result hash. Results are validated; a lead of another workspace is
 * refused as a scope violation. Identical calls within the decision are answered once.
 */
export function createToolGateway(options: ToolGatewayOptions): ToolGateway {
  const timer = options.timer ?? (() => performance.now());
  const scope = {
    workspaceId: options.workspaceId,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  const records: ToolCallRecord[] = [];
  const memo = new Map<string, Promise<Result<unknown, ToolCallFailure>>>();

  async function invoke(tool: ToolName, args: unknown): Promise<Result<unknown, ToolCallFailure>> {
    // On SQLite the tools' queries run synchronously: one turn of the event loop per tool call
    // keeps a decision from holding the loop (and waiting HTTP requests) for its whole length.
    await new Promise((resolve) => setImmediate(resolve));
    const port = options.tools;
    switch (tool) {
      case 'getLead':
        return validate(tool, await port.getLead(scope, TOOL_ARGS.getLead.parse(args)));
      case 'getLeadHistory':
        return validate(tool, await port.getLeadHistory(scope, TOOL_ARGS.getLeadHistory.parse(args)));
      case 'getConversation':
        return validate(tool, await port.getConversation(scope, TOOL_ARGS.getConversation.parse(args)));
      case 'getScore':
        return validate(tool, await port.getScore(scope, TOOL_ARGS.getScore.parse(args)));
      case 'getSegmentStats': {
        const parsed = TOOL_ARGS.getSegmentStats.parse(args);
        const checked = validate(tool, await port.getSegmentStats(scope, parsed));
        return checked.ok ? ok(enrich(checked.value as SegmentCounts, parsed.segment)) : checked;
      }
      case 'getPerformanceMetrics':
        return validate(
          tool,
          await port.getPerformanceMetrics(scope, TOOL_ARGS.getPerformanceMetrics.parse(args)),
        );
      case 'listWorkflows':
        return validate(tool, await port.listWorkflows(scope, TOOL_ARGS.listWorkflows.parse(args)));
      default: {
        return assertNever(tool, 'tool');
      }
    }
  }

  function validate(tool: ToolName, result: unknown): Result<unknown, ToolCallFailure> {
    const parsed = TOOL_RESULTS[tool].safeParse(result);
    if (!parsed.success) {
      return err({ status: 'error', message: `${tool} returned a value of the wrong shape` });
    }
    const value = parsed.data as { workspaceId?: unknown } | null;
    if (tool === 'getLead' && value !== null && value.workspaceId !== options.workspaceId) {
      return err({ status: 'scope_violation', message: 'getLead returned a lead of another workspace' });
    }
    return ok(parsed.data);
  }

  function record(entry: Omit<ToolCallRecord, 'seq'>): void {
    records.push({ seq: records.length + 1, ...entry });
  }

  function scoped(caller: { id: string; tools: readonly ToolName[] }): ScopedTools {
    const allowed = new Set<string>(caller.tools);
    async function callByName(tool: string, rawArgs: unknown): Promise<Result<unknown, ToolCallFailure>> {
      const started = timer();
      const { value: cleaned, removed } = stripTenantKeys(rawArgs ?? {});
      const base = { tool, caller: caller.id, ignoredArgs: removed, resultBytes: 0, resultHash: null };
      if (!isToolName(tool) || !allowed.has(tool)) {
        const failure: ToolCallFailure = {
          status: 'denied',
          message: isToolName(tool) ? `${caller.id} may not call ${tool}` : `there is no tool named ${tool}`,
        };
        record({
          ...base,
          args: cleaned,
          status: 'denied',
          cached: false,
          durationMs: 0,
          error: failure.message,
        });
        return err(failure);
      }
      const parsedArgs = TOOL_ARGS[tool].safeParse(cleaned);
      if (!parsedArgs.success) {
        const failure: ToolCallFailure = { status: 'invalid', message: `arguments of ${tool} are not valid` };
        record({
          ...base,
          args: cleaned,
          status: 'invalid',
          cached: false,
          durationMs: 0,
          error: failure.message,
        });
        return err(failure);
      }
      const key = `${tool}:${stableJson(parsedArgs.data)}`;
      const cached = memo.has(key);
      let pending = memo.get(key);
      if (!pending) {
        pending = invoke(tool, parsedArgs.data).catch((error: unknown) =>
          err<ToolCallFailure>({
            status: 'error',
            message: error instanceof Error ? error.message.slice(0, 300) : 'tool failed',
          }),
        );
        memo.set(key, pending);
      }
      const result = await pending;
      const durationMs = Math.max(0, timer() - started);
      if (!result.ok) {
        record({
          ...base,
          args: parsedArgs.data,
          status: result.error.status,
          cached,
          durationMs,
          error: result.error.message,
        });
        return result;
      }
      const json = JSON.stringify(result.value) ?? 'null';
      record({
        ...base,
        args: parsedArgs.data,
        status: 'ok',
        cached,
        durationMs,
        resultBytes: Buffer.byteLength(json),
        resultHash: hashValue(result.value),
        error: null,
      });
      return result;
    }
    return {
      call<N extends ToolName>(tool: N, args: unknown) {
        return callByName(tool, args) as Promise<Result<ToolResults[N], ToolCallFailure>>;
      },
      callByName,
    };
  }

  return {
    workspaceId: options.workspaceId,
    forCaller: scoped,
    records: () => records.map((entry) => ({ ...entry })),
  };
}
