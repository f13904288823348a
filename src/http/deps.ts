import type { Logger } from 'pino';
import type { AnalyticsService, FunnelService } from '../analytics/index.ts';
import type { ChatService, KnowledgeLibrary } from '../chat/index.ts';
import type { AuditLog } from '../compliance/index.ts';
import type { Clock, Result, SecretBox } from '../core/index.ts';
import type { CouncilService } from '../council/index.ts';
import type { DomainEventLog } from '../events/index.ts';
import type { IngestService } from '../ingest/index.ts';
import type { IdentityClaims, LeadReader } from '../leads/index.ts';
import type { LiveOptimiser } from '../optimiser/index.ts';
import type { Privacy } from '../privacy/index.ts';
import type { Queue } from '../queue/index.ts';
import type { PredictiveScoring, RulesRepository } from '../scoring/index.ts';
import type { Db } from '../store/index.ts';
import type { Metrics } from '../telemetry/index.ts';
import type { TenantsService } from '../tenants/index.ts';
import type { UsersService } from '../users/index.ts';
import type {
  CredentialStore,
  GeneratedWorkflow,
  GenerateRequest,
  GenerationRefusal,
  SettingsStore,
  TemplateStore,
  WorkflowService,
} from '../workflows/index.ts';
import type { RateLimiter } from './rate-limiter.ts';

/** What the workflow routes use; built in `src/main/workflow-wiring.ts`. */
export interface WorkflowHttp {
  service: WorkflowService;
  /** Runs `fn` in one transaction of the caller's workspace (a change commits with its audit entry). */
  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /** Runs reads of the caller's workspace. */
  read<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  settings: SettingsStore;
  credentials: CredentialStore;
  templates: TemplateStore;
  verifyUnsubscribe(workspaceId: string, leadId: string, token: string): boolean;
  unsubscribe(workspaceId: string, leadId: string): Promise<void>;
  /**
   * An inbound call to a workflow's own endpoint, verified before anything else; `admit` (the
   * workspace's rate limit) is charged only once the signature verified; durable before it returns.
   */
  receiveHook(
    workspaceId: string,
    path: string,
    headers: { id: string | undefined; timestamp: string | undefined; signature: string | undefined },
    rawBody: string,
    admit: () => Promise<void>,
  ): Promise<{ runId: string; replayed: boolean }>;
  /** A workflow's inbound endpoints: path, URL and signing secret. */
  hooksOf(
    workspaceId: string,
    workflowId: string,
  ): Promise<{ path: string; workflowId: string; url: string; secret: string }[]>;
  /** A draft workflow from a goal (the configured model, or the offline play library). */
  generate(
    workspaceId: string,
    request: GenerateRequest,
    signal: AbortSignal,
  ): Promise<Result<GeneratedWorkflow, GenerationRefusal>>;
}

/** A reply to workflow e-mail, as an inbound-parse webhook delivers it (only the ids are kept). */
export interface InboundReply {
  inReplyTo?: string | undefined;
  references?: string | undefined;
}

export interface MeetingBooking {
  leadId: string;
  /** Epoch milliseconds. */
  startsAt: number;
  workflowId?: string | undefined;
  /** The calendar's id of the booking: a redelivery with the same id counts once. */
  externalId?: string | undefined;
}

/** What a Calendly delivery did: recorded (or replayed), or nothing, with why. */
export interface CalendlyAnswer {
  event: 'invitee.created' | 'invitee.canceled';
  /** The invitee's URI: the booking's id, on which deliveries are idempotent. */
  invitee: string;
  leadId: string | null;
  workflowId: string | null;
  recorded: boolean;
  replayed: boolean;
  note: string;
}

/** Replies to workflow e-mail and meetings booked (built in `src/main/engagements.ts`). */
export interface Engagements {
  /** Matches the reply to the sent message; `not_found` when none of this workspace matches. */
  recordReply(
    workspaceId: string,
    reply: InboundReply,
  ): Promise<{
    runId: string;
    stepKey: string;
    workflowId: string;
    leadId: string | null;
    replayed: boolean;
  }>;
  recordMeeting(
    workspaceId: string,
    meeting: MeetingBooking,
  ): Promise<{ leadId: string; workflowId: string | null; replayed: boolean }>;
  /**
   * A Calendly webhook delivery: the signature is verified (`signature_invalid` otherwise) before
   * `admit` charges the workspace's rate limit and anything else is read.
   */
  recordCalendly(
    workspaceId: string,
    delivery: { signature: string | undefined; rawBody: string },
    admit: () => Promise<void>,
  ): Promise<CalendlyAnswer>;
}

export type LifecycleState = 'starting' | 'ready' | 'draining';

/** What the HTTP layer needs; built by the composition root. */
export interface HttpDeps {
  /** Readiness: resolves when the database answers. */
  ping(): Promise<void>;
  tenants: TenantsService;
  /** Console accounts and sessions (the second way in, beside API keys). */
  users: UsersService;
  leads: LeadReader;
  ingest: IngestService;
  audit: AuditLog;
  events: DomainEventLog;
  rules: RulesRepository;
  predictive: PredictiveScoring;
  chat: ChatService;
  /** Each workspace's content the chat bot answers from (`PUT /v1/chat/knowledge`). */
  chatKnowledge: KnowledgeLibrary;
  council: CouncilService;
  privacy: Privacy;
  analytics: AnalyticsService;
  /** The lead funnel over a window, per workspace or per business unit. */
  funnel: FunnelService;
  /** Chat visitors' unverified claims to be existing leads. */
  claims: IdentityClaims;
  queue: Queue;
  metrics: Metrics;
  clock: Clock;
  logger: Logger;
  rateLimiter: RateLimiter;
  /** Seals values the HTTP layer hands out and takes back (event stream cursors). */
  secretBox: SecretBox;
  /** Bearer token `/metrics` asks for; without one, `/metrics` is not served. */
  metricsToken?: string | undefined;
  lifecycle: { state(): LifecycleState };
  version: string;
  /** The demo workspace shown on `/demo` (first run with embedded storage), if any. */
  demo?: { workspaceId: string; widgetKey: string } | null;
  /** Workflows (absent in processes that do not serve them). */
  workflows?: WorkflowHttp;
  /** Body size limit in bytes; 256 KiB by default. */
  bodyLimit?: number;
  /** Milliseconds between database polls of an SSE stream (other processes' events). */
  ssePollMs?: number;
  /** The live optimiser: alerts, adjustments, policy, guarantee report. */
  optimiser?: LiveOptimiser;
  /** Replies and meetings (absent: their routes answer 404). */
  engagements?: Engagements;
}
