import type { WorkspaceContext } from '../core/index.ts';
import { inWorkspace, LeadloopError } from '../core/index.ts';
import type { NewDomainEvent } from '../events/index.ts';
import type { UnitOfWork } from '../store/index.ts';
import type { Workspace } from '../tenants/index.ts';
import type {
  ChatListItem,
  ChatMessage,
  ChatService,
  ChatServiceOptions,
  ChatTurn,
} from './chat-service-types.ts';
import type { StoredSession } from './chat-store.ts';
import type { TurnResult } from './dialog-engine-types.ts';
import type { Playbook } from './playbook-schema.ts';
import type { SessionState } from './session-state.ts';
import { leadFromSession, messagesSince, noticeOf, statusOf } from './session-views.ts';
import { summarizeSession } from './summary.ts';

/**
 * Conversations as a service over the contract in `chat-service-types.ts`: each turn serialised per
 * session, stored with its domain events, handed to a person on request, submitted as a lead when it ends.
 */
export function createChatService(options: ChatServiceOptions): ChatService {
  const { chats, engineFor, tenants, leads, clock, ids, store, audit, events } = options;
  const locks = new Map<string, Promise<unknown>>();
  const listeners = new Map<string, Set<() => void>>();
  const deltaListeners = new Map<string, Set<(delta: { messageId: string; text: string }) => void>>();

  function changed(sessionId: string, workspaceId: string, notifyEvents: boolean): void {
    for (const listener of listeners.get(sessionId) ?? []) listener();
    if (notifyEvents) events.notify(workspaceId);
  }

  /** Domain events and audit entries for what a turn did that operators must hear about. */
  async function record(
    trx: UnitOfWork,
    row: { id: string; workspace_id: string },
    turn: TurnResult,
    previous: SessionState,
  ): Promise<boolean> {
    const domain: NewDomainEvent[] = [];
    const data = { sessionId: row.id, phase: turn.state.phase, playbook: turn.state.playbook.id };
    // Metrics (the analytics rollups) read these figures off the events: no second read of the session.
    let notify = false;
    for (const event of turn.events) {
      if (event.type === 'handoff_requested') {
        domain.push({ type: 'chat.handoff_requested', subject: row.id, data });
        await audit.append(trx, row.workspace_id, {
          actor: { type: 'system', id: 'chat' },
          action: 'chat.handoff_requested',
          subject: row.id,
          reason: 'the visitor asked to talk to a person; the conversation waits for an operator',
          data: { phase: turn.state.phase },
        });
      } else if (event.type === 'handoff_timed_out') {
        domain.push({ type: 'chat.handoff_timed_out', subject: row.id, data });
        await audit.append(trx, row.workspace_id, {
          actor: { type: 'system', id: 'chat' },
          action: 'chat.handoff_timed_out',
          subject: row.id,
          reason:
            'nobody took over within the workspace hand-off time; the visitor was told and offered a follow-up',
          data: { requestedAt: turn.state.handoffRequestedAt },
        });
      } else if (event.type === 'taken_over') {
        const requested = previous.handoffRequestedAt;
        const joined = turn.state.takenOver?.since;
        const waitedMs = requested && joined ? Math.max(0, Date.parse(joined) - Date.parse(requested)) : null;
        domain.push({ type: 'chat.taken_over', subject: row.id, data: { ...data, waitedMs } });
      } else if (event.type === 'released') domain.push({ type: 'chat.released', subject: row.id, data });
      else if (event.type === 'ended') {
        // The question the visitor stopped at: the one pending before this turn, unless they finished.
        const droppedAt = event.reason === 'completed' ? null : previous.pending;
        domain.push({
          type: 'chat.ended',
          subject: row.id,
          data: {
            ...data,
            outcome: event.outcome,
            reason: event.reason,
            answered: Object.keys(turn.state.slots),
            droppedAt,
          },
        });
        // Only a metric: the operators' stream has nothing new to show for it.
        continue;
      }
      notify = true;
    }
    await events.append(trx, row.workspace_id, domain);
    return notify;
  }

  /** Tells the visitor honestly when nobody took over in the workspace's hand-off time. */
  async function checkHandoff(stored: StoredSession): Promise<StoredSession> {
    const requested = stored.state.handoffRequestedAt;
    if (requested === null || stored.state.takenOver !== null || stored.state.handoffTimedOut) return stored;
    const workspace = await tenants.getWorkspace(stored.row.workspace_id);
    const waitMs = (workspace?.settings.chat?.handoffTimeoutSeconds ?? 120) * 1000;
    if (clock.now() - Date.parse(requested) < waitMs) return stored;
    return serialised(stored.row.id, async () => {
      const current = (await chats.findSession(
        { workspaceId: stored.row.workspace_id, organisationId: '' },
        stored.row.id,
      )) as StoredSession;
      const turn = await engineFor(stored.row.workspace_id).handoffTimeout(current.state);
      if (turn.events.length === 0) return current;
      await save(current, turn);
      return (await chats.findSession(
        { workspaceId: stored.row.workspace_id, organisationId: '' },
        stored.row.id,
      )) as StoredSession;
    });
  }

  /** Saves a turn's state with its domain events and audit entries in one transaction, then wakes listeners. */
  async function save(stored: StoredSession, turn: TurnResult) {
    for (let attempt = 1; ; attempt++) {
      let notify = false;
      try {
        const row = await store.transaction(async (trx) => {
          const saved = await chats.saveSession(trx, stored.row, turn.state);
          notify = await record(trx, saved, turn, stored.state);
          return saved;
        });
        changed(row.id, row.workspace_id, notify);
        return row;
      } catch (error) {
        // The session row, then the workspace's event and audit locks: a pipeline transaction that
        // links this session to its lead can take them the other way round, and PostgreSQL then
        // aborts one of the two. The whole transaction rolled back, so it is safe to run it again.
        if (!isDeadlock(error) || attempt >= 3) throw error;
      }
    }
  }

  const agentOf = (state: SessionState) =>
    state.takenOver ? { agent: { name: state.takenOver.agent.name ?? 'Team member' } } : {};

  /** Turns of one session run one at a time in this process; the version check covers other processes. */
  async function serialised<T>(sessionId: string, fn: () => Promise<T>): Promise<T> {
    const previous = locks.get(sessionId) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => {});
    locks.set(sessionId, tail);
    try {
      return await run;
    } finally {
      if (locks.get(sessionId) === tail) locks.delete(sessionId);
    }
  }

  async function forWidget(sessionId: string, widgetKey: string | undefined): Promise<StoredSession> {
    const notFound = new LeadloopError('not_found', `chat session ${sessionId} not found`, {
      issues: [{ field: 'path.id', reason: 'no such session for this widget key' }],
    });
    if (!widgetKey)
      throw new LeadloopError('unauthenticated', 'send the widget key in the x-widget-key header', {
        issues: [{ field: 'header.x-widget-key', reason: 'is missing' }],
      });
    const workspace = await tenants.resolveWidgetKey(widgetKey);
    if (!workspace) throw notFound;
    const stored = await inWorkspace(workspace.id, () =>
      chats.findSession({ workspaceId: workspace.id, organisationId: workspace.organisationId }, sessionId),
    );
    if (!stored) throw notFound;
    return stored;
  }

  /**
   * Runs a visitor's request in the workspace its widget key names: the key, not the session id,
   * decides which workspace's rows are visible.
   */
  async function withWidget<T>(
    sessionId: string,
    widgetKey: string | undefined,
    fn: (stored: StoredSession) => Promise<T>,
  ): Promise<T> {
    const stored = await forWidget(sessionId, widgetKey);
    return inWorkspace(stored.row.workspace_id, () => fn(stored));
  }

  async function forWorkspace(ctx: WorkspaceContext, sessionId: string): Promise<StoredSession> {
    const stored = await chats.findSession(ctx, sessionId);
    if (!stored)
      throw new LeadloopError('not_found', `chat session ${sessionId} not found in this workspace`, {
        issues: [{ field: 'path.id', reason: 'no such session in this workspace' }],
      });
    return stored;
  }

  /** An ended conversation with contact details enters the lead pipeline once (the session id is the idempotency key). */
  async function submitIfEnded(stored: StoredSession): Promise<StoredSession> {
    if (stored.state.phase !== 'ended' || stored.row.event_id) return stored;
    const lead = leadFromSession(stored.state, stored.row);
    if (!lead) return stored;
    const { eventId } = await leads.submit({
      workspaceId: stored.row.workspace_id,
      sessionId: stored.row.id,
      lead,
    });
    const row = await chats.saveSession(store.db, stored.row, stored.state, { event_id: eventId });
    return { row, state: stored.state };
  }

  async function applyTurn(stored: StoredSession, turn: TurnResult): Promise<ChatTurn> {
    const before = stored.state.transcript.length;
    const row = await save(stored, turn);
    await submitIfEnded({ row, state: turn.state });
    return {
      sessionId: row.id,
      state: statusOf(turn.state),
      outcome: turn.state.outcome,
      ...agentOf(turn.state),
      messages: messagesSince(turn.state, before, turn.replies).filter((m) => m.role !== 'visitor'),
    };
  }

  /** A new conversation in the widget key's workspace (run inside that workspace's data scope). */
  async function startIn(
    workspace: Pick<Workspace, 'id' | 'organisationId' | 'settings'>,
    input: Pick<Parameters<ChatService['start']>[0], 'playbook' | 'locale' | 'context' | 'signal'>,
  ): Promise<ChatTurn> {
    const { playbook, locale, context, signal } = input;
    const ctx = { workspaceId: workspace.id, organisationId: workspace.organisationId };
    const found = await chats.playbook(ctx, playbook ?? 'bant');
    const chosen = found && withQuestionOrder(found, await options.questionOrder?.orderFor(ctx, found.id));
    if (!chosen)
      throw new LeadloopError('validation_failed', `no playbook "${playbook}" in this workspace`, {
        issues: [{ field: 'body.playbook', reason: 'no such playbook' }],
      });
    const sessionId = ids.next('chat');
    const notice = noticeOf(workspace.settings);
    const turn = await engineFor(workspace.id).start(
      chosen,
      { sessionId, ...(locale ? { locale } : {}), ...context, ...(notice ? { notice } : {}) },
      signal ? { signal } : {},
    );
    const now = clock.now();
    // The start is a domain event too, in the session's transaction: chat starts are a metric.
    await store.transaction(async (trx) => {
      await chats.insertSession(trx, {
        id: sessionId,
        workspace_id: workspace.id,
        playbook_id: chosen.id,
        status: statusOf(turn.state),
        outcome: turn.state.outcome,
        state: turn.state,
        version: 1,
        event_id: null,
        lead_id: null,
        created_at: now,
        updated_at: now,
      });
      await events.append(trx, workspace.id, [
        {
          type: 'chat.started',
          subject: sessionId,
          data: { sessionId, playbook: chosen.id, questions: chosen.questions.map((q) => q.slot) },
        },
      ]);
    });
    return {
      sessionId,
      state: statusOf(turn.state),
      outcome: turn.state.outcome,
      messages: messagesSince(turn.state, 0, turn.replies),
    };
  }

  return {
    async start({ widgetKey, origin, playbook, locale, context, signal }) {
      const workspace = await tenants.resolveWidgetKey(widgetKey);
      if (!workspace)
        throw new LeadloopError('unauthenticated', 'the widget key is not valid', {
          issues: [{ field: 'body.widgetKey', reason: 'unknown or revoked widget key' }],
        });
      const allowed = workspace.settings.widget.allowedOrigins;
      if (allowed.length > 0 && (!origin || !allowed.includes(origin))) {
        throw new LeadloopError(
          'forbidden',
          `origin ${origin ?? '(none)'} may not embed this workspace's widget`,
          { issues: [{ field: 'header.origin', reason: 'is not in the workspace allow-list' }] },
        );
      }
      return inWorkspace(workspace.id, () => startIn(workspace, { playbook, locale, context, signal }));
    },

    async message({ sessionId, widgetKey, text, signal, onDelta: caller }) {
      // Reply text goes to the caller (the turn's own stream) and to the session's live streams.
      const onDelta =
        caller || deltaListeners.has(sessionId)
          ? (delta: { messageId: string; text: string }) => {
              caller?.(delta);
              for (const listener of deltaListeners.get(sessionId) ?? []) listener(delta);
            }
          : undefined;
      return serialised(sessionId, () =>
        // An ended conversation still answers: the engine hands over to a person on request
        // ("human") and otherwise says the conversation is over. The lead was submitted already.
        withWidget(sessionId, widgetKey, async (stored) => {
          const workspaceId = stored.row.workspace_id;
          const library = options.knowledge;
          const knowledge = library && {
            answer: (question: string) => library.answer(workspaceId, question),
            search: (question: string) => library.search(workspaceId, question),
          };
          return applyTurn(
            stored,
            await engineFor(workspaceId).handle(stored.state, text, {
              ...(signal ? { signal } : {}),
              ...(onDelta ? { onDelta } : {}),
              knowledge,
            }),
          );
        }),
      );
    },

    async poll({ sessionId, widgetKey, after }) {
      const stored = await withWidget(sessionId, widgetKey, checkHandoff);
      const from = after && /^m\d+$/.test(after) ? Number(after.slice(1)) + 1 : 0;
      return {
        sessionId,
        state: statusOf(stored.state),
        outcome: stored.state.outcome,
        ...agentOf(stored.state),
        messages: messagesSince(stored.state, from),
      };
    },

    async workspaceOfSession(sessionId, widgetKey) {
      try {
        return (await forWidget(sessionId, widgetKey)).row.workspace_id;
      } catch {
        return null;
      }
    },

    listPlaybooks: (ctx) => chats.listPlaybooks(ctx),
    putPlaybook: (ctx, input, actor) => chats.putPlaybook(ctx, input, actor),
    conversationsOfLead: (ctx, leadId) => chats.sessionsOfLead(store.db, ctx, leadId),
    async get(ctx, sessionId) {
      const stored = await forWorkspace(ctx, sessionId);
      return {
        ...summarizeSession(stored.state, clock.now()),
        state: statusOf(stored.state),
        leadId: stored.row.lead_id,
        eventId: stored.row.event_id,
        messages: messagesSince(stored.state, 0).map((message) => {
          const via = stored.state.transcript[Number(message.id.slice(1))]?.via;
          return via ? { ...message, via } : message;
        }),
      };
    },

    async takeOver(ctx, sessionId, agent, actor) {
      return serialised(sessionId, async () => {
        const stored = await forWorkspace(ctx, sessionId);
        const turn = engineFor(ctx.workspaceId).takeOver(stored.state, {
          id: agent.id,
          ...(agent.name ? { name: agent.name } : {}),
        });
        const result = await applyTurn(stored, turn);
        // In a transaction: the head's row lock orders this append after any other of the workspace.
        await store.transaction((trx) =>
          audit.append(trx, ctx.workspaceId, {
            actor,
            action: 'chat.taken_over',
            subject: sessionId,
            reason: `agent ${agent.id} took over the conversation; the bot is silent until release`,
            data: { agentId: agent.id },
          }),
        );
        return result;
      });
    },

    async agentMessage(ctx, sessionId, agent, text) {
      return serialised(sessionId, async () => {
        const stored = await forWorkspace(ctx, sessionId);
        return applyTurn(
          stored,
          engineFor(ctx.workspaceId).agentMessage(
            stored.state,
            { id: agent.id, ...(agent.name ? { name: agent.name } : {}) },
            text,
          ),
        );
      });
    },

    async list(ctx, query) {
      for (const stored of await chats.listSessions(ctx, { status: 'waiting', limit: 200 }))
        await checkHandoff(stored).catch(() => undefined);
      const page = await chats.listSessions(ctx, query);
      const items = page.slice(0, query.limit).map(({ row, state }): ChatListItem => {
        const visible = state.transcript.filter((entry) => entry.role !== 'system');
        const last = visible.at(-1);
        return {
          id: row.id,
          state: statusOf(state),
          waiting: state.handoffRequestedAt !== null && state.takenOver === null,
          waitingSince: state.takenOver === null ? state.handoffRequestedAt : null,
          handoffTimedOut: state.handoffTimedOut,
          playbook: row.playbook_id,
          outcome: state.outcome,
          agent: state.takenOver ? { ...state.takenOver.agent } : null,
          messageCount: visible.length,
          lastMessage: last
            ? { role: last.role as ChatMessage['role'], text: last.text.slice(0, 200), at: last.at }
            : null,
          leadId: row.lead_id,
          createdAt: new Date(row.created_at).toISOString(),
          updatedAt: new Date(row.updated_at).toISOString(),
        };
      });
      const tail = page.length > query.limit ? items.at(-1) : undefined;
      return { items, nextCursor: tail ? `${Date.parse(tail.updatedAt)}|${tail.id}` : null };
    },

    subscribe(sessionId, listener, onDelta) {
      const set = listeners.get(sessionId) ?? new Set<() => void>();
      listeners.set(sessionId, set);
      set.add(listener);
      const deltas = deltaListeners.get(sessionId) ?? new Set();
      if (onDelta) {
        deltaListeners.set(sessionId, deltas);
        deltas.add(onDelta);
      }
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(sessionId);
        if (onDelta) deltas.delete(onDelta);
        if (deltas.size === 0) deltaListeners.delete(sessionId);
      };
    },

    async release(ctx, sessionId, actor) {
      return serialised(sessionId, async () => {
        const stored = await forWorkspace(ctx, sessionId);
        const result = await applyTurn(stored, await engineFor(ctx.workspaceId).release(stored.state));
        // In a transaction: the head's row lock orders this append after any other of the workspace.
        await store.transaction((trx) =>
          audit.append(trx, ctx.workspaceId, {
            actor,
            action: 'chat.released',
            subject: sessionId,
            reason: 'the conversation was handed back to the bot',
          }),
        );
        return result;
      });
    },
  };
}

/** PostgreSQL's "deadlock detected": it aborted this transaction so that another could go on. */
function isDeadlock(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '40P01';
}

/**
 * The playbook with its questions in `order`, when the order names exactly its question slots; a
 * playbook edited since the order was set keeps its own order (the conversation embeds the result).
 */
function withQuestionOrder(playbook: Playbook, order: readonly string[] | null | undefined): Playbook {
  if (!order || order.length !== playbook.questions.length) return playbook;
  const bySlot = new Map(playbook.questions.map((q) => [q.slot, q]));
  const questions = order.map((slot) => bySlot.get(slot));
  if (new Set(order).size !== order.length || questions.some((q) => q === undefined)) return playbook;
  return { ...playbook, questions: questions as Playbook['questions'] };
}
