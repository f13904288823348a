import type { JSONObject, JSONSchema7 } from '@ai-sdk/provider';
import { invariant } from '../../core/index.ts';

/** One turn of the conversation as a skill sees it: plain text, roles kept. */
export interface SkillMessage {
  role: 'user' | 'assistant' | 'tool';
  text: string;
}

/** A tool the caller offered to the model. */
export interface SkillTool {
  name: string;
  description: string | undefined;
  inputSchema: JSONSchema7;
}

/** A tool result sent back by the caller in a `tool` message. */
export interface SkillToolResult {
  toolCallId: string;
  toolName: string;
  output: unknown;
}

/** Everything a skill may use to answer. Built by the offline model from the AI SDK call options. */
export interface SkillInput {
  /** The selected skill's name. */
  skill: string;
  /** `object` when the caller asked for JSON (structured output), otherwise `text`. */
  mode: 'text' | 'object';
  /** The system prompt (all system messages joined). */
  system: string;
  messages: readonly SkillMessage[];
  /** Text of the last user message, `''` when there is none (the bot speaks first). */
  lastUserText: string;
  /** Structured input the caller attached for the offline model (`skillInput` on the port). */
  data: JSONObject | undefined;
  /** The JSON schema of the expected object in `object` mode. */
  schema: JSONSchema7 | undefined;
  tools: readonly SkillTool[];
  toolResults: readonly SkillToolResult[];
  /** Stable hash of the model seed, skill and prompt: the basis of deterministic variety. */
  seed: number;
  /** Chooses one of `choices` from the seed (and an optional salt for independent choices). */
  pick<T>(choices: readonly [T, ...T[]], salt?: string): T;
}

/** What a skill answers. */
export type SkillOutput =
  | { type: 'text'; text: string }
  | { type: 'object'; object: unknown }
  | { type: 'tool-calls'; toolCalls: ReadonlyArray<{ toolName: string; input: unknown }> };

/**
 * A deterministic, rule-based capability of the offline model (slot extraction, a council role, a
 * templated reply). It must be pure given its input: no clock, no randomness beyond `input.pick`.
 */
export type OfflineSkill = (input: SkillInput) => SkillOutput | Promise<SkillOutput>;

/** The live set of skills the offline model can run; modules register theirs at composition time. */
export interface SkillRegistry {
  /** Adds a skill; throws if the name is taken (pass `{ replace: true }` to override on purpose). */
  register(name: string, skill: OfflineSkill, options?: { replace?: boolean }): void;
  get(name: string): OfflineSkill | undefined;
  names(): string[];
}

const SKILL_NAME = /^[a-z][a-z0-9]*(?:[._-][a-z0-9]+)*$/;

/**
 * Creates a skill registry, optionally seeded with a map of skills.
 *
 * @example
 * const skills = createSkillRegistry({ 'chat.extract': extractSlotsSkill });
 * skills.register('council.strategist', strategistSkill);
 */
export function createSkillRegistry(initial: Record<string, OfflineSkill> = {}): SkillRegistry {
  const skills = new Map<string, OfflineSkill>();
  const registry: SkillRegistry = {
    register(name, skill, options = {}) {
      invariant(
        SKILL_NAME.test(name),
        `skill name "${name}" is not valid; expected lowercase words joined by ".", "_" or "-" (for example "chat.extract")`,
      );
      invariant(
        !skills.has(name) || options.replace === true,
        `skill "${name}" is already registered; pass { replace: true } to override it`,
      );
      skills.set(name, skill);
    },
    get: (name) => skills.get(name),
    names: () => [...skills.keys()].sort(),
  };
  for (const [name, skill] of Object.entries(initial)) registry.register(name, skill);
  return registry;
}

/** A registry as is, or a new registry holding the skills of a plain map. */
export function asSkillRegistry(
  skills: SkillRegistry | Record<string, OfflineSkill> | undefined,
): SkillRegistry {
  if (skills === undefined) return createSkillRegistry();
  if (isSkillRegistry(skills)) return skills;
  return createSkillRegistry(skills);
}

function isSkillRegistry(value: SkillRegistry | Record<string, OfflineSkill>): value is SkillRegistry {
  return (
    typeof value.register === 'function' &&
    typeof value.get === 'function' &&
    typeof value.names === 'function'
  );
}
