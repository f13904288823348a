import type { ChatStore } from '../chat/index.ts';
import type { WorkspaceContext } from '../core/index.ts';
import type { DecisionCache } from '../council/index.ts';
import { type ConsentFilterPort, normaliseEmail, normalisePhone } from '../leads/index.ts';
import {
  type ContactNormaliser,
  columnHolder,
  createConsentLeadFilter,
  type ErasureHooks,
  type HolderRegistry,
  mentionHolder,
  type Privacy,
  type RetentionTargets,
  type SubjectScope,
} from '../privacy/index.ts';
import type { Queue } from '../queue/index.ts';
import type { TrainingExclusions } from '../scoring/index.ts';
import { type Db, dbOf, fromJson, toJson, workspaceRow } from '../store/index.ts';
import type { WorkflowPrivacy } from './workflow-wiring.ts';

export const contactNormaliser: ContactNormaliser = {
  email(raw) {
    const result = normaliseEmail(raw);
    return result.ok ? result.value : null;
  },
  phone(raw) {
    const result = normalisePhone(raw, undefined);
    return result.ok ? result.value : null;
  },
};

/** Each table in `tables` declared clean for the same reason. */
const alike = (tables: readonly string[], why: string): Record<string, string> =>
  Object.fromEntries(tables.map((table) => [table, why]));

/**
 * Tables that hold no personal data, each with the reason: declared so that a table neither covered
 * by a holder nor listed here is reported as forgotten.
 */
const NO_PERSONAL_DATA: Record<string, string> = {
  // SQLite's inbox search index (052): an external-content FTS5 table over leads, kept in step by
  // triggers with secure-delete, so erasing a lead's row removes its words; it stores no row copy.
  ...alike(
    ['leads_fts', 'leads_fts_data', 'leads_fts_idx', 'leads_fts_docsize', 'leads_fts_config'],
    'the search index of leads, erased with the lead row by triggers',
  ),
  webhook_secrets: 'signing secrets',
  scoring_rules: 'configuration',
  audit_heads: 'the newest hash per workspace',
  playbooks: 'configuration',
  scoring_models: 'trained parameters and aggregate figures; retrained without erased outcomes',
  scoring_state: 'settings and training bookkeeping (counts)',
  council_agents: 'configuration',
  council_router_stats: 'aggregate counts per agent combination',
  privacy_suppressions: 'peppered hashes with no lead id beside them',
  privacy_retention: 'configuration and sweep counts',
  ...alike(['organisations', 'workspaces', 'api_keys', 'widget_keys'], 'directory: tenants and credentials'),
  scope_keys: 'the data-scope signing key (PostgreSQL, owner only)',
  workflows: 'workflow definitions (configuration)',
  workflow_versions: 'workflow definitions (configuration)',
  workflow_credentials: 'connector credentials, sealed',
  workflow_settings: 'configuration',
  workflow_schedules: 'schedule triggers: cron, time zone, next fire time',
  workflow_hooks: 'inbound endpoints: path and sealed signing secret',
  // Analytics: per-minute aggregate counts by segment, no lead ids.
  metric_rollups: 'aggregate counts per minute and segment',
  metric_cursors: 'stream positions',
  schedules: 'due times of periodic jobs',
  optimiser_state: 'detector statistics per segment',
  optimiser_alerts: 'detector firings: figures and segment names, no lead',
  optimiser_adjustments: 'bounded setting changes and their guards',
  optimiser_policies: 'configuration',
  source_holds: 'lead sources the optimiser paused: source name and the change',
  split_weights: 'shares of workflow split variants: names and numbers',
  question_orders: 'the order of a playbook’s question slots: slot names',
  message_templates: 'e-mail and SMS templates: names (configuration)',
  message_template_versions:
    "template text with placeholders, written by the workspace's staff (no lead's values)",
  chat_knowledge: "the company's own content the chat bot answers from (FAQ, pages, pricing)",
  // Console operators are the workspace's staff, not the people its leads are about.
  ...alike(
    ['users', 'user_memberships', 'user_sessions', 'user_invitations'],
    'operator accounts of the console (staff, not lead subjects)',
  ),
};

/**
 * Every table that can hold a person, by the capability that owns it. A table added later must
 * be registered here (or declared clean): the erasure scan test enumerates the schema and fails
 * on a table nobody covers.
 */
export function registerPersonalDataHolders(holders: HolderRegistry): void {
  // Lead kernel and ingestion.
  holders.register(columnHolder({ name: 'leads', table: 'leads', column: 'id', match: 'lead' }));
  holders.register(
    columnHolder({ name: 'leads.history', table: 'lead_history', column: 'lead_id', match: 'lead' }),
  );
  holders.register(
    columnHolder({
      name: 'leads.consent_records',
      table: 'consent_records',
      column: 'lead_id',
      match: 'lead',
    }),
  );
  holders.register(columnHolder({ name: 'ingest.events', table: 'events', column: 'id', match: 'event' }));
  holders.register(
    mentionHolder({
      name: 'ingest.idempotency',
      table: 'idempotency_keys',
      column: 'response_body',
      ids: (s) => s.eventIds,
      // The stored answer is exactly the 202 body (see ingest's event writer).
      exact: (eventId) => toJson({ eventId }),
    }),
  );
  holders.register(
    mentionHolder({
      name: 'queue.jobs',
      table: 'jobs',
      column: 'payload',
      ids: (s) => [...s.eventIds, ...s.leadIds],
    }),
  );
  holders.register(
    columnHolder({ name: 'events.domain', table: 'domain_events', column: 'subject', match: 'lead' }),
  );
  // Chat, scoring, council.
  holders.register(
    columnHolder({
      name: 'chat.sessions',
      table: 'chat_sessions',
      column: 'lead_id',
      match: 'lead',
      alsoEventColumn: 'event_id',
    }),
  );
  holders.register(
    columnHolder({ name: 'scoring.outcomes', table: 'lead_outcomes', column: 'lead_id', match: 'lead' }),
  );
  holders.register(
    columnHolder({ name: 'scoring.scores', table: 'lead_scores', column: 'lead_id', match: 'lead' }),
  );
  holders.register(
    columnHolder({ name: 'council.decisions', table: 'council_decisions', column: 'lead_id', match: 'lead' }),
  );
  // Privacy's own: the ledger (the request row stays as the minimal proof), pending signals, keys.
  holders.register(
    columnHolder({ name: 'privacy.consents', table: 'consent_events', column: 'lead_id', match: 'lead' }),
  );
  holders.register(
    columnHolder({ name: 'privacy.signals', table: 'privacy_signals', column: 'event_id', match: 'event' }),
  );
  holders.register(
    columnHolder({
      name: 'privacy.subject_keys',
      table: 'privacy_subject_keys',
      column: 'subject',
      match: 'lead',
    }),
  );
  holders.register({
    name: 'compliance.audit',
    tables: ['audit_log'],
    action: 'keep_references',
    async export(scope) {
      if (scope.leadIds.length === 0) return [];
      return scope.db
        .selectFrom('audit_log')
        .select(['seq', 'at', 'actor_type', 'action', 'subject', 'reason', 'data'])
        .where('workspace_id', '=', scope.ctx.workspaceId)
        .where('subject', 'in', [...scope.leadIds])
        .orderBy('seq')
        .execute();
    },
    // References and figures only; personal data in it is sealed with the subject's key, shredded above.
    erase: async () => 0,
  });
  holders.register({
    name: 'privacy.requests',
    tables: ['privacy_requests'],
    action: 'keep_references',
    async export(scope) {
      if (scope.leadIds.length === 0) return [];
      const rows = await scope.db
        .selectFrom('privacy_requests')
        .select([
          'id',
          'type',
          'jurisdiction',
          'status',
          'origin',
          'lead_ids',
          'received_at',
          'due_at',
          'completed_at',
        ])
        .where('workspace_id', '=', scope.ctx.workspaceId)
        .execute();
      return rows.filter((r) => fromJson<string[]>(r.lead_ids, []).some((id) => scope.leadIds.includes(id)));
    },
    // The request row is the proof the erasure happened; its sealed subject is cleared on completion.
    erase: async () => 0,
  });

  // Hardening: a chat visitor's claim to be an existing lead links two leads by id only.
  holders.register(
    columnHolder({
      name: 'leads.identity_claims',
      table: 'identity_claims',
      column: 'lead_id',
      match: 'lead',
    }),
  );
  holders.register(
    columnHolder({
      name: 'leads.identity_claims.claimed',
      table: 'identity_claims',
      column: 'claimed_lead_id',
      match: 'lead',
    }),
  );
  // Workflows: a run and its steps' inputs and outputs (e-mails sent, HTTP answers) belong to its
  // lead; a run started by an inbound hook or a schedule may have no lead and name the person only
  // in its stored input. Steps are keyed by run, so they go first: deleting the runs first would
  // leave their steps unreachable (and their outputs behind).
  const runHolder = (name: string, table: 'workflow_steps' | 'workflow_runs', runColumn: 'run_id' | 'id') =>
    holders.register({
      name,
      tables: [table],
      action: 'delete',
      async export(scope) {
        const runIds = await subjectRunIds(scope);
        if (runIds.length === 0) return [];
        return scope.db
          .selectFrom(table)
          .selectAll()
          .where('workspace_id', '=', scope.ctx.workspaceId)
          .where(runColumn, 'in', runIds)
          .execute();
      },
      async erase(scope) {
        const runIds = await subjectRunIds(scope);
        if (runIds.length === 0) return 0;
        const result = await scope.db
          .deleteFrom(table)
          .where('workspace_id', '=', scope.ctx.workspaceId)
          .where(runColumn, 'in', runIds)
          .executeTakeFirst();
        return Number(result.numDeletedRows ?? 0);
      },
    });
  runHolder('workflows.steps', 'workflow_steps', 'run_id');
  runHolder('workflows.runs', 'workflow_runs', 'id');
  for (const [table, why] of Object.entries(NO_PERSONAL_DATA)) holders.declareClean(table, why);
}

/** Whether the conversation that produced an event ran with Global Privacy Control on. */
export function chatEventGpc(chats: ChatStore) {
  void chats;
  return async (db: Db, ctx: WorkspaceContext, eventId: string): Promise<boolean> => {
    const row = await workspaceRow(db, 'chat_sessions', ctx.workspaceId, { event_id: eventId }, ['state']);
    if (!row) return false;
    const state = fromJson<{ context?: { gpc?: boolean }; consent?: { gpc?: boolean } | null }>(
      row.state,
      {},
    );
    return state.context?.gpc === true || state.consent?.gpc === true;
  };
}

/** Deletes up to `limit` of a workspace's rows of `table` whose `column` is older than `olderThan`. */
async function sweepRows(
  db: Db,
  ctx: { workspaceId: string },
  table: 'chat_sessions' | 'council_decisions',
  column: 'updated_at' | 'created_at',
  olderThan: number,
  limit: number,
): Promise<number> {
  const rows = await db
    .selectFrom(table)
    .select('id')
    .where('workspace_id', '=', ctx.workspaceId)
    .where(column, '<', olderThan)
    .limit(limit)
    .execute();
  if (rows.length === 0) return 0;
  await db
    .deleteFrom(table)
    .where('workspace_id', '=', ctx.workspaceId)
    .where(
      'id',
      'in',
      rows.map((r) => r.id),
    )
    .execute();
  return rows.length;
}

export const retentionTargets: RetentionTargets = {
  async unconvertedLeads(db, ctx, olderThan, limit) {
    const rows = await db
      .selectFrom('leads')
      .select('id')
      .where('workspace_id', '=', ctx.workspaceId)
      .where('updated_at', '<', olderThan)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('lead_outcomes')
              .select('lead_id')
              .whereRef('lead_outcomes.lead_id', '=', 'leads.id')
              .where('lead_outcomes.workspace_id', '=', ctx.workspaceId)
              .where('lead_outcomes.converted', '=', 1),
          ),
        ),
      )
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  },
  // Whole sessions go: the lead keeps the answers the pipeline took from them (chat_* attributes).
  transcripts: {
    sweep: (db, ctx, olderThan, limit) => sweepRows(db, ctx, 'chat_sessions', 'updated_at', olderThan, limit),
  },
  rawPayloads: {
    async sweep(db, ctx, olderThan, limit) {
      const events = await db
        .selectFrom('events')
        .select('id')
        .where('workspace_id', '=', ctx.workspaceId)
        .where('created_at', '<', olderThan)
        .where('status', '!=', 'accepted')
        .where('payload', '!=', '{}')
        .limit(limit)
        .execute();
      if (events.length > 0)
        await db
          .updateTable('events')
          .set({ payload: '{}', error: null })
          .where('workspace_id', '=', ctx.workspaceId)
          .where(
            'id',
            'in',
            events.map((e) => e.id),
          )
          .execute();
      const keys = await db
        .deleteFrom('idempotency_keys')
        .where('workspace_id', '=', ctx.workspaceId)
        .where('created_at', '<', olderThan)
        .executeTakeFirst();
      return events.length + Number(keys.numDeletedRows);
    },
  },
  decisions: {
    sweep: (db, ctx, olderThan, limit) =>
      sweepRows(db, ctx, 'council_decisions', 'created_at', olderThan, limit),
  },
  workflowRuns: {
    // Only finished runs: a running or waiting run still needs its memoised steps to resume.
    async sweep(db, ctx, olderThan, limit) {
      const rows = await db
        .selectFrom('workflow_runs')
        .select('id')
        .where('workspace_id', '=', ctx.workspaceId)
        .where('status', 'in', ['completed', 'failed', 'cancelled'])
        .where((eb) => eb(eb.fn.coalesce('finished_at', 'updated_at'), '<', olderThan))
        .limit(limit)
        .execute();
      if (rows.length === 0) return 0;
      await deleteRuns(
        db,
        ctx,
        rows.map((r) => r.id),
      );
      return rows.length;
    },
  },
};

/**
 * The subject's workflow runs: those of their leads, and lead-less runs (inbound hooks, schedules)
 * whose stored input names their e-mail or phone, matched as pending submissions are.
 */
async function subjectRunIds(scope: SubjectScope): Promise<string[]> {
  const ids = new Set<string>();
  if (scope.leadIds.length > 0) {
    const rows = await scope.db
      .selectFrom('workflow_runs')
      .select('id')
      .where('workspace_id', '=', scope.ctx.workspaceId)
      .where('lead_id', 'in', [...scope.leadIds])
      .execute();
    for (const row of rows) ids.add(row.id);
  }
  const contacts = [...scope.emails, ...scope.phones];
  // A retention batch brings hundreds of contacts: keep each OR chain under SQLite's depth limit.
  for (let i = 0; i < contacts.length; i += 200) {
    const part = contacts.slice(i, i + 200);
    const rows = await scope.db
      .selectFrom('workflow_runs')
      .select('id')
      .where('workspace_id', '=', scope.ctx.workspaceId)
      .where('lead_id', 'is', null)
      .where((eb) => eb.or(part.map((c) => eb(eb.fn('lower', ['input']), 'like', `%${c.toLowerCase()}%`))))
      .execute();
    for (const row of rows) ids.add(row.id);
  }
  return [...ids];
}

/** Deletes `runIds`' steps, then the runs (steps are keyed by run). */
async function deleteRuns(db: Db, ctx: WorkspaceContext, runIds: string[]): Promise<void> {
  await db
    .deleteFrom('workflow_steps')
    .where('workspace_id', '=', ctx.workspaceId)
    .where('run_id', 'in', runIds)
    .execute();
  await db
    .deleteFrom('workflow_runs')
    .where('workspace_id', '=', ctx.workspaceId)
    .where('id', 'in', runIds)
    .execute();
}

/**
 * After an erasure: the next model leaves the erased outcomes out, and its version says why; the
 * council's reuse cache drops every decision that mentions an erased lead.
 */
export function erasureHooks(queue: Queue, decisionCache: DecisionCache): ErasureHooks {
  return {
    async afterCommit(ctx, erased) {
      await decisionCache.forget(ctx.workspaceId, erased.leadIds);
    },
    async inTransaction(db, ctx, erased) {
      const outcomes = erased.counts['scoring.outcomes'] ?? 0;
      if (outcomes === 0) return;
      await queue.enqueue(db, [
        {
          name: 'scoring.retrain',
          workspaceId: ctx.workspaceId,
          payload: {
            trigger: `privacy erasure ${erased.requestId}: ${outcomes} outcome(s) of erased subjects excluded`,
          },
        },
      ]);
    },
  };
}

/** The inbox's consent filter (a port of the lead kernel), answered by the privacy ledger. */
export function leadConsentFilter(): ConsentFilterPort {
  const filter = createConsentLeadFilter();
  return {
    latest: (unit, workspaceId, purpose, action) => filter.latest(dbOf(unit), workspaceId, purpose, action),
    defaultAllowed: (purpose) => filter.defaultAllowed(purpose),
  };
}

/** Workflows' view of the ledger: the derived consent state, and a one-click unsubscribe recorded in it. */
export function workflowPrivacy(privacy: Privacy): WorkflowPrivacy {
  return {
    consentState: privacy.consentState,
    async record(db, ctx, leadId, entries) {
      await privacy.ledger.record(db, { workspaceId: ctx.workspaceId, organisationId: '' }, leadId, entries, {
        type: 'webhook',
        id: 'unsubscribe-link',
      });
    },
  };
}

/**
 * Scoring's training exclusions over the ledger: a lead that objected to profiling or restricted
 * processing does not train a model; erased people's outcomes are gone already, and the completed
 * erasures say how many there were.
 */
export function trainingExclusions(privacy: Pick<Privacy, 'ledger'>): TrainingExclusions {
  return {
    async excluded(db, workspaceId, leadIds) {
      const states = await privacy.ledger.states(db, { workspaceId, organisationId: '' }, leadIds);
      const left = new Map<string, string>();
      for (const [leadId, state] of states) {
        if (state.restricted) left.set(leadId, 'processing restricted');
        else if (!state.profilingAllowed) left.set(leadId, 'profiling withdrawn');
      }
      return left;
    },
    async removed(db, workspaceId) {
      const rows = await db
        .selectFrom('privacy_requests')
        .select('result')
        .where('workspace_id', '=', workspaceId)
        .where('type', '=', 'erasure')
        .where('status', '=', 'completed')
        .execute();
      let erased = 0;
      for (const row of rows)
        erased +=
          fromJson<{ removed?: Record<string, number> }>(row.result, {}).removed?.['scoring.outcomes'] ?? 0;
      return { erased };
    },
  };
}
