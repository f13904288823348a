import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type nodemailer from 'nodemailer';
import type { AuditLog } from '../compliance/index.ts';
import type { Config } from '../config/index.ts';
import {
  type Clock,
  createSecretBox,
  type IdGenerator,
  inWorkspace,
  LeadloopError,
  lazyModule,
  type Result,
} from '../core/index.ts';
import type { CouncilService } from '../council/index.ts';
import type { WorkflowHttp } from '../http/index.ts';
import { signWebhook, verifyWebhook } from '../ingest/index.ts';
import { changeLead, findLead, toLead } from '../leads/index.ts';
import type { ModelClient } from '../models/index.ts';
import { readSplitWeights } from '../optimiser/index.ts';
import type { ConsentEntryInput, ConsentStateReader } from '../privacy/index.ts';
import type { Queue } from '../queue/index.ts';
import type { Db, Store } from '../store/index.ts';
import { fromJson, workspaceRow } from '../store/index.ts';
import {
  type ConsentPort,
  type CouncilPort,
  type CredentialStore,
  createCredentialStore,
  createEmailSender,
  createHookStore,
  createSafeHttp,
  createSettingsStore,
  createTemplateStore,
  createWorkflowEngine,
  createWorkflowService,
  type GeneratedWorkflow,
  type GenerateRequest,
  type GenerationRefusal,
  generateWorkflow,
  type HookStore,
  type LeadPort,
  type SettingsStore,
  type Verify,
  type WorkflowEngine,
  type WorkflowService,
} from '../workflows/index.ts';
import { consentNames } from './consent-view.ts';

// Loaded when SMTP is configured: a server that sends no e-mail does not carry the mailer in either
// thread (about 2 MiB of heap each; core/lazy-module.ts).
const mailer = lazyModule<typeof nodemailer>('nodemailer');

/** The lead port over the lead kernel: reads with `findLead`, writes attributes/status with history. */
function createWorkflowLeadPort(options: {
  clock: Clock;
  audit: AuditLog;
  dialect?: Store['dialect'];
}): LeadPort {
  return {
    async find(db, ctx, leadId) {
      return findLead(db, { workspaceId: ctx.workspaceId, organisationId: '' }, leadId);
    },
    async update(outer, ctx, leadId, patch, actor, reason) {
      // A step run as its own job passes the pool: the read-modify-write needs a transaction.
      if (!outer.isTransaction)
        return outer.transaction().execute((trx) => this.update(trx, ctx, leadId, patch, actor, reason));
      const db = outer;
      // Read-modify-write of the attributes: two runs updating one lead at once must not lose a
      // tag, so on PostgreSQL the row is locked first (SQLite write transactions are serial).
      if (options.dialect === 'postgres')
        await db
          .selectFrom('leads')
          .select('id')
          .where('workspace_id', '=', ctx.workspaceId)
          .where('id', '=', leadId)
          .forUpdate()
          .execute();
      const lead = await findLead(db, { workspaceId: ctx.workspaceId, organisationId: '' }, leadId);
      if (!lead) throw new LeadloopError('not_found', `lead ${leadId} not found`);
      const attributes = { ...lead.attributes };
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      const set = (key: string, value: string | number | boolean | null) => {
        if (attributes[key] === value) return;
        changes[`attributes.${key}`] = { from: attributes[key] ?? null, to: value };
        if (value === null) delete attributes[key];
        else attributes[key] = value;
      };
      for (const [key, value] of Object.entries(patch.attributes ?? {})) set(key, value);
      if (patch.owner !== undefined) set('owner', patch.owner);
      if (patch.tagsAdd || patch.tagsRemove) {
        const tags = new Set(
          typeof attributes.tags === 'string' && attributes.tags ? attributes.tags.split(',') : [],
        );
        for (const t of patch.tagsAdd ?? []) tags.add(t);
        for (const t of patch.tagsRemove ?? []) tags.delete(t);
        set('tags', tags.size > 0 ? [...tags].join(',') : null);
      }
      const status = patch.status ?? lead.status;
      if (status !== lead.status) changes.status = { from: lead.status, to: status };
      if (Object.keys(changes).length === 0) return;
      const now = options.clock.now();
      await changeLead(
        db,
        ctx.workspaceId,
        leadId,
        { attributes: JSON.stringify(attributes), status },
        { eventId: actor.id, action: 'workflow.update', changes, at: now },
      );
      await options.audit.append(db, ctx.workspaceId, {
        actor,
        action: 'lead.updated',
        subject: leadId,
        reason,
        data: { fields: Object.keys(changes) },
      });
    },
    async list(db, ctx, limit) {
      const rows = await db
        .selectFrom('leads')
        .selectAll()
        .where('workspace_id', '=', ctx.workspaceId)
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map(toLead);
    },
    async countOpenByOwner(db, ctx, owners) {
      const rows = await db
        .selectFrom('leads')
        .select(['attributes'])
        .where('workspace_id', '=', ctx.workspaceId)
        .where('status', 'in', ['new', 'qualified'])
        .execute();
      const counts: Record<string, number> = Object.fromEntries(owners.map((o) => [o, 0]));
      for (const row of rows) {
        const owner = fromJson<Record<string, unknown>>(row.attributes, {}).owner;
        if (typeof owner === 'string' && owner in counts) counts[owner] = (counts[owner] ?? 0) + 1;
      }
      return counts;
    },
  };
}

/**
 * The default consent adapter, over today's consent data: purposes from the lead's consent records
 * (checkbox and form captures count as written), opt-outs from lead attributes (`unsubscribed`,
 * `doNotSell`, `gpc`). Used only when no privacy ledger is wired (`createLedgerConsentPort`).
 */
function createDefaultConsentPort(): ConsentPort {
  return {
    async stateOf(db: Db, ctx, leadId) {
      const records = await db
        .selectFrom('consent_records')
        .select(['purposes', 'method'])
        .where('workspace_id', '=', ctx.workspaceId)
        .where('lead_id', '=', leadId)
        .execute();
      const lead = await workspaceRow(db, 'leads', ctx.workspaceId, { id: leadId }, ['attributes']);
      const attributes = fromJson<Record<string, unknown>>(lead?.attributes, {});
      const purposes = new Set<string>();
      const written = new Set<string>();
      for (const r of records) {
        for (const p of fromJson<string[]>(r.purposes, [])) {
          purposes.add(p);
          if (r.method === 'checkbox' || r.method === 'form') written.add(p);
        }
      }
      const yes = (v: unknown) => v === true || v === 'true';
      return {
        purposes: [...purposes],
        writtenPurposes: [...written],
        saleShareOptOut: yes(attributes.doNotSell) || yes(attributes.gpc),
        unsubscribed: yes(attributes.unsubscribed),
      };
    },
  };
}

/** What workflows need of the privacy capability: its derived consent state, and a way to record a withdrawal. */
export interface WorkflowPrivacy {
  consentState: ConsentStateReader;
  record(db: Db, ctx: { workspaceId: string }, leadId: string, entries: ConsentEntryInput[]): Promise<void>;
}

/**
 * The consent adapter over the privacy ledger's derived state, read when the engine acts (so a
 * withdrawal on the preference page or by one-click unsubscribe stops the next e-mail of a waiting
 * run). Restriction (Art. 18) leaves no purpose granted; an explicit e-mail withdrawal is an
 * unsubscribe; GPC counts as a sale/share opt-out.
 */
function createLedgerConsentPort(privacy: WorkflowPrivacy): ConsentPort {
  return {
    async stateOf(db, ctx, leadId) {
      const state = await privacy.consentState(
        db,
        { workspaceId: ctx.workspaceId, organisationId: '' },
        leadId,
      );
      const { granted, written } = consentNames(state);
      const email = state.purposes.email_marketing;
      return {
        purposes: granted,
        writtenPurposes: written,
        saleShareOptOut: state.saleOrShareOptOut || state.gpc,
        unsubscribed: state.restricted || (email?.basis === 'recorded' && !email.allowed),
      };
    },
    async unsubscribe(db, ctx, leadId, at) {
      await privacy.record(db, ctx, leadId, [
        {
          purpose: 'email_marketing',
          action: 'withdraw',
          method: 'unsubscribe',
          source: 'list_unsubscribe',
          occurredAt: at,
        },
      ]);
    },
  };
}

function createCouncilPort(council: CouncilService): CouncilPort {
  return {
    async ask(ctx, input) {
      const decision = (await council.ask(
        { workspaceId: ctx.workspaceId, organisationId: '' } as never,
        { type: 'lead.next_action', leadId: input.leadId },
        { actor: { type: 'worker', id: 'workflow.ask_council' }, signal: input.signal },
      )) as unknown as {
        id: string;
        decisionClass?: string;
        confidence?: number;
        output?: { action?: string };
        explanation?: string;
      };
      return {
        decisionId: decision.id,
        decision: decision.decisionClass ?? decision.output?.action ?? 'unknown',
        confidence: decision.confidence ?? 0,
        explanation: typeof decision.explanation === 'string' ? decision.explanation : '',
      };
    },
  };
}

/** What HTTP needs of workflows (`WorkflowHttp`), plus the engine and stores for the runtime. */
export interface WorkflowWiring extends Pick<WorkflowHttp, 'receiveHook' | 'hooksOf' | 'templates'> {
  engine: WorkflowEngine;
  service: WorkflowService;
  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  read<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  credentials: CredentialStore;
  settings: SettingsStore;
  hooks: HookStore;
  /** Checks the token of an unsubscribe link. */
  verifyUnsubscribe(workspaceId: string, leadId: string, token: string): boolean;
  /** Marks the lead unsubscribed (marketing steps skip it from now on), audited. */
  unsubscribe(workspaceId: string, leadId: string): Promise<void>;
  generate(
    workspaceId: string,
    request: GenerateRequest,
    signal: AbortSignal,
  ): Promise<Result<GeneratedWorkflow, GenerationRefusal>>;
}

export function wireWorkflows(options: {
  config: Config;
  store: Store;
  queue: Queue;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditLog;
  council: CouncilService;
  verify: Verify;
  /** The model port for generation; absent: the offline play library. */
  models?: ModelClient;
  /** The master key: credentials are sealed with its box (bound to workspace and name); unsubscribe links are signed with a key derived from it. */
  masterKey: Uint8Array;
  /** Earlier master keys during a rotation: credentials they sealed still open. */
  previousMasterKeys?: readonly Uint8Array[];
  random?: () => number;
  /** The privacy ledger; absent, the engine reads the older consent records and attributes. */
  privacy?: WorkflowPrivacy;
}): WorkflowWiring {
  const { config, store, queue, clock, ids, audit } = options;
  const credentials = createCredentialStore({
    box: createSecretBox(options.masterKey, options.previousMasterKeys),
    clock,
  });
  const links = unsubscribeLinks(options.masterKey, options.previousMasterKeys);
  const settings = createSettingsStore({ clock });
  const templates = createTemplateStore({ ids });
  const leads = createWorkflowLeadPort({ clock, audit, dialect: store.dialect });
  const smtp = config.LEADLOOP_SMTP_URL;
  const consent = options.privacy ? createLedgerConsentPort(options.privacy) : createDefaultConsentPort();
  const engine = createWorkflowEngine({
    store,
    queue,
    clock,
    ids,
    audit,
    leads,
    consent,
    council: createCouncilPort(options.council),
    credentials,
    templates,
    settings,
    http: createSafeHttp({ timeoutMs: config.LEADLOOP_WORKFLOW_HTTP_TIMEOUT_MS }),
    email: smtp ? createEmailSender(mailer().createTransport(smtp)) : null,
    sign: signWebhook,
    splits: {
      current: (db, ctx, workflowId, stepId) => readSplitWeights(db, ctx.workspaceId, workflowId, stepId),
    },
    unsubscribeUrl: (workspaceId, leadId) => {
      const base = (config.LEADLOOP_PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`).replace(/\/$/, '');
      return `${base}/v1/unsubscribe/${encodeURIComponent(workspaceId)}/${encodeURIComponent(leadId)}?t=${links.token(workspaceId, leadId)}`;
    },
    ...(options.random ? { random: options.random } : {}),
  });
  // With the previous keys: hook secrets sealed before a rotation open until it re-seals them.
  const hooks = createHookStore({
    box: createSecretBox(options.masterKey, options.previousMasterKeys),
    clock,
  });
  const service = createWorkflowService({
    store,
    engine,
    audit,
    clock,
    ids,
    verify: options.verify,
    leads,
    hooks,
  });
  const publicBase = () =>
    (config.LEADLOOP_PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`).replace(/\/$/, '');
  return {
    engine,
    service,
    hooks,
    async hooksOf(workspaceId, workflowId) {
      const list = await hooks.ofWorkflow(store.db, { workspaceId }, workflowId);
      return list.map((h) => ({ ...h, url: `${publicBase()}/v1/hooks/${workspaceId}/${h.path}` }));
    },
    async receiveHook(workspaceId, path, headers, rawBody, admit) {
      const ctx = { workspaceId };
      const hook = await hooks.find(store.db, ctx, path);
      const verified = hook ? verifyWebhook(headers, rawBody, [hook.secret], clock.now()) : null;
      // An unknown path and a bad signature answer alike: the answer does not reveal which paths exist.
      if (!hook || !verified?.ok)
        throw new LeadloopError('signature_invalid', 'the signature does not verify for this endpoint', {
          issues: [
            {
              field: 'header.webhook-signature',
              reason:
                verified && !verified.ok ? verified.error.reason : 'no endpoint with this path and secret',
            },
          ],
        });
      await admit();
      let body: unknown;
      try {
        body = JSON.parse(rawBody);
      } catch (error) {
        throw new LeadloopError('malformed_json', 'the request body is not valid JSON', {
          issues: [{ field: 'body', reason: (error as Error).message }],
        });
      }
      if (body === null || typeof body !== 'object' || Array.isArray(body))
        throw new LeadloopError('validation_failed', 'the body must be a JSON object', {
          issues: [{ field: 'body', reason: "expected an object; its fields are the run's trigger.body" }],
        });
      const fields = body as Record<string, unknown>;
      return store.transaction(async (trx) => {
        const leadId =
          typeof fields.leadId === 'string' && (await leads.find(trx, ctx, fields.leadId))
            ? fields.leadId
            : null;
        const started = await engine.startRun(trx, workspaceId, {
          workflowId: hook.workflowId,
          trigger: 'webhook',
          leadId,
          dedupeKey: `webhook:${verified.value.id}`,
          input: { webhookId: verified.value.id, body: fields },
        });
        if (!started)
          throw new LeadloopError('conflict', `workflow ${hook.workflowId} is not active`, {
            issues: [{ field: 'path.path', reason: "the endpoint's workflow is deactivated" }],
          });
        if (started.created)
          await audit.append(trx, workspaceId, {
            actor: { type: 'webhook', id: `workflow-hook:${path}` },
            action: 'workflow.run_started',
            subject: started.runId,
            reason: `inbound webhook ${verified.value.id} on /v1/hooks/${workspaceId}/${path}`,
            data: { workflowId: hook.workflowId, trigger: 'webhook' },
          });
        return { runId: started.runId, replayed: !started.created };
      });
    },
    transaction: (fn) => store.transaction((trx) => fn(trx)),
    read: (fn) => fn(store.db),
    credentials,
    templates,
    settings,
    generate: (workspaceId, request, signal) =>
      generateWorkflow(request, {
        ...(options.models ? { model: options.models } : {}),
        workspaceId,
        signal,
      }),
    unsubscribe: (workspaceId, leadId) =>
      inWorkspace(workspaceId, () =>
        store.db.transaction().execute(async (trx) => {
          if (!(await leads.find(trx, { workspaceId }, leadId)))
            throw new LeadloopError('not_found', 'the lead of this link no longer exists', {
              issues: [{ field: 'path.leadId', reason: 'no such lead' }],
            });
          await leads.update(
            trx,
            { workspaceId },
            leadId,
            { attributes: { unsubscribed: true } },
            { type: 'webhook', id: 'unsubscribe-link' },
            'the recipient unsubscribed with the link in a workflow e-mail',
          );
          // RFC 8058: effective at once, in the same transaction as the answer the mailbox gets.
          await consent.unsubscribe?.(trx, { workspaceId }, leadId, clock.now());
        }),
      ),
    verifyUnsubscribe: links.verify,
  };
}

/**
 * Unsubscribe links: an unguessable, per-lead token, so only the recipient of the e-mail can
 * unsubscribe the address. Signed with the current master key's link key; a link signed before
 * a rotation (already in a mailbox, RFC 8058 clients keep it) verifies while its key is listed
 * in `LEADLOOP_PREVIOUS_MASTER_KEYS`.
 */
export function unsubscribeLinks(masterKey: Uint8Array, previousMasterKeys: readonly Uint8Array[] = []) {
  const keys = [masterKey, ...previousMasterKeys].map((master) =>
    Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'leadloop unsubscribe links', 32)),
  );
  const tokenWith = (key: Buffer, workspaceId: string, leadId: string) =>
    createHmac('sha256', key).update(`unsubscribe:${workspaceId}:${leadId}`).digest('base64url').slice(0, 32);
  return {
    token: (workspaceId: string, leadId: string) => tokenWith(keys[0] as Buffer, workspaceId, leadId),
    verify(workspaceId: string, leadId: string, token: string): boolean {
      const offered = Buffer.from(token);
      return keys.some((key) => {
        const expected = Buffer.from(tokenWith(key, workspaceId, leadId));
        return offered.length === expected.length && timingSafeEqual(offered, expected);
      });
    },
  };
}
