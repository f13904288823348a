import { type ChatStore, type StoredSession, summarizeSession } from '../../chat/index.ts';
import { type Clock, inWorkspace, readingDirectory, type WorkspaceContext } from '../../core/index.ts';
import {
  type ConversationSlots,
  type ConversationSnapshot,
  type CouncilTools,
  conversationSnapshotSchema,
  type LeadSnapshot,
  type ScoreSnapshot,
  type ToolScope,
} from '../../council/index.ts';
import { findLead, type Lead, leadConsents, leadHistory } from '../../leads/index.ts';
import type { ConsentState, ConsentStateReader } from '../../privacy/index.ts';
import type { RulesRepository } from '../../scoring/index.ts';
import type { Db, Store } from '../../store/index.ts';
import { consentNames } from '../consent-view.ts';
import { learnedConversions } from './db-learned.ts';
import { performanceMetrics, segmentCounts } from './db-metrics.ts';
import { workflowSummaries } from './db-workflows.ts';

/**
 * The council's read-only tools over the database. Every method reads only rows of
 * `scope.workspaceId` (the repositories take the workspace context; the aggregates filter on it),
 * never writes, and returns values within the port's schemas (long text is cut, not refused).
 */
export interface DbCouncilToolsOptions {
  store: Store;
  chats: ChatStore;
  rules: RulesRepository;
  clock: Clock;
  /**
   * The privacy ledger's derived consent, read once per decision (a withdrawal counts from the next
   * decision on). Absent, the lead's older consent records are read and nothing is withheld.
   */
  consentState?: ConsentStateReader;
}

/** How long segment and funnel aggregates are reused. */
const AGGREGATE_TTL_MS = 60_000;

const cut = (value: string | null, max: number): string | null =>
  value === null ? null : value.slice(0, max);

function employeesOf(value: unknown): number | null {
  const n = typeof value === 'string' && /^\d{1,9}$/.test(value.trim()) ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.floor(n) : null;
}

function snapshotOf(lead: Lead, consentPurposes: string[], consentWithdrawn: string[] = []): LeadSnapshot {
  const attributes: LeadSnapshot['attributes'] = {};
  const put = (key: string, value: string | number | boolean | null) => {
    if (key.length > 200 || Object.keys(attributes).length >= 200) return;
    attributes[key] = typeof value === 'string' ? value.slice(0, 2000) : value;
  };
  for (const [key, value] of Object.entries(lead.attributes)) put(key, value);
  for (const [key, value] of Object.entries(lead.utm)) put(`utm.${key}`, value);
  const industry = lead.attributes.industry;
  return {
    id: lead.id,
    workspaceId: lead.workspaceId,
    contactName: cut(lead.name, 500),
    company: cut(lead.company, 500),
    companyDomain: cut(lead.companyDomain, 255),
    title: cut(lead.title, 500),
    country: cut(lead.country, 100),
    source: cut(lead.source, 200),
    industry: typeof industry === 'string' ? industry.slice(0, 200) : null,
    employees: employeesOf(lead.attributes.employees),
    consentPurposes: [...new Set(consentPurposes)].map((p) => p.slice(0, 100)).slice(0, 50),
    consentWithdrawn: [...new Set(consentWithdrawn)].map((p) => p.slice(0, 100)).slice(0, 50),
    attributes,
    status: lead.status,
    createdAt: new Date(lead.createdAt).toISOString(),
  };
}

const slotSchemas = conversationSnapshotSchema.shape.slots.shape;

/**
 * The chat's slots under the names the council reads, by question type (money → budget, timeline,
 * role → authority, company size) and, for the need, the playbook's `need` cue; values that do not
 * fit the port's schema are left out.
 */
function councilSlots(session: StoredSession, values: Record<string, unknown>): ConversationSlots {
  const slots: Record<string, unknown> = {};
  const take = (name: keyof ConversationSlots, value: unknown) => {
    if (slots[name] !== undefined || value === undefined) return;
    const parsed = slotSchemas[name].safeParse(typeof value === 'string' ? value.slice(0, 2000) : value);
    if (parsed.success) slots[name] = parsed.data;
  };
  for (const question of session.state.playbook.questions) {
    const value = values[question.slot];
    switch (question.type) {
      case 'money':
        take('budget', value);
        break;
      case 'timeline':
        take('timeline', value);
        break;
      case 'role':
        take('authority', value);
        break;
      case 'company_size':
        take('companySize', value);
        break;
      case 'text':
        if (question.cue === 'need') take('need', value);
        break;
      default:
        break;
    }
  }
  return slots as ConversationSlots;
}

/** Creates the database implementation of the council's tools port. */
export function createDbCouncilTools(options: DbCouncilToolsOptions): CouncilTools {
  const { store, chats, rules, clock } = options;
  const db: Db = store.db;
  // The gateway makes one scope object per decision, and its tools ask for the same lead and the
  // same consent state several times (getLead, getConversation, getScore, by each agent): each is
  // read once per decision, a snapshot the whole decision shares.
  const decisionReads = new WeakMap<ToolScope, Map<string, Promise<unknown>>>();
  function once<T>(scope: ToolScope, key: string, read: () => Promise<T>): Promise<T> {
    let reads = decisionReads.get(scope);
    if (!reads) {
      reads = new Map();
      decisionReads.set(scope, reads);
    }
    const known = reads.get(key) as Promise<T> | undefined;
    if (known) return known;
    const pending = read();
    reads.set(key, pending);
    pending.catch(() => reads.delete(key));
    return pending;
  }
  const reader = options.consentState;
  const consentOf = (
    scope: ToolScope,
    ctx: WorkspaceContext,
    leadId: string,
  ): Promise<ConsentState | null> =>
    reader ? once(scope, `consent:${leadId}`, () => reader(db, ctx, leadId)) : Promise.resolve(null);
  const leadOf = (scope: ToolScope, ctx: WorkspaceContext, leadId: string) =>
    once(scope, `lead:${leadId}`, () => findLead(db, ctx, leadId));

  // A workspace never changes organisation; the repositories want the full context.
  const organisations = new Map<string, string>();
  async function contextOf(scope: ToolScope): Promise<WorkspaceContext> {
    scope.signal?.throwIfAborted();
    let organisationId = organisations.get(scope.workspaceId);
    if (organisationId === undefined) {
      const row = await readingDirectory(() =>
        db
          .selectFrom('workspaces')
          .select('organisation_id')
          .where('id', '=', scope.workspaceId)
          .executeTakeFirst(),
      );
      organisationId = row?.organisation_id ?? '';
      if (organisations.size > 10_000) organisations.clear();
      if (row) organisations.set(scope.workspaceId, organisationId);
    }
    return { workspaceId: scope.workspaceId, organisationId };
  }

  // Aggregates scan up to a window of leads; many decisions in a minute (a burst of qualified leads)
  // share one scan. A minute-old count changes no rule's answer that a fresh one would not.
  const aggregates = new Map<string, { until: number; value: Promise<unknown> }>();
  function cached<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const now = clock.now();
    const hit = aggregates.get(key);
    if (hit && hit.until > now) return hit.value as Promise<T>;
    if (aggregates.size > 1_000) aggregates.clear();
    const value = compute();
    aggregates.set(key, { until: now + AGGREGATE_TTL_MS, value });
    value.catch(() => aggregates.delete(key));
    return value;
  }

  async function latestSession(ctx: WorkspaceContext, leadId: string): Promise<StoredSession | null> {
    const sessions = await chats.sessionsOfLead(db, ctx, leadId);
    return sessions.filter((s) => s.state.phase === 'ended').at(-1) ?? sessions.at(-1) ?? null;
  }

  const tools: CouncilTools = {
    async getLead(scope, args) {
      const ctx = await contextOf(scope);
      const lead = await leadOf(scope, ctx, args.leadId);
      if (!lead) return null;
      const state = await consentOf(scope, ctx, lead.id);
      if (!state) {
        const consents = await leadConsents(db, ctx, lead.id);
        return snapshotOf(
          lead,
          consents.flatMap((c) => c.purposes),
        );
      }
      const { granted, withdrawn } = consentNames(state);
      const snapshot = snapshotOf(lead, granted, withdrawn);
      // Profiling withdrawn (an objection) or processing restricted: nothing to evaluate the person
      // on beyond where they are (for the law that applies) and how they came.
      return state.profilingAllowed
        ? snapshot
        : { ...snapshot, title: null, industry: null, employees: null, attributes: {} };
    },
    async getLeadHistory(scope, args) {
      const ctx = await contextOf(scope);
      const history = await leadHistory(db, ctx, args.leadId);
      return history.slice(-args.limit).map((entry) => ({
        at: new Date(entry.at).toISOString(),
        action: entry.action.slice(0, 100),
        fields: Object.keys(entry.changes)
          .map((field) => field.slice(0, 200))
          .slice(0, 100),
      }));
    },
    async getConversation(scope, args): Promise<ConversationSnapshot | null> {
      const ctx = await contextOf(scope);
      if ((await consentOf(scope, ctx, args.leadId))?.profilingAllowed === false) return null;
      const session = await latestSession(ctx, args.leadId);
      if (!session) return null;
      const summary = summarizeSession(session.state, clock.now());
      return {
        sessionId: summary.sessionId.slice(0, 100),
        playbookId: summary.playbook.id.slice(0, 100),
        language: summary.language,
        outcome: summary.outcome,
        handoffRequested: summary.handoffRequested,
        slots: councilSlots(session, summary.slots),
        transcript: summary.transcript.slice(-500).map((entry) => ({
          role: entry.role,
          text: entry.text.slice(0, 5000),
        })),
        endedAt: summary.endedAt,
      };
    },
    async getScore(scope, args): Promise<ScoreSnapshot | null> {
      const ctx = await contextOf(scope);
      if ((await consentOf(scope, ctx, args.leadId))?.profilingAllowed === false) return null;
      const lead = await leadOf(scope, ctx, args.leadId);
      if (!lead) return null;
      const ruleSet = await rules.get(db, ctx);
      const clamp = (n: number) => Math.min(100, Math.max(0, n));
      return {
        score: clamp(lead.score),
        // Point rules and the predictive line give no interval; the council then treats the score as certain.
        band: null,
        threshold: clamp(ruleSet.threshold),
        model: lead.scoreBreakdown.some((line) => line.ruleId.startsWith('model-v')) ? 'predictive' : 'rules',
        factors: lead.scoreBreakdown
          .map((line) => ({ label: line.description.slice(0, 300), points: line.points }))
          .slice(0, 100),
      };
    },
    async getSegmentStats(scope, args) {
      const ctx = await contextOf(scope);
      return cached(`${ctx.workspaceId}|segment|${JSON.stringify(args)}`, () =>
        segmentCounts(db, ctx.workspaceId, args, clock.now()),
      );
    },
    async getPerformanceMetrics(scope, args) {
      const ctx = await contextOf(scope);
      const ruleSet = await rules.get(db, ctx);
      const query = { windowDays: args.windowDays, threshold: ruleSet.threshold };
      return cached(`${ctx.workspaceId}|metrics|${JSON.stringify(query)}`, async () => ({
        ...(await performanceMetrics(db, ctx.workspaceId, query, clock.now())),
        learned: await learnedConversions(db, ctx.workspaceId, clock.now()),
      }));
    },
    async listWorkflows(scope) {
      const ctx = await contextOf(scope);
      return workflowSummaries(db, ctx.workspaceId);
    },
  };
  // Each call reads in the asking workspace's data scope: on PostgreSQL row-level security then
  // holds even if a query here forgot its workspace condition.
  return Object.fromEntries(
    Object.entries(tools).map(([name, fn]) => [
      name,
      (scope: ToolScope, args: unknown) =>
        inWorkspace(scope.workspaceId, () =>
          (fn as (s: ToolScope, a: unknown) => Promise<unknown>)(scope, args),
        ),
    ]),
  ) as unknown as CouncilTools;
}
