import type { z } from 'zod';
import type { ModelProvider } from './spec.ts';
import type { WorkspaceModelUsage } from './usage.ts';

/** A tool call the model asked for. The port never executes tools: the caller decides and records. */
export interface ModelToolCall {
  toolCallId: string;
  toolName: string;
  input: unknown;
}

/** The result of a tool the caller ran, sent back to the model. `output` must be JSON-serialisable. */
interface ModelToolResult {
  toolCallId: string;
  toolName: string;
  output: unknown;
}

/** A conversation turn. System instructions go in the request's `system`, never in messages. */
export type ModelMessage =
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: readonly ModelToolCall[] }
  | { role: 'tool'; results: readonly ModelToolResult[] };

/** A tool offered to the model: what it is for and the zod schema of its input. */
export interface ModelTool {
  description?: string;
  inputSchema: z.ZodType;
}

/** Fields every model call takes. */
export interface ModelCallOptions {
  /** Every call is accounted to, and budgeted against, one workspace. */
  workspaceId: string;
  /**
   * The task this call performs, such as `chat.extract` or `council.strategist`. It selects the
   * offline model's skill of the same name (whether the offline model is primary or a fallback) and
   * is the default structured-output name sent to real providers (sanitised to `[A-Za-z0-9_-]`).
   * A named task must have a registered skill; free-text calls without a task get the offline
   * model's default templated replies. Structured calls need a task (or a skill named like `schemaName`).
   */
  task?: string;
  /**
   * Structured input for the offline skill (the facts a rule-based skill needs, already parsed).
   * Only the offline model receives it; real models see the prompt alone. JSON-serialisable.
   */
  skillInput?: Record<string, unknown>;
  system?: string;
  maxOutputTokens?: number;
  temperature?: number;
  /** Cancels the call; a cancelled call neither falls back nor retries. */
  signal?: AbortSignal;
  /** Overrides the client's timeout for this call. */
  timeoutMs?: number;
}

/** Either a single user prompt or a conversation. */
export type ModelPrompt =
  | { prompt: string; messages?: never }
  | { messages: readonly ModelMessage[]; prompt?: never };

/** A free-text call, optionally offering tools (their calls come back in the result, unexecuted). */
export type TextRequest = ModelCallOptions &
  ModelPrompt & {
    tools?: Record<string, ModelTool>;
    toolChoice?: 'auto' | 'required' | 'none';
  };

/** A structured-output call: the answer is an object validated by `schema`. */
type ObjectRequest<T> = ModelCallOptions &
  ModelPrompt & {
    /** The object is validated against it; a real model's invalid object falls back to the offline skill. */
    schema: z.ZodType<T>;
    /** Structured-output name for the provider; default derived from `task`. */
    schemaName?: string;
    schemaDescription?: string;
  };

/** Tokens of one call as the provider reported them (estimated by the offline model). */
export interface ModelUsage {
  inputTokens: number;
  outputTokens: number;
}

/**
 * Why the configured model's answer was replaced by the offline model's:
 * `timeout`, `rate_limited` (provider 429 after retries), `unavailable` (5xx or network after
 * retries), `rejected` (other 4xx), `invalid_output` (no object matching the schema), `error`.
 */
export type FallbackReason =
  | 'timeout'
  | 'rate_limited'
  | 'unavailable'
  | 'rejected'
  | 'invalid_output'
  | 'error';

export interface ModelFallback {
  /** The model that failed, as `provider:model`. */
  from: string;
  reason: FallbackReason;
  /** The failure's message, for decision records and logs. */
  message: string;
}

/** Why the model stopped, in the AI SDK's unified terms. */
export type ModelFinishReason = 'stop' | 'length' | 'content-filter' | 'tool-calls' | 'error' | 'other';

/** What every result says about who answered, at what cost, and whether it was a fallback. */
interface ModelResultBase {
  /** Who answered: the configured provider, or `offline` after a fallback. */
  provider: ModelProvider;
  model: string;
  /** Tokens of the answering call (a failed real call's tokens are in the usage meter, not here). */
  usage: ModelUsage;
  /** Set when the offline model answered for a failed real model. */
  fallback: ModelFallback | null;
  finishReason: ModelFinishReason;
}

/** A free-text answer and the tool calls the model asked for. */
export interface TextResult extends ModelResultBase {
  text: string;
  toolCalls: ModelToolCall[];
}

/** A structured answer, already validated by the request's schema. */
export interface ObjectResult<T> extends ModelResultBase {
  object: T;
}

/**
 * A streamed reply: iterate it for text deltas (once). `result` settles when the stream ends, with
 * the full text and usage; it rejects if the stream fails.
 */
export interface TextStream extends AsyncIterable<string> {
  readonly result: Promise<TextResult>;
}

/**
 * The AI model port: what the chat dialog engine and the council call. Every call goes through
 * the Vercel AI SDK over a `LanguageModelV3`, whichever provider is configured, with a timeout,
 * retries, the workspace's token budget, usage accounting, and an offline fallback.
 */
export interface ModelClient {
  /** The configured model as `provider:model`. */
  readonly model: string;
  generateText(request: TextRequest): Promise<TextResult>;
  generateObject<T>(request: ObjectRequest<T>): Promise<ObjectResult<T>>;
  /** Resolves once the budget admitted the call (rejects with `rate_limited` otherwise). */
  streamText(request: TextRequest): Promise<TextStream>;
  /** Usage accounted to a workspace since the meter was created. */
  usage(workspaceId: string): WorkspaceModelUsage;
}
