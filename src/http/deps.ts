import type { Logger } from 'pino';
import type { ChatService, ChatStore } from '../chat/index.ts';
import type { AuditLog } from '../compliance/index.ts';
import type { Clock, Result } from '../core/index.ts';
import type { CouncilService } from '../council/index.ts';
import type { DomainEventLog } from '../events/index.ts';
import type { IngestService } from '../ingest/index.ts';
import type { Queue } from '../queue/index.ts';
import type { PredictiveScoring, RulesRepository } from '../scoring/index.ts';
import type { Store } from '../store/index.ts';
import type { Metrics } from '../telemetry/index.ts';
import type { TenantsService } from '../tenants/index.ts';
import type {
  CredentialStore,
  GeneratedWorkflow,
  GenerateRequest,
  GenerationRefusal,
  SettingsStore,
  WorkflowService,
} from '../workflows/index.ts';
import type { RateLimiter } from './rate-limiter.ts';

/** What the workflow routes use; built in `src/main/workflow-wiring.ts`. */
export interface WorkflowHttp {
  service: WorkflowService;
  settings: SettingsStore;
  credentials: CredentialStore;
  verifyUnsubscribe(workspaceId: string, leadId: string, token: string): boolean;
  unsubscribe(workspaceId: string, leadId: string): Promise<void>;
  /** A draft workflow from a goal (the configured model, or the offline play library). */
  generate(
    workspaceId: string,
    request: GenerateRequest,
    signal: AbortSignal,
  ): Promise<Result<GeneratedWorkflow, GenerationRefusal>>;
}

export type LifecycleState = 'starting' | 'ready' | 'draining';

/** What the HTTP layer needs; built by the composition root. */
export interface HttpDeps {
  store: Store;
  tenants: TenantsService;
  ingest: IngestService;
  audit: AuditLog;
  events: DomainEventLog;
  rules: RulesRepository;
  predictive: PredictiveScoring;
  chat: ChatService;
  chats: ChatStore;
  council: CouncilService;
  queue: Queue;
  metrics: Metrics;
  clock: Clock;
  logger: Logger;
  rateLimiter: RateLimiter;
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
}
