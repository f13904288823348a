// The dialog engine's contract: what it is built with, what a turn returns, what it offers.
import type { Clock } from '../core/index.ts';
import type { EngineEvent } from './dialog-steps.ts';
import type { KnowledgeAnswer } from './knowledge.ts';
import type { Playbook } from './playbook-schema.ts';
import type { GroundingPassage, Reply, ReplyPhraser } from './reply-phraser.ts';
import type { AgentRef, SessionContext, SessionState } from './session-state.ts';
import type { SlotExtractor } from './slot-extractor.ts';

/** What the engine is built with; only the clock is required. */
export interface DialogEngineOptions {
  clock: Clock;
  /** Reads slots out of messages; the offline extractor by default. */
  extractor?: SlotExtractor;
  /** Words replies; the templates as they are by default. */
  phraser?: ReplyPhraser;
  /** Longest visitor message in characters (default 2,000). */
  maxMessageChars?: number;
  /** Visitor messages after which the conversation is closed (default 60). */
  maxTurns?: number;
  /** Refused messages (injection, abuse) after which the conversation is closed (default 3). */
  maxStrikes?: number;
  /** Messages in a row that move nothing forward before the conversation is closed (default 6). */
  maxStalledTurns?: number;
  /** Answers visitors' questions from the workspace's content (see `createKnowledgeBase`). */
  knowledge?: KnowledgeSource;
}

/**
 * Answers a visitor's question: an answer, `null` for "the content does not say" (the bot says it
 * does not know and offers a person), `undefined` when there is no content at all (no answer is tried).
 */
export interface KnowledgeSource {
  answer(question: string): KnowledgeAnswer | null | undefined | Promise<KnowledgeAnswer | null | undefined>;
  /** The best passages for a question, for a model to write its answer from (none: no model answer). */
  search?(question: string): readonly GroundingPassage[] | Promise<readonly GroundingPassage[]>;
}

/** The result of every engine call: the new state (the input is never mutated), replies, events. */
export interface TurnResult {
  state: SessionState;
  replies: Reply[];
  events: EngineEvent[];
}

/** Per-call options: an abort signal for model-backed extractors and phrasers, and streamed reply text. */
export interface HandleOptions {
  signal?: AbortSignal;
  /** The session's workspace content; replaces the engine's `knowledge` for this call. */
  knowledge?: KnowledgeSource | undefined;
  /** Reply text as a model writes it, naming the message (`m<index>`) it builds; the turn's result holds the final text. */
  onDelta?: (delta: { messageId: string; text: string }) => void;
}

/** A per-session state machine for qualification chats. Holds no state of its own. */
export interface DialogEngine {
  /** Opens a conversation: greeting with the AI disclosure, then the first question. */
  start(playbook: Playbook, context: SessionContext, options?: HandleOptions): Promise<TurnResult>;
  /**
   * Answers one visitor message. Throws `payload_too_large` / `validation_failed` for a message
   * that is too long or empty (see `checkMessage`). While taken over, records it and stays silent.
   */
  handle(state: SessionState, text: string, options?: HandleOptions): Promise<TurnResult>;
  /** A person takes over: the bot stays silent until `release`. Throws `conflict` if another agent holds it. */
  takeOver(state: SessionState, agent: AgentRef): TurnResult;
  /** Records what the agent who took over wrote. Throws `conflict` unless that agent holds the session. */
  agentMessage(state: SessionState, agent: AgentRef, text: string): TurnResult;
  /** Hands the conversation back to the bot, which picks up where it was. */
  release(state: SessionState, options?: HandleOptions): Promise<TurnResult>;
  /**
   * Nobody took over after the visitor asked for a person: say so honestly and offer to take contact
   * details (once; a no-op when no hand-off is pending).
   */
  handoffTimeout(state: SessionState): Promise<TurnResult>;
  /** Closes an open conversation (visitor gone, session expired), deciding the outcome from what is known. */
  close(state: SessionState): TurnResult;
}
