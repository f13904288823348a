import type { AuditLog } from '../compliance/index.ts';
import {
  type Actor,
  assertNever,
  type Clock,
  type IdGenerator,
  LeadloopError,
  type WorkspaceContext,
} from '../core/index.ts';
import type { Db, PrivacyRequestsTable, Store } from '../store/index.ts';
import { fromJson, toJson, workspacePage } from '../store/index.ts';
import type { ConsentLedger } from './consent-ledger.ts';
import { deadlinesFor, type Jurisdiction } from './deadlines.ts';
import { buildExport, type ExportBundle } from './export-bundle.ts';
import type { HolderRegistry, SubjectScope } from './holders.ts';
import { CONTACT_PURPOSES } from './purposes.ts';
import { changesContext, createRequestEffects } from './request-effects.ts';
import type {
  PrivacyRequest,
  RequestInput,
  RequestStatus,
  RequestStep,
  RequestType,
} from './request-schema.ts';
import type { SubjectKeys } from './subject-keys.ts';
import { type ContactNormaliser, resolveSubject, type SubjectRef } from './subject-scope.ts';

export interface ErasureHooks {
  /** In the erasure's transaction: e.g. queue a retrain that leaves the erased outcomes out. */
  inTransaction?(
    db: Db,
    ctx: WorkspaceContext,
    erased: { requestId: string; leadIds: string[]; counts: Record<string, number> },
  ): Promise<void>;
  /** After commit: storage scrubbing (SQLite checkpoint), caches, Redis. `requestId` is `retention` after a sweep. */
  afterCommit?(ctx: WorkspaceContext, erased: { requestId: string; leadIds: string[] }): Promise<void>;
}

export interface PrivacyRequestsOptions {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditLog;
  ledger: ConsentLedger;
  keys: SubjectKeys;
  holders: HolderRegistry;
  normalise: ContactNormaliser;
  hooks?: ErasureHooks;
}

interface SubmitOptions {
  actor: Actor;
  origin: 'api' | 'cli' | 'preference_page' | 'delete_route' | 'retention';
  /** Run it now (default): the request is filed, then carried out. */
  run?: boolean;
}

export interface PrivacyRequests {
  /** Files a request (unknown subject: not_found, nothing stored) and, by default, carries it out. */
  submit(ctx: WorkspaceContext, input: RequestInput, options: SubmitOptions): Promise<PrivacyRequest>;
  /** Carries out a filed request; idempotent (completed stays completed), resumable after a crash. */
  run(ctx: WorkspaceContext, id: string, actor: Actor): Promise<PrivacyRequest>;
  get(ctx: WorkspaceContext, id: string): Promise<PrivacyRequest | null>;
  list(
    ctx: WorkspaceContext,
    query: { status?: RequestStatus | undefined; limit: number },
  ): Promise<PrivacyRequest[]>;
  /** The access bundle of an access request (computed from what is held now). */
  exportOf(ctx: WorkspaceContext, id: string): Promise<ExportBundle>;
  /** Re-runs requests left `in_progress` or `received` (a crash between filing and completion); not held ones. */
  resume(ctx: WorkspaceContext, actor: Actor): Promise<number>;
  /** Refuses a request not yet started (held or received): `rejected`, with the reason; the filed subject is cleared. */
  reject(ctx: WorkspaceContext, id: string, reason: string, actor: Actor): Promise<PrivacyRequest>;
  /** Moves an open request's deadline to the furthest the law allows (GDPR +2 months, CCPA +45 days), once. */
  extend(ctx: WorkspaceContext, id: string, reason: string, actor: Actor): Promise<PrivacyRequest>;
}

function toRequest(row: PrivacyRequestsTable): PrivacyRequest {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    type: row.type as RequestType,
    jurisdiction: row.jurisdiction,
    status: row.status as RequestStatus,
    held: Number(row.held) === 1,
    origin: row.origin,
    leadIds: fromJson(row.lead_ids, []),
    steps: fromJson(row.steps, []),
    result: row.result === null ? null : fromJson(row.result, {}),
    receivedAt: Number(row.received_at),
    ackDueAt: Number(row.ack_due_at),
    dueAt: Number(row.due_at),
    extendedDueAt: Number(row.extended_due_at),
    completedAt: row.completed_at === null ? null : Number(row.completed_at),
  };
}

const subjectContext = (id: string) => `privacy_request|${id}|subject`;

export function createPrivacyRequests(options: PrivacyRequestsOptions): PrivacyRequests {
  const { store, clock, ids, audit, ledger, keys, holders, normalise } = options;
  const hooks = options.hooks ?? {};
  const { withdraw, suppress, rectify, erase } = createRequestEffects({
    clock,
    audit,
    ledger,
    keys,
    holders,
    normalise,
  });

  async function load(db: Db, ctx: WorkspaceContext, id: string): Promise<PrivacyRequestsTable | undefined> {
    return db
      .selectFrom('privacy_requests')
      .selectAll()
      .where('workspace_id', '=', ctx.workspaceId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async function found(db: Db, ctx: WorkspaceContext, id: string): Promise<PrivacyRequestsTable> {
    const row = await load(db, ctx, id);
    if (!row)
      throw new LeadloopError('not_found', `privacy request ${id} not found in this workspace`, {
        issues: [{ field: 'path.id', reason: 'no such request in this workspace' }],
      });
    return row;
  }

  async function step(
    db: Db,
    ctx: WorkspaceContext,
    row: PrivacyRequestsTable,
    next: Partial<PrivacyRequestsTable>,
    entry: RequestStep,
  ) {
    const steps = [...fromJson<RequestStep[]>(row.steps, []), entry];
    await db
      .updateTable('privacy_requests')
      .set({ ...next, steps: toJson(steps), updated_at: entry.at })
      .where('workspace_id', '=', ctx.workspaceId)
      .where('id', '=', row.id)
      .execute();
  }

  /** The subject as filed (sealed until completion), widened by the leads matched at filing. */
  async function scopeOf(db: Db, ctx: WorkspaceContext, row: PrivacyRequestsTable): Promise<SubjectScope> {
    const ref: SubjectRef = row.subject_sealed
      ? (JSON.parse(
          keys.master.open(row.subject_sealed, `${ctx.workspaceId}|${subjectContext(row.id)}`),
        ) as SubjectRef)
      : {};
    const scope = await resolveSubject(db, ctx, ref, normalise);
    const filed = fromJson<string[]>(row.lead_ids, []);
    const extra = filed.filter((id) => !scope.leadIds.includes(id));
    if (extra.length === 0) return scope;
    const widened = await resolveSubject(db, ctx, { ...ref, leadId: extra[0] }, normalise);
    return { ...widened, leadIds: [...new Set([...widened.leadIds, ...scope.leadIds])] };
  }

  async function carryOut(
    trx: Db,
    ctx: WorkspaceContext,
    row: PrivacyRequestsTable,
    actor: Actor,
  ): Promise<Record<string, unknown>> {
    const scope = await scopeOf(trx, ctx, row);
    const type = row.type as RequestType;
    switch (type) {
      case 'access': {
        const bundle = await buildExport(holders, scope, { requestId: row.id, now: clock.now() });
        return {
          leads: scope.leadIds.length,
          rows: Object.fromEntries(bundle.holders.map((h) => [h.name, h.rows])),
        };
      }
      case 'erasure': {
        const counts = await erase(trx, ctx, scope);
        const shredded = await keys.shred(trx, ctx, [...scope.leadIds, row.id]);
        await hooks.inTransaction?.(trx, ctx, { requestId: row.id, leadIds: [...scope.leadIds], counts });
        return {
          leads: scope.leadIds.length,
          events: scope.eventIds.length,
          removed: counts,
          keysShredded: shredded,
        };
      }
      case 'rectification':
        return rectify(trx, ctx, scope, row, actor);
      case 'restriction':
        await withdraw(trx, ctx, scope, ['processing'], 'request', row.id, actor);
        return { leads: scope.leadIds.length, withdrawn: ['processing'] };
      case 'objection': {
        const purposes = [...CONTACT_PURPOSES, 'profiling'];
        await withdraw(trx, ctx, scope, purposes, 'objection', row.id, actor);
        return {
          leads: scope.leadIds.length,
          withdrawn: purposes,
          suppressed: await suppress(trx, ctx, scope, 'objection'),
        };
      }
      case 'opt_out':
        await withdraw(trx, ctx, scope, ['sale_or_share'], 'request', row.id, actor);
        return { leads: scope.leadIds.length, withdrawn: ['sale_or_share'] };
      default: {
        return assertNever(type, 'request type');
      }
    }
  }

  async function run(ctx: WorkspaceContext, id: string, actor: Actor): Promise<PrivacyRequest> {
    const started = await store.transaction(async (trx) => {
      const row = await load(trx, ctx, id);
      if (!row)
        throw new LeadloopError('not_found', `privacy request ${id} not found in this workspace`, {
          issues: [{ field: 'path.id', reason: 'no such request in this workspace' }],
        });
      if (row.status === 'completed' || row.status === 'rejected') return null;
      if (row.status === 'received') {
        await step(
          trx,
          ctx,
          row,
          { status: 'in_progress', held: 0 },
          { at: clock.now(), step: 'started', detail: {} },
        );
        await audit.append(trx, ctx.workspaceId, {
          actor,
          action: 'privacy.request.started',
          subject: id,
          reason: `${row.type} request carried out`,
          data: { requestId: id, type: row.type },
        });
      }
      return row;
    });
    if (started) {
      // One transaction: a crash before COMMIT leaves everything as it was and `resume` runs it
      // again; after it, the request is completed. Never half a person.
      await store.transaction(async (trx) => {
        const row = (await load(trx, ctx, id)) as PrivacyRequestsTable;
        if (row.status !== 'in_progress') return;
        const result = await carryOut(trx, ctx, row, actor);
        const now = clock.now();
        const clear = row.type === 'erasure' || row.type === 'rectification';
        await step(
          trx,
          ctx,
          row,
          {
            status: 'completed',
            completed_at: now,
            result: toJson(result),
            ...(clear ? { subject_sealed: null, changes_sealed: null } : {}),
          },
          { at: now, step: 'completed', detail: result },
        );
        await audit.append(trx, ctx.workspaceId, {
          actor,
          action: 'privacy.request.completed',
          subject: id,
          reason: `${row.type} request completed`,
          data: { requestId: id, type: row.type, leadIds: fromJson(row.lead_ids, []), result },
        });
      });
      if (started.type === 'erasure')
        await hooks.afterCommit?.(ctx, { requestId: id, leadIds: fromJson(started.lead_ids, []) });
    }
    return toRequest((await load(store.db, ctx, id)) as PrivacyRequestsTable);
  }

  return {
    run,
    async submit(ctx, input, submitOptions) {
      const scope = await resolveSubject(store.db, ctx, input.subject, normalise);
      if (scope.leadIds.length === 0)
        throw new LeadloopError('not_found', 'no lead of this workspace matches the subject', {
          issues: [{ field: 'body.subject', reason: 'matches no lead of this workspace' }],
        });
      if (input.changes?.email && !normalise.email(input.changes.email))
        throw new LeadloopError('validation_failed', 'the corrected email is not valid', {
          issues: [{ field: 'body.changes.email', reason: 'is not a valid email address' }],
        });
      if (input.changes?.phone && !normalise.phone(input.changes.phone))
        throw new LeadloopError('validation_failed', 'the corrected phone is not valid', {
          issues: [{ field: 'body.changes.phone', reason: 'is not a valid phone number' }],
        });
      const id = ids.next('dsr');
      const now = clock.now();
      const due = deadlinesFor(input.jurisdiction as Jurisdiction, now);
      await store.transaction(async (trx) => {
        await trx
          .insertInto('privacy_requests')
          .values({
            id,
            workspace_id: ctx.workspaceId,
            type: input.type,
            jurisdiction: input.jurisdiction,
            status: 'received',
            held: input.hold ? 1 : 0,
            origin: submitOptions.origin,
            subject_sealed: keys.master.seal(
              toJson(input.subject),
              `${ctx.workspaceId}|${subjectContext(id)}`,
            ),
            changes_sealed: input.changes
              ? keys.master.seal(toJson(input.changes), `${ctx.workspaceId}|${changesContext(id)}`)
              : null,
            lead_ids: toJson(scope.leadIds),
            steps: toJson([
              {
                at: now,
                step: 'received',
                detail: { origin: submitOptions.origin, leads: scope.leadIds.length },
              },
            ]),
            result: null,
            received_at: now,
            ack_due_at: due.ackDueAt,
            due_at: due.dueAt,
            extended_due_at: due.extendedDueAt,
            completed_at: null,
            updated_at: now,
          })
          .execute();
        await audit.append(trx, ctx.workspaceId, {
          actor: submitOptions.actor,
          action: 'privacy.request.received',
          subject: id,
          reason: `${input.type} request (${input.jurisdiction}) filed by ${submitOptions.origin}; due ${new Date(due.dueAt).toISOString()}`,
          data: {
            requestId: id,
            type: input.type,
            jurisdiction: input.jurisdiction,
            leadIds: scope.leadIds,
            dueAt: due.dueAt,
            // Who asked is personal data: sealed with the request's own key, shredded on erasure.
            subject: await keys.seal(trx, ctx, id, toJson(input.subject), 'subject'),
          },
        });
      });
      if (submitOptions.run === false || input.hold)
        return toRequest((await load(store.db, ctx, id)) as PrivacyRequestsTable);
      return run(ctx, id, submitOptions.actor);
    },
    async get(ctx, id) {
      const row = await load(store.db, ctx, id);
      return row ? toRequest(row) : null;
    },
    async list(ctx, query) {
      const rows = await workspacePage(
        store.db,
        'privacy_requests',
        ctx.workspaceId,
        { status: query.status },
        { newest: 'received_at', limit: query.limit },
      );
      return rows.map(toRequest);
    },
    async exportOf(ctx, id) {
      const row = await load(store.db, ctx, id);
      if (!row)
        throw new LeadloopError('not_found', `privacy request ${id} not found in this workspace`, {
          issues: [{ field: 'path.id', reason: 'no such request in this workspace' }],
        });
      if (row.type !== 'access')
        throw new LeadloopError(
          'conflict',
          `request ${id} is a ${row.type} request; only access requests have an export`,
          { issues: [{ field: 'path.id', reason: 'not an access request' }] },
        );
      const scope = await scopeOf(store.db, ctx, row);
      return buildExport(holders, scope, { requestId: id, now: clock.now() });
    },
    async resume(ctx, actor) {
      const pending = await store.db
        .selectFrom('privacy_requests')
        .select('id')
        .where('workspace_id', '=', ctx.workspaceId)
        .where('status', 'in', ['received', 'in_progress'])
        .where('held', '=', 0)
        .execute();
      for (const { id } of pending) await run(ctx, id, actor);
      return pending.length;
    },
    async reject(ctx, id, reason, actor) {
      await store.transaction(async (trx) => {
        const row = await found(trx, ctx, id);
        if (row.status !== 'received')
          throw new LeadloopError(
            'conflict',
            `request ${id} is ${row.status}; only a request not yet started can be rejected`,
            {
              issues: [{ field: 'path.id', reason: `the request is ${row.status}` }],
            },
          );
        const now = clock.now();
        // Nothing will be done for the subject: what was filed about them goes now, not at completion.
        await step(
          trx,
          ctx,
          row,
          {
            status: 'rejected',
            held: 0,
            completed_at: now,
            result: toJson({ rejected: reason }),
            subject_sealed: null,
            changes_sealed: null,
          },
          { at: now, step: 'rejected', detail: { reason } },
        );
        await audit.append(trx, ctx.workspaceId, {
          actor,
          action: 'privacy.request.rejected',
          subject: id,
          reason: `${row.type} request rejected by the operator`,
          // The operator's words may name the person: sealed with the request's key, like its subject.
          data: { requestId: id, type: row.type, reason: await keys.seal(trx, ctx, id, reason, 'reason') },
        });
      });
      return toRequest((await load(store.db, ctx, id)) as PrivacyRequestsTable);
    },
    async extend(ctx, id, reason, actor) {
      await store.transaction(async (trx) => {
        const row = await found(trx, ctx, id);
        if (row.status === 'completed' || row.status === 'rejected')
          throw new LeadloopError(
            'conflict',
            `request ${id} is ${row.status}; only an open request can be extended`,
            {
              issues: [{ field: 'path.id', reason: `the request is ${row.status}` }],
            },
          );
        if (Number(row.due_at) >= Number(row.extended_due_at))
          throw new LeadloopError(
            'conflict',
            `request ${id} was extended already, to the furthest the law allows`,
            {
              issues: [{ field: 'path.id', reason: 'already extended' }],
            },
          );
        const now = clock.now();
        await step(
          trx,
          ctx,
          row,
          { due_at: row.extended_due_at },
          {
            at: now,
            step: 'extended',
            // The law wants the person told, with the reason; the privacy capability has no way to
            // message them (workflow e-mail is another capability's, and needs consent), so the
            // history says that nobody was told by Leadloop and the operator must do it.
            detail: {
              reason,
              from: Number(row.due_at),
              to: Number(row.extended_due_at),
              requesterNotified: false,
            },
          },
        );
        await audit.append(trx, ctx.workspaceId, {
          actor,
          action: 'privacy.request.extended',
          subject: id,
          reason: `${row.type} request due ${new Date(Number(row.extended_due_at)).toISOString()} (was ${new Date(Number(row.due_at)).toISOString()})`,
          data: {
            requestId: id,
            type: row.type,
            dueAt: Number(row.extended_due_at),
            reason: await keys.seal(trx, ctx, id, reason, 'reason'),
          },
        });
      });
      return toRequest((await load(store.db, ctx, id)) as PrivacyRequestsTable);
    },
  };
}
