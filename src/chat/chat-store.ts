import type { AuditLog } from '../compliance/index.ts';
import type { Actor, Clock, WorkspaceContext } from '../core/index.ts';
import { LeadloopError } from '../core/index.ts';
import type { ChatSessionsTable, Store, UnitOfWork } from '../store/index.ts';
import { dbOf, fixedChunks, fromJson, toJson } from '../store/index.ts';
import { BUILT_IN_PLAYBOOKS } from './builtin-playbooks.ts';
import { type Playbook, parsePlaybook } from './playbook-schema.ts';
import { parseSessionState, type SessionState } from './session-state.ts';

export interface StoredSession {
  row: ChatSessionsTable;
  state: SessionState;
}

/** Conversations and playbooks in the database; every read names the workspace. */
export interface ChatStore {
  insertSession(
    unit: UnitOfWork,
    row: Omit<ChatSessionsTable, 'state'> & { state: SessionState },
  ): Promise<void>;
  findSession(ctx: WorkspaceContext, sessionId: string): Promise<StoredSession | null>;
  /** Saves a new state if nobody saved another in between (optimistic concurrency). */
  saveSession(
    unit: UnitOfWork,
    previous: ChatSessionsTable,
    state: SessionState,
    changes?: Partial<ChatSessionsTable>,
  ): Promise<ChatSessionsTable>;
  sessionsOfLead(unit: UnitOfWork, ctx: WorkspaceContext, leadId: string): Promise<StoredSession[]>;
  /** `sessionsOfLead` for several leads of a workspace in one statement per chunk, by lead id. */
  sessionsOfLeads(
    unit: UnitOfWork,
    ctx: WorkspaceContext,
    leadIds: readonly string[],
  ): Promise<Map<string, StoredSession[]>>;
  /**
   * Sessions by operator status, latest activity first, one more than `limit` when more follow.
   * `cursor` is `updatedAt|id` of the last session of the previous page.
   */
  listSessions(
    ctx: WorkspaceContext,
    query: { status?: 'waiting' | 'live' | 'ended' | undefined; limit: number; cursor?: string | undefined },
  ): Promise<StoredSession[]>;
  linkLead(unit: UnitOfWork, ctx: WorkspaceContext, sessionId: string, leadId: string): Promise<void>;
  playbook(ctx: WorkspaceContext, id: string): Promise<Playbook | null>;
  listPlaybooks(ctx: WorkspaceContext): Promise<{ playbook: Playbook; builtIn: boolean }[]>;
  putPlaybook(ctx: WorkspaceContext, input: unknown, actor: Actor): Promise<Playbook>;
}

function toStored(row: ChatSessionsTable): StoredSession {
  const parsed = parseSessionState(fromJson(row.state, null));
  if (!parsed.ok)
    throw new LeadloopError('internal', `stored chat session ${row.id} is not readable`, {
      cause: parsed.error,
    });
  return {
    row: {
      ...row,
      version: Number(row.version),
      created_at: Number(row.created_at),
      updated_at: Number(row.updated_at),
    },
    state: parsed.value,
  };
}

/**
 * The status column operators filter on: `waiting` while a visitor's request for a person is unanswered
 * (even after the conversation ended), else `taken_over`, `active` or `ended`.
 */
function rowStatus(state: SessionState): 'waiting' | 'taken_over' | 'active' | 'ended' {
  if (state.handoffRequestedAt !== null && state.takenOver === null) return 'waiting';
  return state.phase === 'ended' ? 'ended' : state.takenOver ? 'taken_over' : 'active';
}

export function createChatStore(options: { store: Store; clock: Clock; audit: AuditLog }): ChatStore {
  const { store, clock, audit } = options;
  const db = store.db;
  const sessionsOfLeads: ChatStore['sessionsOfLeads'] = async (unit, ctx, leadIds) => {
    const trx = dbOf(unit);
    const byLead = new Map<string, StoredSession[]>();
    for (const chunk of fixedChunks([...new Set(leadIds)])) {
      const rows = await trx
        .selectFrom('chat_sessions')
        .selectAll()
        .where('workspace_id', '=', ctx.workspaceId)
        .where('lead_id', 'in', chunk)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      for (const row of rows) {
        const leadId = row.lead_id as string;
        const sessions = byLead.get(leadId);
        if (sessions) sessions.push(toStored(row));
        else byLead.set(leadId, [toStored(row)]);
      }
    }
    return byLead;
  };
  return {
    async insertSession(unit, row) {
      const trx = dbOf(unit);
      await trx
        .insertInto('chat_sessions')
        .values({ ...row, state: toJson(row.state) })
        .execute();
    },
    async findSession(ctx, sessionId) {
      const row = await db
        .selectFrom('chat_sessions')
        .selectAll()
        .where('workspace_id', '=', ctx.workspaceId)
        .where('id', '=', sessionId)
        .executeTakeFirst();
      return row ? toStored(row) : null;
    },
    async saveSession(unit, previous, state, changes = {}) {
      const trx = dbOf(unit);
      const next = {
        ...changes,
        state: toJson(state),
        status: rowStatus(state),
        outcome: state.outcome,
        version: previous.version + 1,
        updated_at: clock.now(),
      };
      const result = await trx
        .updateTable('chat_sessions')
        .set(next)
        .where('workspace_id', '=', previous.workspace_id)
        .where('id', '=', previous.id)
        .where('version', '=', previous.version)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) {
        throw new LeadloopError(
          'conflict',
          'the conversation changed while this message was handled; send it again',
          { retryable: true, retryAfterSeconds: 1 },
        );
      }
      return { ...previous, ...next };
    },
    async sessionsOfLead(unit, ctx, leadId) {
      return (await sessionsOfLeads(unit, ctx, [leadId])).get(leadId) ?? [];
    },
    sessionsOfLeads,
    async listSessions(ctx, query) {
      let select = db.selectFrom('chat_sessions').selectAll().where('workspace_id', '=', ctx.workspaceId);
      if (query.status === 'waiting') select = select.where('status', '=', 'waiting');
      else if (query.status === 'live') select = select.where('status', 'in', ['active', 'taken_over']);
      else if (query.status === 'ended') select = select.where('status', '=', 'ended');
      const cursor = /^(\d+)\|(chat_[0-9A-Z]{26})$/.exec(query.cursor ?? '');
      if (cursor) {
        const at = Number(cursor[1]);
        const id = cursor[2] as string;
        select = select.where((eb) =>
          eb.or([eb('updated_at', '<', at), eb.and([eb('updated_at', '=', at), eb('id', '<', id)])]),
        );
      }
      const rows = await select
        .orderBy('updated_at', 'desc')
        .orderBy('id', 'desc')
        .limit(query.limit + 1)
        .execute();
      return rows.map(toStored);
    },
    async linkLead(unit, { workspaceId }, sessionId, leadId) {
      const trx = dbOf(unit);
      await trx
        .updateTable('chat_sessions')
        .set({ lead_id: leadId })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', sessionId)
        .execute();
    },
    async playbook(ctx, id) {
      const row = await db
        .selectFrom('playbooks')
        .select('definition')
        .where('workspace_id', '=', ctx.workspaceId)
        .where('id', '=', id)
        .executeTakeFirst();
      if (row) {
        const parsed = parsePlaybook(fromJson(row.definition, null));
        if (parsed.ok) return parsed.value;
      }
      return (BUILT_IN_PLAYBOOKS as Record<string, Playbook>)[id] ?? null;
    },
    async listPlaybooks(ctx) {
      const rows = await db
        .selectFrom('playbooks')
        .select('definition')
        .where('workspace_id', '=', ctx.workspaceId)
        .orderBy('id')
        .execute();
      const custom = rows
        .map((r) => parsePlaybook(fromJson(r.definition, null)))
        .flatMap((r) => (r.ok ? [r.value] : []));
      const customIds = new Set(custom.map((p) => p.id));
      const builtIn = Object.values(BUILT_IN_PLAYBOOKS).filter((p) => !customIds.has(p.id));
      return [
        ...builtIn.map((playbook) => ({ playbook, builtIn: true })),
        ...custom.map((playbook) => ({ playbook, builtIn: false })),
      ];
    },
    async putPlaybook(ctx, input, actor) {
      const parsed = parsePlaybook(input);
      if (!parsed.ok) {
        // Name fields as the client sent them: the playbook is the request body.
        const issues = parsed.error.issues.map((i) => ({
          ...i,
          field: i.field.replace(/^playbook/, 'body'),
        }));
        throw new LeadloopError('validation_failed', parsed.error.message, { issues });
      }
      const playbook = parsed.value;
      const now = clock.now();
      await store.transaction(async (trx) => {
        const current = await trx
          .selectFrom('playbooks')
          .select('version')
          .where('workspace_id', '=', ctx.workspaceId)
          .where('id', '=', playbook.id)
          .executeTakeFirst();
        const version = (current?.version ?? 0) + 1;
        playbook.version = version;
        if (current) {
          await trx
            .updateTable('playbooks')
            .set({ version, definition: toJson(playbook), updated_at: now })
            .where('workspace_id', '=', ctx.workspaceId)
            .where('id', '=', playbook.id)
            .execute();
        } else {
          await trx
            .insertInto('playbooks')
            .values({
              workspace_id: ctx.workspaceId,
              id: playbook.id,
              version,
              definition: toJson(playbook),
              updated_at: now,
            })
            .execute();
        }
        await audit.append(trx, ctx.workspaceId, {
          actor,
          action: 'playbook.updated',
          subject: `playbook:${playbook.id}`,
          reason: `playbook ${playbook.id} set to version ${version} (${playbook.questions.length} questions); new conversations use it`,
          data: { version, questions: playbook.questions.map((q) => q.slot) },
        });
      });
      return playbook;
    },
  };
}
