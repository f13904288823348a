import { sql } from 'kysely';
import { z } from 'zod';
import type { AuditLog } from '../compliance/index.ts';
import {
  type Actor,
  type Clock,
  type IdGenerator,
  inWorkspace,
  LeadloopError,
  type WorkspaceContext,
} from '../core/index.ts';
import type { JobContext, PeriodicJob, Queue } from '../queue/index.ts';
import type { Store } from '../store/index.ts';
import { workspaceRow } from '../store/index.ts';
import {
  type ConsentEntry,
  type ConsentEntryInput,
  type ConsentLedger,
  type ConsentState,
  type ConsentStateReader,
  createConsentLedger,
  deriveConsentState,
} from './consent-ledger.ts';
import type { ExportBundle } from './export-bundle.ts';
import { createHolderRegistry, type HolderRegistry } from './holders.ts';
import { renderLinkProblem, renderPreferencePage } from './preference-page.ts';
import { createPreferenceTokens, type PreferenceTokens } from './preference-token.ts';
import { createPrivacyStages, type PrivacyStages, type SubmissionGpcReader } from './privacy-stage.ts';
import { PURPOSES } from './purposes.ts';
import type { PrivacyRequest } from './request-schema.ts';
import { createPrivacyRequests, type ErasureHooks, type PrivacyRequests } from './requests.ts';
import { createRetention, type Retention, type RetentionPolicy, type RetentionTargets } from './retention.ts';
import { createSubjectKeys, type SubjectKeys } from './subject-keys.ts';
import type { ContactNormaliser } from './subject-scope.ts';
import { createSuppressionList, type SuppressionList } from './suppressions.ts';

const PREFERENCE_PAGE: Actor = { type: 'system', id: 'preference_page' };
const RETENTION_JOB: Actor = { type: 'worker', id: 'privacy.retention' };
const DAY = 86_400_000;

/** What the preference page may post: one purpose changed, or a request filed. */
export const preferenceActionSchema = z.union([
  z.object({ action: z.enum(['grant', 'withdraw']), purpose: z.enum(PURPOSES) }).strict(),
  z.object({ request: z.enum(['access', 'erasure']) }).strict(),
]);
type PreferenceAction = z.infer<typeof preferenceActionSchema>;

export interface PrivacyOptions {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditLog;
  queue: Queue;
  /** 32 bytes from configuration; never stored in the database. */
  masterKey: Uint8Array;
  /** Earlier master keys during a rotation: what they sealed still opens. */
  previousMasterKeys?: readonly Uint8Array[];
  normalise: ContactNormaliser;
  retentionTargets: RetentionTargets;
  eventGpc?: SubmissionGpcReader;
  hooks?: ErasureHooks;
}

export interface Privacy {
  ledger: ConsentLedger;
  requests: PrivacyRequests;
  retention: Retention;
  stages: PrivacyStages;
  /** Register holders of personal data here (src/main does, per capability). */
  holders: HolderRegistry;
  tokens: PreferenceTokens;
  keys: SubjectKeys;
  /** The suppression list (hash prefixes) and the "is this person suppressed?" check. */
  suppressions: SuppressionList;
  /** The port scoring, council and workflows read: true at the moment of the call. */
  consentState: ConsentStateReader;
  /** `POST /v1/leads/{id}/consents`: appends, answers the new state. */
  recordConsent(
    ctx: WorkspaceContext,
    leadId: string,
    entries: ConsentEntryInput[],
    actor: Actor,
  ): Promise<{ state: ConsentState; recorded: ConsentEntry[] }>;
  consentsOf(
    ctx: WorkspaceContext,
    leadId: string,
  ): Promise<{ state: ConsentState; history: ConsentEntry[] }>;
  /** A `Sec-GPC: 1` request: applied when the event's lead is known (or now, if it already is). */
  recordGpcSignal(workspaceId: string, eventId: string): Promise<void>;
  /** A signed preference link for a lead of the workspace. */
  preferenceLink(
    ctx: WorkspaceContext,
    leadId: string,
    ttlDays: number,
  ): Promise<{ token: string; expiresAt: number }>;
  /** The page for a token: 200 with the choices, or 400/410 with a plain explanation. */
  preferencePage(token: string, gpc: boolean): Promise<{ status: number; html: string }>;
  preferenceAction(token: string, action: PreferenceAction): Promise<Record<string, unknown>>;
  /** The download behind the page's "copy of my data": the bundle of an access request filed with this link. */
  preferenceExport(token: string, requestId: string): Promise<ExportBundle>;
  retentionPolicy(ctx: WorkspaceContext): ReturnType<Retention['get']>;
  /** Saves a policy and queues a sweep now, in one transaction (the daily schedule does the rest). */
  setRetention(ctx: WorkspaceContext, policy: RetentionPolicy, actor: Actor): Promise<number>;
  /**
   * The daily `privacy.retention` schedule of every workspace, whether or not it ever saved a
   * policy: the defaults apply on their own, and interrupted requests are finished.
   */
  readonly periodicJobs: readonly PeriodicJob<'privacy.retention'>[];
  /** The `privacy.retention` job: finishes interrupted requests, then sweeps. */
  retentionJob(job: JobContext<'privacy.retention'>): Promise<void>;
  /** SQLite: overwrite freed pages and empty the WAL, so erased bytes leave the files. */
  scrubStorage(): Promise<{ checkpointed: boolean }>;
}

export function createPrivacy(options: PrivacyOptions): Privacy {
  const { store, clock, ids, audit, queue } = options;
  const keys = createSubjectKeys({
    masterKey: options.masterKey,
    previousMasterKeys: options.previousMasterKeys ?? [],
    clock,
  });
  const ledger = createConsentLedger({ clock, ids, audit });
  const holders = createHolderRegistry();
  const tokens = createPreferenceTokens({
    masterKey: options.masterKey,
    previousMasterKeys: options.previousMasterKeys ?? [],
    clock,
  });
  const stages = createPrivacyStages({
    ledger,
    keys,
    ...(options.eventGpc ? { eventGpc: options.eventGpc } : {}),
  });
  const db = store.db;

  async function scrubStorage() {
    if (store.dialect !== 'sqlite') return { checkpointed: false };
    // TRUNCATE cannot finish while a reader holds an old snapshot: retry briefly.
    for (let attempt = 0; attempt < 20; attempt++) {
      const { rows } = await sql<{ busy: number }>`pragma wal_checkpoint(TRUNCATE)`.execute(db);
      if (Number(rows[0]?.busy ?? 0) === 0) return { checkpointed: true };
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return { checkpointed: false };
  }

  const requests = createPrivacyRequests({
    store,
    clock,
    ids,
    audit,
    ledger,
    keys,
    holders,
    normalise: options.normalise,
    hooks: {
      ...options.hooks,
      async afterCommit(ctx, erased) {
        await options.hooks?.afterCommit?.(ctx, erased);
        await scrubStorage();
      },
    },
  });
  // The sweep's erasures leave no more behind than a request's: the same caches and scrubbing.
  const retention = createRetention({
    store,
    clock,
    audit,
    holders,
    targets: options.retentionTargets,
    async afterErase(ctx, leadIds) {
      await options.hooks?.afterCommit?.(ctx, { requestId: 'retention', leadIds });
      await scrubStorage();
    },
  });

  async function leadExists(ctx: WorkspaceContext, leadId: string) {
    return (await workspaceRow(db, 'leads', ctx.workspaceId, { id: leadId }, ['id'])) !== undefined;
  }
  const noLead = (leadId: string) =>
    new LeadloopError('not_found', `lead ${leadId} not found in this workspace`, {
      issues: [{ field: 'path.id', reason: 'no such lead in this workspace' }],
    });

  async function recordConsent(
    ctx: WorkspaceContext,
    leadId: string,
    entries: ConsentEntryInput[],
    actor: Actor,
  ) {
    return store.transaction(async (trx) => {
      const lead = await workspaceRow(trx, 'leads', ctx.workspaceId, { id: leadId }, ['id']);
      if (!lead) throw noLead(leadId);
      const recorded = await ledger.record(trx, ctx, leadId, entries, actor);
      return { recorded, state: await ledger.state(trx, ctx, leadId) };
    });
  }

  /** GPC sent to the preference page itself: an opt-out, recorded once. */
  async function honourGpc(ctx: WorkspaceContext, leadId: string) {
    const state = await ledger.state(db, ctx, leadId);
    if (state.gpc && state.saleOrShareOptOut) return;
    await recordConsent(
      ctx,
      leadId,
      [
        {
          purpose: 'sale_or_share',
          action: 'withdraw',
          method: 'gpc',
          source: 'preference_page',
          gpc: true,
          occurredAt: clock.now(),
        },
      ],
      PREFERENCE_PAGE,
    );
  }

  async function withToken<T>(
    token: string,
    fn: (ctx: WorkspaceContext, leadId: string) => Promise<T>,
  ): Promise<T | null> {
    const verified = tokens.verify(token);
    if (!verified.ok) return null;
    const { workspaceId, leadId } = verified.value;
    return inWorkspace(workspaceId, async () => {
      const ws = await db
        .selectFrom('workspaces')
        .select(['id', 'organisation_id'])
        .where('id', '=', workspaceId)
        .executeTakeFirst();
      if (!ws) return null;
      const ctx = { workspaceId, organisationId: ws.organisation_id };
      if (!(await leadExists(ctx, leadId))) return null;
      return fn(ctx, leadId);
    });
  }

  return {
    ledger,
    requests,
    retention,
    stages,
    holders,
    tokens,
    keys,
    suppressions: createSuppressionList({ store, keys, normalise: options.normalise, audit }),
    consentState: ledger.state,
    scrubStorage,
    recordConsent,
    async consentsOf(ctx, leadId) {
      if (!(await leadExists(ctx, leadId))) throw noLead(leadId);
      const history = await ledger.history(db, ctx, leadId);
      return { history, state: deriveConsentState(leadId, history) };
    },
    async recordGpcSignal(workspaceId, eventId) {
      await inWorkspace(workspaceId, () =>
        store.transaction(async (trx) => {
          const event = await workspaceRow(trx, 'events', workspaceId, { id: eventId }, [
            'lead_id',
            'status',
          ]);
          if (!event) return;
          if (event.lead_id) {
            const ws = await trx
              .selectFrom('workspaces')
              .select('organisation_id')
              .where('id', '=', workspaceId)
              .executeTakeFirstOrThrow();
            await ledger.record(
              trx,
              { workspaceId, organisationId: ws.organisation_id },
              event.lead_id,
              [
                {
                  purpose: 'sale_or_share',
                  action: 'withdraw',
                  method: 'gpc',
                  source: 'http',
                  gpc: true,
                  evidence: eventId,
                  occurredAt: clock.now(),
                },
              ],
              { type: 'system', id: 'gpc' },
            );
            return;
          }
          await trx
            .insertInto('privacy_signals')
            .values({ workspace_id: workspaceId, event_id: eventId, gpc: 1, created_at: clock.now() })
            .onConflict((oc) => oc.columns(['workspace_id', 'event_id']).doNothing())
            .execute();
        }),
      );
    },
    async preferenceLink(ctx, leadId, ttlDays) {
      if (!(await leadExists(ctx, leadId))) throw noLead(leadId);
      return tokens.issue({ workspaceId: ctx.workspaceId, leadId }, ttlDays * DAY);
    },
    async preferencePage(token, gpc) {
      const verified = tokens.verify(token);
      if (!verified.ok)
        return { status: verified.error === 'expired' ? 410 : 400, html: renderLinkProblem(verified.error) };
      const html = await withToken(token, async (ctx, leadId) => {
        if (gpc) await honourGpc(ctx, leadId);
        const state = await ledger.state(db, ctx, leadId);
        return renderPreferencePage(state, { token, gpcHonoured: state.gpc });
      });
      // A link whose lead was erased reads like any invalid link: it reveals nothing.
      return html === null
        ? { status: 400, html: renderLinkProblem('bad_signature') }
        : { status: 200, html };
    },
    async preferenceAction(token, action) {
      const verified = tokens.verify(token);
      if (!verified.ok)
        throw new LeadloopError(
          verified.error === 'expired' ? 'forbidden' : 'unauthenticated',
          'this link is not valid or has expired',
          {
            issues: [
              {
                field: 'path.token',
                reason: verified.error === 'expired' ? 'has expired' : 'is not a valid link',
              },
            ],
          },
        );
      const result = await withToken(token, async (ctx, leadId): Promise<Record<string, unknown>> => {
        if ('action' in action) {
          const { state } = await recordConsent(
            ctx,
            leadId,
            [
              {
                purpose: action.purpose,
                action: action.action,
                method: 'preference_page',
                source: 'preference_page',
                occurredAt: clock.now(),
              },
            ],
            PREFERENCE_PAGE,
          );
          return { purpose: action.purpose, allowed: state.purposes[action.purpose]?.allowed ?? false };
        }
        // The signed link was sent to the person's address, so holding it verifies the request:
        // it is carried out at once (the page asked to confirm an erasure), deadlines tracked as any.
        const request: PrivacyRequest = await requests.submit(
          ctx,
          { type: action.request, subject: { leadId }, jurisdiction: 'gdpr' },
          { actor: PREFERENCE_PAGE, origin: 'preference_page' },
        );
        return {
          requestId: request.id,
          status: request.status,
          dueAt: new Date(request.dueAt).toISOString(),
          ...(action.request === 'access' && request.status === 'completed'
            ? { download: `/p/${encodeURIComponent(token)}/export/${request.id}` }
            : {}),
        };
      });
      if (result === null)
        throw new LeadloopError('unauthenticated', 'this link is not valid or has expired', {
          issues: [{ field: 'path.token', reason: 'is not a valid link' }],
        });
      return result;
    },
    async preferenceExport(token, requestId) {
      const bundle = await withToken(token, async (ctx, leadId) => {
        const request = await requests.get(ctx, requestId).catch(() => null);
        // Only this link's own access requests: another person's request id reveals nothing.
        if (request?.origin !== 'preference_page' || !request.leadIds.includes(leadId)) return null;
        return requests.exportOf(ctx, requestId);
      });
      if (bundle === null)
        throw new LeadloopError('not_found', 'no such download for this link', {
          issues: [{ field: 'path.requestId', reason: 'not a request filed with this link' }],
        });
      return bundle;
    },
    retentionPolicy: (ctx) => retention.get(db, ctx),
    periodicJobs: [
      {
        name: 'privacy.retention',
        job: 'privacy.retention',
        everyMs: DAY,
        firstRunAfterMs: DAY,
        payload: () => ({ trigger: 'schedule' }),
      },
    ],
    async setRetention(ctx, policy, actor) {
      const version = await store.transaction(async (trx) => {
        const v = await retention.put(trx, ctx, policy, actor);
        await queue.enqueue(trx, [
          { name: 'privacy.retention', workspaceId: ctx.workspaceId, payload: { trigger: `policy v${v}` } },
        ]);
        return v;
      });
      queue.notify();
      return version;
    },
    async retentionJob(job) {
      const ws = await db
        .selectFrom('workspaces')
        .select('organisation_id')
        .where('id', '=', job.workspaceId)
        .executeTakeFirst();
      if (!ws) return;
      const ctx = { workspaceId: job.workspaceId, organisationId: ws.organisation_id };
      await requests.resume(ctx, RETENTION_JOB);
      await retention.sweep(ctx, RETENTION_JOB);
    },
  };
}
