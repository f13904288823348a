import type { JSONObject, JSONValue } from '@ai-sdk/provider';
import { type ModelMessage as SdkMessage, type ToolSet, tool } from 'ai';
import { assertNever } from '../core/index.ts';
import { estimateTokens } from './offline/text-utils.ts';
import type { ModelMessage, ModelPrompt, ModelTool } from './port.ts';

/** A JSON-safe copy (drops `undefined`, turns dates into strings), as provider payloads require. */
function toJson(value: unknown): JSONValue {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JSONValue);
}

export function toJsonObject(value: Record<string, unknown>): JSONObject {
  return JSON.parse(JSON.stringify(value)) as JSONObject;
}

/** The port's messages in the AI SDK's shape. */
export function toSdkMessages(prompt: ModelPrompt): SdkMessage[] {
  if (prompt.prompt !== undefined) return [{ role: 'user', content: prompt.prompt }];
  return (prompt.messages ?? []).map((message): SdkMessage => {
    switch (message.role) {
      case 'user':
        return { role: 'user', content: message.content };
      case 'assistant':
        if (!message.toolCalls || message.toolCalls.length === 0)
          return { role: 'assistant', content: message.content };
        return {
          role: 'assistant',
          content: [
            ...(message.content === '' ? [] : [{ type: 'text' as const, text: message.content }]),
            ...message.toolCalls.map((call) => ({
              type: 'tool-call' as const,
              toolCallId: call.toolCallId,
              toolName: call.toolName,
              input: call.input,
            })),
          ],
        };
      case 'tool':
        return {
          role: 'tool',
          content: message.results.map((result) => ({
            type: 'tool-result' as const,
            toolCallId: result.toolCallId,
            toolName: result.toolName,
            output: { type: 'json' as const, value: toJson(result.output) },
          })),
        };
      default:
        return assertNever(message, 'message role');
    }
  });
}

/** Tools without `execute`: the SDK returns the model's tool calls to the caller instead of running them. */
export function toSdkTools(tools: Record<string, ModelTool> | undefined): ToolSet | undefined {
  if (tools === undefined) return undefined;
  const out: ToolSet = {};
  for (const [name, definition] of Object.entries(tools)) {
    out[name] = tool({
      ...(definition.description === undefined ? {} : { description: definition.description }),
      inputSchema: definition.inputSchema,
    });
  }
  return out;
}

function messageText(message: ModelMessage): string {
  switch (message.role) {
    case 'user':
      return message.content;
    case 'assistant':
      return message.content + (message.toolCalls ? JSON.stringify(message.toolCalls) : '');
    case 'tool':
      return JSON.stringify(message.results);
    default:
      return assertNever(message, 'message role');
  }
}

/** Rough prompt size in tokens, for reserving budget before the call. */
export function estimatePromptTokens(system: string | undefined, prompt: ModelPrompt): number {
  const texts = prompt.prompt !== undefined ? [prompt.prompt] : (prompt.messages ?? []).map(messageText);
  return estimateTokens([...(system === undefined ? [] : [system]), ...texts].join('\n'));
}

/** A provider-safe structured-output name (`[A-Za-z0-9_-]`, at most 64 characters) from a task name. */
export function schemaNameFor(task: string | undefined): string | undefined {
  if (task === undefined) return undefined;
  const name = task.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 64);
  return name === '' ? undefined : name;
}
