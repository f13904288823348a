import type { Clock, WorkspaceContext } from '../core/index.ts';
import { LeadloopError } from '../core/index.ts';
import type { CouncilDecisionsTable, Db, Store } from '../store/index.ts';
import { fromJson, toJson, workspacePage, workspaceRow } from '../store/index.ts';
import { type AgentDirectory, mergeAgents } from './agent-catalog.ts';
import type { Agent } from './agent-schema.ts';
import { BUILT_IN_AGENTS } from './builtin-agents.ts';
import { type CouncilDecision, parseCouncilDecision } from './decision-record.ts';
import type { DecisionOverride, DecisionReview } from './review.ts';
import { parseRouterStats, type RouterStats, type RouterStatsStore } from './router-stats.ts';

/**
 * The council's storage: decisions with their human review, each workspace's agent overrides and
 * what the router learned. Every function names the workspace; a row of another workspace is
 * simply not found.
 */

/** The workspace a repository call is scoped to (the council's ports know only the workspace id). */
export type CouncilTenant = Pick<WorkspaceContext, 'workspaceId'>;

/** Where a decision stands in human review. */
export type DecisionStatus = 'proposed' | 'accepted' | 'rejected' | 'edited' | 'overridden';

/** An override as stored beside the decision (its audit record went to the audit log). */
export type StoredOverride = Omit<DecisionOverride, 'audit'>;

/** What asked the question. */
export type DecisionTrigger = 'api' | 'pipeline';

/** A stored decision: the council's record and its review. */
export interface StoredDecision {
  decision: CouncilDecision;
  leadId: string | null;
  trigger: DecisionTrigger;
  jobId: string | null;
  status: DecisionStatus;
  review: DecisionReview | null;
  overrides: StoredOverride[];
  requestedBy: string;
  createdAt: number;
  updatedAt: number;
}

type DecisionRow = Omit<CouncilDecisionsTable, 'question_type' | 'decision_class' | 'confidence'>;

function toStored(row: DecisionRow): StoredDecision {
  const decision = parseCouncilDecision(fromJson(row.record, null));
  // A record the current schema cannot read is a bug or a bad migration, not a missing row.
  if (!decision) throw new LeadloopError('internal', `stored council decision ${row.id} is not readable`);
  return {
    decision,
    leadId: row.lead_id,
    trigger: row.trigger as DecisionTrigger,
    jobId: row.job_id,
    status: row.status as DecisionStatus,
    review: fromJson<DecisionReview | null>(row.review, null),
    overrides: fromJson<StoredOverride[]>(row.overrides, []),
    requestedBy: row.requested_by,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** The lead a decision is about, when it is about one. */
export function leadOfDecision(decision: CouncilDecision): string | null {
  const q = decision.question;
  return q.type === 'lead.next_action' || q.type === 'lead.research' ? q.leadId : null;
}

/** Inserts a decision; `false` when the job already stored one (a job run twice). */
export async function insertDecision(
  db: Db,
  tenant: CouncilTenant,
  input: { decision: CouncilDecision; trigger: DecisionTrigger; jobId: string | null; requestedBy: string },
  now: number,
): Promise<boolean> {
  const { decision } = input;
  const result = await db
    .insertInto('council_decisions')
    .values({
      id: decision.id,
      workspace_id: tenant.workspaceId,
      question_type: decision.question.type,
      lead_id: leadOfDecision(decision),
      trigger: input.trigger,
      job_id: input.jobId,
      decision_class: decision.decisionClass,
      confidence: decision.confidence,
      status: 'proposed',
      record: toJson(decision),
      review: null,
      overrides: '[]',
      requested_by: input.requestedBy,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'job_id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** The decision a job stored, if it stored one. */
export async function decisionIdOfJob(db: Db, tenant: CouncilTenant, jobId: string): Promise<string | null> {
  const row = await workspaceRow(db, 'council_decisions', tenant.workspaceId, { job_id: jobId }, ['id']);
  return row?.id ?? null;
}

/** One decision; `lock` (PostgreSQL, inside a transaction) holds the row for a read-modify-write. */
export async function findDecision(
  db: Db,
  tenant: CouncilTenant,
  id: string,
  options: { lock?: boolean } = {},
): Promise<StoredDecision | null> {
  const row = await db
    .selectFrom('council_decisions')
    .selectAll()
    .where('workspace_id', '=', tenant.workspaceId)
    .where('id', '=', id)
    .$if(options.lock === true, (q) => q.forUpdate())
    .executeTakeFirst();
  return row ? toStored(row) : null;
}

/** Newest first; with `leadId`, only that lead's decisions. */
export async function listDecisions(
  db: Db,
  tenant: CouncilTenant,
  query: { leadId?: string | undefined; limit: number },
): Promise<StoredDecision[]> {
  const rows = await workspacePage(
    db,
    'council_decisions',
    tenant.workspaceId,
    { lead_id: query.leadId },
    { newest: 'created_at', limit: query.limit },
  );
  return rows.map(toStored);
}

/** Records a review or override on a decision. */
export async function updateDecisionReview(
  db: Db,
  tenant: CouncilTenant,
  id: string,
  change: { status: DecisionStatus; review?: DecisionReview; overrides?: StoredOverride[] },
  now: number,
): Promise<void> {
  await db
    .updateTable('council_decisions')
    .set({
      status: change.status,
      ...(change.review === undefined ? {} : { review: toJson(change.review) }),
      ...(change.overrides === undefined ? {} : { overrides: toJson(change.overrides) }),
      updated_at: now,
    })
    .where('workspace_id', '=', tenant.workspaceId)
    .where('id', '=', id)
    .execute();
}

/** The workspace's stored agent overrides and additions, in the order they were first stored. */
async function listAgentOverrides(db: Db, tenant: CouncilTenant): Promise<Record<string, unknown>[]> {
  const rows = await db
    .selectFrom('council_agents')
    .select('definition')
    .where('workspace_id', '=', tenant.workspaceId)
    .orderBy('created_at')
    .orderBy('agent_id')
    .execute();
  return rows.map((row) => fromJson<Record<string, unknown>>(row.definition, {}));
}

/** Stores (or replaces) one agent override; `true` when it is the workspace's first for this id. */
export async function putAgentOverride(
  db: Db,
  tenant: CouncilTenant,
  agentId: string,
  definition: Record<string, unknown>,
  now: number,
): Promise<boolean> {
  const existing = await workspaceRow(db, 'council_agents', tenant.workspaceId, { agent_id: agentId }, [
    'agent_id',
  ]);
  if (existing) {
    await db
      .updateTable('council_agents')
      .set({ definition: toJson(definition), updated_at: now })
      .where('workspace_id', '=', tenant.workspaceId)
      .where('agent_id', '=', agentId)
      .execute();
    return false;
  }
  await db
    .insertInto('council_agents')
    .values({
      workspace_id: tenant.workspaceId,
      agent_id: agentId,
      definition: toJson(definition),
      created_at: now,
      updated_at: now,
    })
    .execute();
  return true;
}

/**
 * Built-ins merged with the overrides. Overrides were validated when stored; one that no longer
 * validates (the agent schema changed since) is skipped rather than taking the council down.
 */
function mergeStoredAgents(overrides: readonly unknown[]): Agent[] {
  let agents: Agent[] = [...BUILT_IN_AGENTS];
  for (const override of overrides) {
    const merged = mergeAgents([override], agents);
    if (merged.ok) agents = merged.value;
  }
  return agents;
}

/** The council's agent directory over the database. */
export function createDbAgentDirectory(store: Store): AgentDirectory {
  return {
    async list(workspaceId) {
      return mergeStoredAgents(await listAgentOverrides(store.db, { workspaceId }));
    },
  };
}

export async function readRouterStats(db: Db, tenant: CouncilTenant): Promise<RouterStats> {
  const row = await workspaceRow(db, 'council_router_stats', tenant.workspaceId, {}, ['stats']);
  return parseRouterStats(fromJson(row?.stats, null));
}

/**
 * Read-modify-write of a workspace's stats inside the caller's transaction. The row is created
 * first and, on PostgreSQL, locked, so two concurrent updates serialise instead of losing one.
 */
export async function updateRouterStats(
  trx: Db,
  dialect: Store['dialect'],
  tenant: CouncilTenant,
  change: (stats: RouterStats) => RouterStats,
  now: number,
): Promise<RouterStats> {
  await trx
    .insertInto('council_router_stats')
    .values({ workspace_id: tenant.workspaceId, stats: toJson(parseRouterStats(null)), updated_at: now })
    .onConflict((oc) => oc.column('workspace_id').doNothing())
    .execute();
  const row = await trx
    .selectFrom('council_router_stats')
    .select('stats')
    .where('workspace_id', '=', tenant.workspaceId)
    .$if(dialect === 'postgres', (q) => q.forUpdate())
    .executeTakeFirstOrThrow();
  const next = change(parseRouterStats(fromJson(row.stats, null)));
  await trx
    .updateTable('council_router_stats')
    .set({ stats: toJson(next), updated_at: now })
    .where('workspace_id', '=', tenant.workspaceId)
    .execute();
  return next;
}

/** The router's stats store over the database (each update in its own transaction). */
export function createDbRouterStatsStore(store: Store, clock: Clock): RouterStatsStore {
  return {
    get: (workspaceId) => readRouterStats(store.db, { workspaceId }),
    update: (workspaceId, change) =>
      store.transaction((trx) => updateRouterStats(trx, store.dialect, { workspaceId }, change, clock.now())),
  };
}
