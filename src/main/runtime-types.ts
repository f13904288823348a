import type { Logger } from 'pino';
import type { AnalyticsService } from '../analytics/index.ts';
import type { ChatService, ChatStore, KnowledgeLibrary } from '../chat/index.ts';
import type { AuditLog } from '../compliance/index.ts';
import type { Config } from '../config/index.ts';
import type { Clock, IdGenerator } from '../core/index.ts';
import type { CouncilCost, CouncilService, DecisionCache } from '../council/index.ts';
import type { DomainEventLog } from '../events/index.ts';
import type { HttpApp, LifecycleState } from '../http/index.ts';
import type { IngestService, StoreElsewhere, SubmissionWriter } from '../ingest/index.ts';
import type { LeadPipeline, LeadReader, NormalisedLeads } from '../leads/index.ts';
import type { ModelClient } from '../models/index.ts';
import type { LiveOptimiser, SplitOptimiser } from '../optimiser/index.ts';
import type { Privacy } from '../privacy/index.ts';
import type { JobHandlers, JobOutcome, JobPool, Queue, Schedules } from '../queue/index.ts';
import type { PredictiveScoring, RulesRepository } from '../scoring/index.ts';
import type { Store, WriteTurns, WriteTurnsStats } from '../store/index.ts';
import type { Metrics } from '../telemetry/index.ts';
import type { TenantsService } from '../tenants/index.ts';
import type { UsersService } from '../users/index.ts';
import type { MasterKeyRotation } from './master-key-rotation.ts';
import type { WorkflowWiring } from './workflow-wiring.ts';

/** Everything the composition root built, for the CLI, the server, the worker thread and tests. */
export interface Runtime {
  config: Config;
  logger: Logger;
  clock: Clock;
  ids: IdGenerator;
  store: Store;
  queue: Queue;
  audit: AuditLog;
  events: DomainEventLog;
  tenants: TenantsService;
  users: UsersService;
  rules: RulesRepository;
  predictive: PredictiveScoring;
  writer: SubmissionWriter;
  ingest: IngestService;
  pipeline: LeadPipeline;
  leads: LeadReader;
  metrics: Metrics;
  handlers: JobHandlers;
  models: ModelClient;
  chats: ChatStore;
  chat: ChatService;
  /** Each workspace's content the chat answers visitors' questions from. */
  chatKnowledge: KnowledgeLibrary;
  council: CouncilService;
  /** The council's reuse cache; erasure purges the erased leads' decisions from it. */
  decisionCache: DecisionCache;
  privacy: Privacy;
  analytics: AnalyticsService;
  workflows: WorkflowWiring;
  /** The live optimiser: monitor, alerts, guarded adjustments, guarantee report. */
  optimiser: LiveOptimiser & { splits: SplitOptimiser };
  /** Durable per-workspace schedules (the optimiser's minute; ticked by every worker process). */
  schedules: Schedules;
  lifecycle: { state(): LifecycleState; set(state: LifecycleState): void };
  /**
   * Runs workers until `stopWorkers` ends them: every pool, or only `pools` (`leadloop worker --only`).
   */
  startWorkers(concurrency: number, pools?: readonly JobPool[]): void;
  stopWorkers(): Promise<void>;
  /** Counts a settled job in this process's metrics (and logs a failure): jobs run elsewhere report here. */
  recordJobOutcome(outcome: JobOutcome): void;
  createHttp(options?: { demo?: { workspaceId: string; widgetKey: string } | null }): Promise<HttpApp>;
  /** Re-seals every master-key-sealed value under the current master key (`leadloop keys rotate-master`). */
  rotateMasterKey(options?: { afterValue?: () => void }): Promise<MasterKeyRotation>;
  close(): Promise<void>;
}

/** What a caller of `createRuntime` may change from configuration: tests, the worker thread, the CLI. */
export interface RuntimeOptions {
  clock?: Clock;
  ids?: IdGenerator;
  logger?: Logger;
  /** Tests pass `:memory:` or a schema name. */
  sqliteFile?: string;
  postgresSchema?: string;
  /** Milliseconds; the embedded queue's idle poll. */
  queuePollMs?: number;
  visibilityTimeoutMs?: number;
  random?: () => number;
  ssePollMs?: number;
  /** The council's per-workspace daily budget; default {@link COUNCIL_DAILY_BUDGET}. */
  councilBudget?: CouncilCost | ((workspaceId: string) => CouncilCost);
  /** The privacy master key; default from configuration (see `privacyMasterKey`). */
  masterKey?: Uint8Array;
  /** Milliseconds between schedule ticks in a worker process (default 5 s; tests tick by hand). */
  scheduleTickMs?: number;
  /** SQLite shared with another thread of this process: how this one takes turns at the write lock. */
  writeTurns?: WriteTurns;
  /** Both threads' turns at the write lock, for /metrics (the embedded server with a worker thread). */
  writeLockStats?: () => Record<'http' | 'worker', WriteTurnsStats>;
  /** The worker thread's V8 heap, for /metrics (null while no thread runs): the process's RSS holds two heaps. */
  workerThreadHeap?: () => Promise<{ usedBytes: number; totalBytes: number } | null>;
  /** This process's (or thread's) name on the jobs it claims; default the pid. */
  workerId?: string;
  /** The schema is known to be migrated (the worker thread: its server migrated before starting it). */
  migrated?: boolean;
  /** Where accepted submissions' normalised leads go (the worker thread's, when it runs the pipeline). */
  normalisedLeads?: NormalisedLeads;
  /** After each group commit of accepted submissions (the worker thread is told there is work). */
  onSubmissionsCommitted?: (storedElsewhere: boolean) => void;
  /** Group commits of accepted submissions made on another thread's connection (one writer); null: here. */
  storeSubmissionsElsewhere?: StoreElsewhere;
  /** Told after each job settles, instead of this process's metrics (the worker thread reports to the server). */
  onJobSettled?: (outcome: JobOutcome) => void;
  /** Told when a workspace's domain events grew (the worker thread wakes the server's streams). */
  onEventsNotified?: (workspaceId: string) => void;
  /**
   * The workers run on a thread of their own (the embedded server's worker thread), so a batch need
   * not leave the event loop to requests; `requestsArriving` says when the server is taking them.
   */
  ownThread?: { requestsArriving: () => boolean; beforeEachSet?: () => Promise<void> | void };
}

/** Each workspace's council budget per day (model calls and tokens) unless `councilBudget` says otherwise. */
export const COUNCIL_DAILY_BUDGET: CouncilCost = { calls: 2_000, tokens: 2_000_000 };
