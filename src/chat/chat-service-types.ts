import type { AuditLog } from '../compliance/index.ts';
import type { Actor, Clock, IdGenerator, WorkspaceContext } from '../core/index.ts';
import type { DomainEventLog } from '../events/index.ts';
import type { Store } from '../store/index.ts';
import type { TenantsService } from '../tenants/index.ts';
import type { ChatStore, StoredSession } from './chat-store.ts';
import type { DialogEngine } from './dialog-engine-types.ts';
import type { KnowledgeLibrary } from './knowledge-library.ts';
import type { Playbook } from './playbook-schema.ts';
import type { SessionContext, SessionState, TranscriptEntry } from './session-state.ts';
import type { SessionSummary } from './summary.ts';

// The chat service's contract: what the widget, the console and the API see of a conversation.

/** A message as the widget and the API show it; `id` is its position in the transcript. */
export interface ChatMessage {
  id: string;
  role: 'bot' | 'visitor' | 'agent';
  text: string;
  /** The display name of the person who wrote an `agent` message. */
  author?: string;
  quickReplies?: string[];
  link?: { url: string; label: string };
  /** On the consent question: the privacy notice the visitor is asked to read, with its version. */
  notice?: { version: string; url: string };
  at: string;
  /** Operators only: which path worded a bot message (the model, or the offline path and why). */
  via?: TranscriptEntry['via'];
}

export type SessionStatus = 'active' | 'taken_over' | 'ended';

export interface ChatTurn {
  sessionId: string;
  state: SessionStatus;
  outcome: SessionState['outcome'];
  /** The person in the conversation while it is taken over (the widget's header names them). */
  agent?: { name: string };
  messages: ChatMessage[];
}

/** Which conversations an operator lists: asking for a person, running, or over. */
type ChatListStatus = 'waiting' | 'live' | 'ended';

/** A conversation in an operator's list. */
export interface ChatListItem {
  id: string;
  state: SessionStatus;
  /** The visitor asked for a person and nobody has taken over yet. */
  waiting: boolean;
  waitingSince: string | null;
  /** Nobody took over in time and the visitor was told so. */
  handoffTimedOut: boolean;
  playbook: string;
  outcome: SessionState['outcome'];
  agent: { id: string; name?: string } | null;
  messageCount: number;
  lastMessage: { role: ChatMessage['role']; text: string; at: string } | null;
  leadId: string | null;
  createdAt: string;
  updatedAt: string;
}

interface ChatSessionView extends SessionSummary {
  state: SessionStatus;
  leadId: string | null;
  eventId: string | null;
  messages: ChatMessage[];
}

export interface ChatService {
  start(input: {
    widgetKey: string;
    origin: string | undefined;
    playbook?: string | undefined;
    locale?: string | undefined;
    context?: Omit<SessionContext, 'sessionId' | 'locale'> | undefined;
    signal?: AbortSignal;
  }): Promise<ChatTurn>;
  message(input: {
    sessionId: string;
    widgetKey: string | undefined;
    text: string;
    signal?: AbortSignal;
    /** Reply text as a model writes it, before the turn is saved (the returned turn holds the final messages). */
    onDelta?: (delta: { messageId: string; text: string }) => void;
  }): Promise<ChatTurn>;
  poll(input: {
    sessionId: string;
    widgetKey: string | undefined;
    after?: string | undefined;
  }): Promise<ChatTurn>;
  /** The workspace a session belongs to, for CORS decisions; null when the key does not match. */
  workspaceOfSession(sessionId: string, widgetKey: string | undefined): Promise<string | null>;
  get(ctx: WorkspaceContext, sessionId: string): Promise<ChatSessionView>;
  /** The workspace's playbooks, built-in ones included. */
  listPlaybooks(ctx: WorkspaceContext): Promise<{ playbook: Playbook; builtIn: boolean }[]>;
  /** Creates or replaces a playbook (validated; audited). */
  putPlaybook(ctx: WorkspaceContext, input: unknown, actor: Actor): Promise<Playbook>;
  /** The conversations tied to a lead, oldest first. */
  conversationsOfLead(ctx: WorkspaceContext, leadId: string): Promise<StoredSession[]>;
  takeOver(
    ctx: WorkspaceContext,
    sessionId: string,
    agent: { id: string; name?: string | undefined },
    actor: Actor,
  ): Promise<ChatTurn>;
  agentMessage(
    ctx: WorkspaceContext,
    sessionId: string,
    agent: { id: string; name?: string | undefined },
    text: string,
  ): Promise<ChatTurn>;
  release(ctx: WorkspaceContext, sessionId: string, actor: Actor): Promise<ChatTurn>;
  /** Conversations for operators, newest activity first; `cursor` is the last item's `updatedAt|id`. */
  list(
    ctx: WorkspaceContext,
    query: { status?: ChatListStatus | undefined; limit: number; cursor?: string | undefined },
  ): Promise<{ items: ChatListItem[]; nextCursor: string | null }>;
  /**
   * Calls `listener` after each saved change of a session in this process, and `onDelta` with reply
   * text as a model writes it (before the turn is saved); returns an unsubscribe function.
   */
  subscribe(
    sessionId: string,
    listener: () => void,
    onDelta?: (delta: { messageId: string; text: string }) => void,
  ): () => void;
}

/**
 * The port through which a finished conversation becomes a lead submission. Chat declares it; the
 * composition root wires it to ingestion (validation, idempotency, the durable event writer).
 */
export interface ConversationLeadSink {
  /**
   * Validates the lead (throws `validation_failed` naming `conversation.<field>`) and accepts it
   * durably; `sessionId` is the idempotency key, so a retry returns the first event id.
   */
  submit(input: { workspaceId: string; sessionId: string; lead: unknown }): Promise<{ eventId: string }>;
}

/**
 * The order a workspace asks a playbook's questions in, when the optimiser changed it (chat
 * declares it; the composition root wires it to the optimiser's stored order).
 */
interface QuestionOrderSource {
  /** Question slots, first asked first; null: the playbook's own order. */
  orderFor(ctx: WorkspaceContext, playbookId: string): Promise<string[] | null>;
}

export interface ChatServiceOptions {
  store: Store;
  chats: ChatStore;
  /** The dialog engine for a workspace (model-backed extraction is accounted per workspace). */
  engineFor: (workspaceId: string) => DialogEngine;
  tenants: TenantsService;
  leads: ConversationLeadSink;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditLog;
  /** Hand-off requests and takeovers become domain events, so operators' streams see them at once. */
  events: DomainEventLog;
  /** The workspaces' content the bot answers visitors' questions from. */
  knowledge?: Pick<KnowledgeLibrary, 'answer' | 'search'>;
  /** Without it, every conversation asks the questions in the playbook's own order. */
  questionOrder?: QuestionOrderSource;
}
