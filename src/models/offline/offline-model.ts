import {
  isJSONObject,
  type JSONObject,
  type LanguageModelV3,
  type LanguageModelV3CallOptions,
  type LanguageModelV3Content,
  type LanguageModelV3FinishReason,
  type LanguageModelV3GenerateResult,
  type LanguageModelV3Prompt,
  type LanguageModelV3StreamPart,
  type LanguageModelV3ToolResultOutput,
  type LanguageModelV3Usage,
} from '@ai-sdk/provider';
import { assertNever, type Clock, LeadloopError, systemClock } from '../../core/index.ts';
import { DEFAULT_OFFLINE_MODEL_ID } from '../spec.ts';
import { defaultReplySkill } from './replies.ts';
import {
  asSkillRegistry,
  type OfflineSkill,
  type SkillInput,
  type SkillMessage,
  type SkillOutput,
  type SkillRegistry,
  type SkillTool,
  type SkillToolResult,
} from './skills.ts';
import { chunkText, estimateTokens, hashString } from './text-utils.ts';

/** The key under `providerOptions` that carries Leadloop's instructions to the offline model. */
export const OFFLINE_PROVIDER_OPTIONS_KEY = 'leadloop';

/** The AI SDK `provider` string of the offline model. */
const OFFLINE_PROVIDER_ID = 'leadloop.offline';

export interface OfflineModelOptions {
  /** Skills by name; a registry stays live, so skills registered later are seen. */
  skills?: SkillRegistry | Record<string, OfflineSkill>;
  /** Answers free-text calls that name no skill. Default: templated sales-assistant replies. */
  defaultTextSkill?: OfflineSkill;
  modelId?: string;
  /** Changes every deterministic choice at once (another "personality"); default 0. */
  seed?: number;
  clock?: Clock;
}

/** The offline model: a LanguageModelV3 plus the registry it draws skills from. */
export interface OfflineLanguageModel extends LanguageModelV3 {
  readonly skills: SkillRegistry;
}

interface ParsedPrompt {
  system: string;
  messages: SkillMessage[];
  toolResults: SkillToolResult[];
  /** Every character the "tokenizer" counts as input. */
  countedText: string;
}

function toolOutputValue(output: LanguageModelV3ToolResultOutput): unknown {
  switch (output.type) {
    case 'text':
    case 'error-text':
    case 'json':
    case 'error-json':
      return output.value;
    case 'execution-denied':
      return { denied: true, reason: output.reason ?? null };
    case 'content':
      return output.value.map((part) => (part.type === 'text' ? part.text : `[${part.type}]`)).join('\n');
    default:
      return assertNever(output, 'tool output type');
  }
}

function parsePrompt(prompt: LanguageModelV3Prompt): ParsedPrompt {
  const system: string[] = [];
  const messages: SkillMessage[] = [];
  const toolResults: SkillToolResult[] = [];
  for (const message of prompt) {
    switch (message.role) {
      case 'system':
        system.push(message.content);
        break;
      case 'user':
        messages.push({
          role: 'user',
          text: message.content.map((part) => (part.type === 'text' ? part.text : '')).join(''),
        });
        break;
      case 'assistant': {
        const texts: string[] = [];
        for (const part of message.content) {
          if (part.type === 'text') texts.push(part.text);
          else if (part.type === 'tool-call')
            texts.push(`[calls ${part.toolName} ${JSON.stringify(part.input)}]`);
        }
        messages.push({ role: 'assistant', text: texts.join('') });
        break;
      }
      case 'tool':
        for (const part of message.content) {
          if (part.type !== 'tool-result') continue;
          const output = toolOutputValue(part.output);
          toolResults.push({ toolCallId: part.toolCallId, toolName: part.toolName, output });
          messages.push({ role: 'tool', text: typeof output === 'string' ? output : JSON.stringify(output) });
        }
        break;
      default:
        assertNever(message, 'prompt role');
    }
  }
  const countedText = [...system, ...messages.map((m) => m.text)].join('\n');
  return { system: system.join('\n'), messages, toolResults, countedText };
}

function usageOf(inputTokens: number, outputTokens: number): LanguageModelV3Usage {
  return {
    inputTokens: { total: inputTokens, noCache: inputTokens, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: outputTokens, text: outputTokens, reasoning: 0 },
  };
}

function finish(unified: LanguageModelV3FinishReason['unified']): LanguageModelV3FinishReason {
  return { unified, raw: unified };
}

/** Cuts a free-text reply at a word boundary so its estimate fits `maxTokens`. */
function truncateToTokens(text: string, maxTokens: number): string {
  let out = '';
  for (const piece of chunkText(text)) {
    if (estimateTokens(out + piece) > maxTokens) break;
    out += piece;
  }
  return out.trimEnd();
}

interface Answer {
  content: LanguageModelV3Content[];
  finishReason: LanguageModelV3FinishReason;
  usage: LanguageModelV3Usage;
  responseId: string;
}

/**
 * Creates Leadloop's deterministic offline model. It implements the AI SDK's `LanguageModelV3`
 * specification, so `generateText`, `streamText` and `Output.object` drive it exactly like a
 * hosted model, with no network.
 *
 * How a call selects a skill, first match wins:
 * 1. `providerOptions.leadloop.skill` (the model port sets it from the request's `task`);
 * 2. the structured-output name (`Output.object({ name })`) when a skill of that name is registered.
 *
 * Structured-output calls (`responseFormat.type === 'json'`) must select a skill; the skill's
 * object is returned as JSON for the SDK to validate against the caller's schema. Free-text
 * calls that select none get `defaultTextSkill` (templated, varied replies). Structured data for
 * a skill travels in `providerOptions.leadloop.input` and reaches the skill as `input.data`.
 *
 * @example
 * const model = createOfflineModel({ skills: { 'demo.echo-name': ({ data }) => ({ type: 'object', object: { name: data?.name } }) } });
 * const { output } = await generateText({
 *   model,
 *   prompt: 'Who is this?',
 *   output: Output.object({ schema: z.object({ name: z.string() }) }),
 *   providerOptions: { leadloop: { skill: 'demo.echo-name', input: { name: 'Ada' } } },
 * });
 */
export function createOfflineModel(options: OfflineModelOptions = {}): OfflineLanguageModel {
  const skills = asSkillRegistry(options.skills);
  const defaultTextSkill = options.defaultTextSkill ?? defaultReplySkill;
  const modelId = options.modelId ?? DEFAULT_OFFLINE_MODEL_ID;
  const modelSeed = options.seed ?? 0;
  const clock = options.clock ?? systemClock;

  function selectSkill(
    call: LanguageModelV3CallOptions,
    mode: SkillInput['mode'],
  ): { name: string; skill: OfflineSkill } {
    const leadloop = call.providerOptions?.[OFFLINE_PROVIDER_OPTIONS_KEY];
    const requested = typeof leadloop?.skill === 'string' ? leadloop.skill : undefined;
    if (requested !== undefined) {
      const skill = skills.get(requested);
      if (skill) return { name: requested, skill };
      throw new LeadloopError(
        'internal',
        `the offline model has no skill "${requested}"; registered skills: ${skills.names().join(', ') || '(none)'}`,
      );
    }
    const schemaName = call.responseFormat?.type === 'json' ? call.responseFormat.name : undefined;
    const named = schemaName === undefined ? undefined : skills.get(schemaName);
    if (schemaName !== undefined && named) return { name: schemaName, skill: named };
    if (mode === 'text') return { name: 'default-reply', skill: defaultTextSkill };
    throw new LeadloopError(
      'internal',
      'the offline model was asked for a structured object but no skill was selected; pass a task ' +
        `(providerOptions.leadloop.skill) naming one of: ${skills.names().join(', ') || '(none registered)'}`,
    );
  }

  async function answer(call: LanguageModelV3CallOptions): Promise<Answer> {
    // A remote model answers after a network round trip, which lets the server's event loop serve
    // requests meanwhile; this one computes at once, so it gives the loop that turn explicitly.
    // Without it, a council decision ran as one uninterrupted stretch of tens of milliseconds.
    await new Promise((resolve) => setImmediate(resolve));
    call.abortSignal?.throwIfAborted();
    const prompt = parsePrompt(call.prompt);
    const mode: SkillInput['mode'] = call.responseFormat?.type === 'json' ? 'object' : 'text';
    const { name, skill } = selectSkill(call, mode);
    const leadloop = call.providerOptions?.[OFFLINE_PROVIDER_OPTIONS_KEY];
    const data: JSONObject | undefined = isJSONObject(leadloop?.input) ? leadloop.input : undefined;
    const tools: SkillTool[] = (call.tools ?? []).flatMap((tool) =>
      tool.type === 'function'
        ? [{ name: tool.name, description: tool.description, inputSchema: tool.inputSchema }]
        : [],
    );
    const schema = call.responseFormat?.type === 'json' ? call.responseFormat.schema : undefined;
    const seedText = `${name}\u0000${prompt.countedText}\u0000${data === undefined ? '' : JSON.stringify(data)}`;
    const seed = hashString(seedText, modelSeed);
    const lastUser = prompt.messages.findLast((m) => m.role === 'user');
    const input: SkillInput = {
      skill: name,
      mode,
      system: prompt.system,
      messages: prompt.messages,
      lastUserText: lastUser?.text ?? '',
      data,
      schema,
      tools,
      toolResults: prompt.toolResults,
      seed,
      pick: (choices, salt = '') => choices[hashString(salt, seed) % choices.length] ?? choices[0],
    };
    const output: SkillOutput = await skill(input);
    call.abortSignal?.throwIfAborted();

    const counted = [
      prompt.countedText,
      tools.length === 0 ? '' : JSON.stringify(tools),
      schema === undefined ? '' : JSON.stringify(schema),
    ]
      .filter((part) => part !== '')
      .join('\n');
    const inputTokens = estimateTokens(counted);
    const responseId = `offline-${seed.toString(36)}`;
    switch (output.type) {
      case 'text': {
        let text = output.text;
        let reason: LanguageModelV3FinishReason['unified'] = 'stop';
        if (
          mode === 'text' &&
          call.maxOutputTokens !== undefined &&
          estimateTokens(text) > call.maxOutputTokens
        ) {
          text = truncateToTokens(text, call.maxOutputTokens);
          reason = 'length';
        }
        return {
          content: [{ type: 'text', text }],
          finishReason: finish(reason),
          usage: usageOf(inputTokens, estimateTokens(text)),
          responseId,
        };
      }
      case 'object': {
        const text = JSON.stringify(output.object);
        return {
          content: [{ type: 'text', text }],
          finishReason: finish('stop'),
          usage: usageOf(inputTokens, estimateTokens(text)),
          responseId,
        };
      }
      case 'tool-calls': {
        const offered = new Set(tools.map((t) => t.name));
        const content: LanguageModelV3Content[] = output.toolCalls.map((call, index) => {
          if (!offered.has(call.toolName)) {
            throw new LeadloopError(
              'internal',
              `offline skill "${name}" called tool "${call.toolName}" that the caller did not offer`,
            );
          }
          return {
            type: 'tool-call',
            toolCallId: `call_${seed.toString(36)}_${index}`,
            toolName: call.toolName,
            input: JSON.stringify(call.input ?? {}),
          };
        });
        const outputText = content.map((part) => (part.type === 'tool-call' ? part.input : '')).join('');
        return {
          content,
          finishReason: finish('tool-calls'),
          usage: usageOf(inputTokens, estimateTokens(outputText)),
          responseId,
        };
      }
      default:
        return assertNever(output, 'skill output type');
    }
  }

  return {
    specificationVersion: 'v3',
    provider: OFFLINE_PROVIDER_ID,
    modelId,
    supportedUrls: {},
    skills,

    async doGenerate(call): Promise<LanguageModelV3GenerateResult> {
      const result = await answer(call);
      return {
        content: result.content,
        finishReason: result.finishReason,
        usage: result.usage,
        response: { id: result.responseId, modelId, timestamp: new Date(clock.now()) },
        warnings: [],
      };
    },

    async doStream(call) {
      const result = await answer(call);
      const parts: LanguageModelV3StreamPart[] = [
        { type: 'stream-start', warnings: [] },
        { type: 'response-metadata', id: result.responseId, modelId, timestamp: new Date(clock.now()) },
      ];
      result.content.forEach((part, index) => {
        const id = String(index);
        if (part.type === 'text') {
          parts.push({ type: 'text-start', id });
          for (const delta of chunkText(part.text)) parts.push({ type: 'text-delta', id, delta });
          parts.push({ type: 'text-end', id });
        } else if (part.type === 'tool-call') {
          parts.push({ type: 'tool-input-start', id: part.toolCallId, toolName: part.toolName });
          parts.push({ type: 'tool-input-delta', id: part.toolCallId, delta: part.input });
          parts.push({ type: 'tool-input-end', id: part.toolCallId });
          parts.push(part);
        }
      });
      parts.push({ type: 'finish', usage: result.usage, finishReason: result.finishReason });
      const signal = call.abortSignal;
      let next = 0;
      const stream = new ReadableStream<LanguageModelV3StreamPart>({
        pull(controller) {
          if (signal?.aborted) {
            controller.error(signal.reason);
            return;
          }
          const part = parts[next++];
          if (part === undefined) controller.close();
          else controller.enqueue(part);
        },
      });
      return { stream };
    },
  };
}
