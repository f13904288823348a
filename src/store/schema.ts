/*
 * Table shapes shared by SQLite and PostgreSQL. Portable choices, so both dialects return the
 * same JavaScript values: times are epoch milliseconds (bigint, parsed to number), JSON is text,
 * booleans are 0/1 integers. Every tenant table carries `workspace_id`. Each area's table shapes
 * live in `tables/<area>.ts`; `Database` joins them, and the lists below say how each is guarded.
 */

import type { MetricCursorsTable, MetricRollupsTable } from './tables/analytics.ts';
import type { ChatKnowledgeTable, ChatSessionsTable, PlaybooksTable } from './tables/chat.ts';
import type { CouncilAgentsTable, CouncilDecisionsTable, CouncilRouterStatsTable } from './tables/council.ts';
import type {
  OptimiserAdjustmentsTable,
  OptimiserAlertsTable,
  OptimiserPoliciesTable,
  OptimiserStateTable,
  QuestionOrdersTable,
  SchedulesTable,
  SourceHoldsTable,
  SplitWeightsTable,
} from './tables/optimiser.ts';
import type {
  ApiKeysTable,
  AuditHeadsTable,
  AuditLogTable,
  ConsentRecordsTable,
  DomainEventsTable,
  IdempotencyKeysTable,
  IdentityClaimsTable,
  JobsTable,
  LeadHistoryTable,
  LeadsTable,
  OrganisationsTable,
  ScoringRulesTable,
  SubmissionsTable,
  WebhookSecretsTable,
  WidgetKeysTable,
  WorkspacesTable,
} from './tables/platform.ts';
import type {
  ConsentEventsTable,
  PrivacyRequestsTable,
  PrivacyRetentionTable,
  PrivacySignalsTable,
  PrivacySubjectKeysTable,
  PrivacySuppressionsTable,
} from './tables/privacy.ts';
import type {
  LeadOutcomesTable,
  LeadScoresTable,
  ScoringModelsTable,
  ScoringStateTable,
} from './tables/scoring.ts';
import type {
  UserInvitationsTable,
  UserMembershipsTable,
  UserSessionsTable,
  UsersTable,
} from './tables/users.ts';
import type {
  MessageTemplatesTable,
  MessageTemplateVersionsTable,
  WorkflowCredentialsTable,
  WorkflowHooksTable,
  WorkflowRunsTable,
  WorkflowSchedulesTable,
  WorkflowSettingsTable,
  WorkflowStepsTable,
  WorkflowsTable,
  WorkflowVersionsTable,
} from './tables/workflows.ts';

export interface Database {
  organisations: OrganisationsTable;
  workspaces: WorkspacesTable;
  api_keys: ApiKeysTable;
  webhook_secrets: WebhookSecretsTable;
  events: SubmissionsTable;
  idempotency_keys: IdempotencyKeysTable;
  jobs: JobsTable;
  leads: LeadsTable;
  lead_history: LeadHistoryTable;
  consent_records: ConsentRecordsTable;
  scoring_rules: ScoringRulesTable;
  domain_events: DomainEventsTable;
  audit_heads: AuditHeadsTable;
  audit_log: AuditLogTable;
  widget_keys: WidgetKeysTable;
  chat_sessions: ChatSessionsTable;
  playbooks: PlaybooksTable;
  lead_outcomes: LeadOutcomesTable;
  scoring_models: ScoringModelsTable;
  lead_scores: LeadScoresTable;
  scoring_state: ScoringStateTable;
  council_decisions: CouncilDecisionsTable;
  council_agents: CouncilAgentsTable;
  council_router_stats: CouncilRouterStatsTable;
  consent_events: ConsentEventsTable;
  privacy_requests: PrivacyRequestsTable;
  privacy_subject_keys: PrivacySubjectKeysTable;
  privacy_suppressions: PrivacySuppressionsTable;
  privacy_retention: PrivacyRetentionTable;
  privacy_signals: PrivacySignalsTable;
  metric_rollups: MetricRollupsTable;
  metric_cursors: MetricCursorsTable;
  users: UsersTable;
  user_memberships: UserMembershipsTable;
  user_sessions: UserSessionsTable;
  user_invitations: UserInvitationsTable;
  identity_claims: IdentityClaimsTable;
  workflows: WorkflowsTable;
  workflow_versions: WorkflowVersionsTable;
  workflow_runs: WorkflowRunsTable;
  workflow_steps: WorkflowStepsTable;
  workflow_credentials: WorkflowCredentialsTable;
  workflow_settings: WorkflowSettingsTable;
  workflow_schedules: WorkflowSchedulesTable;
  workflow_hooks: WorkflowHooksTable;
  message_templates: MessageTemplatesTable;
  message_template_versions: MessageTemplateVersionsTable;
  schedules: SchedulesTable;
  optimiser_state: OptimiserStateTable;
  optimiser_alerts: OptimiserAlertsTable;
  optimiser_adjustments: OptimiserAdjustmentsTable;
  optimiser_policies: OptimiserPoliciesTable;
  source_holds: SourceHoldsTable;
  split_weights: SplitWeightsTable;
  question_orders: QuestionOrdersTable;
  chat_knowledge: ChatKnowledgeTable;
}

/**
 * Tables holding one workspace's data. On PostgreSQL each has row-level security (migration 005);
 * the row-level security test checks every table of the schema is here or in `DIRECTORY_TABLES`.
 */
export const TENANT_TABLES = [
  'webhook_secrets',
  'events',
  'idempotency_keys',
  'jobs',
  'leads',
  'lead_history',
  'consent_records',
  'scoring_rules',
  'domain_events',
  'audit_heads',
  'audit_log',
  'chat_sessions',
  'playbooks',
  'lead_outcomes',
  'scoring_models',
  'lead_scores',
  'scoring_state',
  'council_decisions',
  'council_agents',
  'council_router_stats',
  'consent_events',
  'privacy_requests',
  'privacy_subject_keys',
  'privacy_suppressions',
  'privacy_retention',
  'privacy_signals',
  'metric_rollups',
  'metric_cursors',
  'identity_claims',
  'workflows',
  'workflow_versions',
  'workflow_runs',
  'workflow_steps',
  'workflow_credentials',
  'workflow_settings',
  'workflow_schedules',
  'workflow_hooks',
  'message_templates',
  'message_template_versions',
  'schedules',
  'optimiser_state',
  'optimiser_alerts',
  'optimiser_adjustments',
  'optimiser_policies',
  'source_holds',
  'split_weights',
  'chat_knowledge',
  'question_orders',
] as const satisfies readonly (keyof Database)[];

/**
 * Tables read before a workspace is known: they route a credential (API key hash, publishable
 * widget key, session cookie) or a URL to its workspace. They hold no lead data. On PostgreSQL the
 * key tables are reached only through definer functions (migration 012), `workspaces` and
 * `organisations` are readable with scoped writes (014), and the console's account tables have
 * row-level security with definer lookups by e-mail or token (016).
 */
export const DIRECTORY_TABLES = [
  'organisations',
  'workspaces',
  'api_keys',
  'widget_keys',
  'users',
  'user_memberships',
  'user_sessions',
  'user_invitations',
] as const satisfies readonly (keyof Database)[];

/**
 * PostgreSQL only, and only the owner's (and so the definer functions') to read: the data-scope
 * signing key (migration 013). The application's role has no privilege on them; the repositories
 * never touch them, so they are not in {@link Database}.
 */
export const OWNER_TABLES = ['scope_keys'] as const;
