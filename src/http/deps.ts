import type { Logger } from 'pino';
import type { AnalyticsService } from '../analytics/index.ts';
import type { ChatService } from '../chat/index.ts';
import type { AuditLog } from '../compliance/index.ts';
import type { Clock, SecretBox } from '../core/index.ts';
import type { CouncilService } from '../council/index.ts';
import type { DomainEventLog } from '../events/index.ts';
import type { IngestService } from '../ingest/index.ts';
import type { IdentityClaims, LeadReader } from '../leads/index.ts';
import type { Privacy } from '../privacy/index.ts';
import type { Queue } from '../queue/index.ts';
import type { PredictiveScoring, RulesRepository } from '../scoring/index.ts';
import type { Metrics } from '../telemetry/index.ts';
import type { TenantsService } from '../tenants/index.ts';
import type { UsersService } from '../users/index.ts';
import type { RateLimiter } from './rate-limiter.ts';

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
  council: CouncilService;
  privacy: Privacy;
  analytics: AnalyticsService;
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
  /** Body size limit in bytes; 256 KiB by default. */
  bodyLimit?: number;
  /** Milliseconds between database polls of an SSE stream (other processes' events). */
  ssePollMs?: number;
}
