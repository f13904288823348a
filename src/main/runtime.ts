import pino, { type Logger } from 'pino';
import {
  CHAT_EXTRACT_TASK,
  type ChatService,
  type ChatStore,
  createChatExtractSkill,
  createChatScoringStage,
  createChatService,
  createChatStore,
  createDialogEngine,
  createFallbackExtractor,
  createModelSlotExtractor,
  createOfflineExtractor,
  type DialogEngine,
} from '../chat/index.ts';
import { type AuditLog, createAuditLog } from '../compliance/index.ts';
import type { Config } from '../config/index.ts';
import { type Clock, createIdGenerator, type IdGenerator, systemClock } from '../core/index.ts';
import {
  type CouncilCost,
  type CouncilService,
  createCouncil,
  createCouncilService,
  createDbAgentDirectory,
  createDbCouncilTools,
  createDbRouterStatsStore,
  createInMemoryCouncilBudget,
  createInMemoryDecisionCache,
  createNextActionStage,
  registerCouncilSkills,
} from '../council/index.ts';
import { createDomainEventLog, type DomainEventLog } from '../events/index.ts';
import { createHttpApp, createMemoryRateLimiter, type HttpApp, type LifecycleState } from '../http/index.ts';
import {
  createEventWriter,
  createIngestService,
  type EventWriter,
  type IngestService,
} from '../ingest/index.ts';
import { createLeadPipeline, type LeadPipeline } from '../leads/index.ts';
import {
  createInMemoryTokenBudget,
  createModelClient,
  createSkillRegistry,
  type ModelClient,
  parseModelSpec,
} from '../models/index.ts';
import { createEmbeddedQueue, type JobHandlers, loadBullmqQueue, type Queue } from '../queue/index.ts';
import {
  createPredictiveScoring,
  createRulesRepository,
  type PredictiveScoring,
  type RulesRepository,
} from '../scoring/index.ts';
import { createStore, type Store } from '../store/index.ts';
import { createMetrics, type Metrics } from '../telemetry/index.ts';
import { createTenantsService, type TenantsService } from '../tenants/index.ts';
import { verifyWorkflow } from '../workflows/index.ts';
import { type WorkflowWiring, wireWorkflows } from './workflow-wiring.ts';

export const VERSION = '0.1.0';

/** Each workspace's council budget per day (model calls and tokens) unless `councilBudget` says otherwise. */
export const COUNCIL_DAILY_BUDGET: CouncilCost = { calls: 2_000, tokens: 2_000_000 };

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
  rules: RulesRepository;
  predictive: PredictiveScoring;
  writer: EventWriter;
  ingest: IngestService;
  pipeline: LeadPipeline;
  metrics: Metrics;
  handlers: JobHandlers;
  models: ModelClient;
  chats: ChatStore;
  chat: ChatService;
  council: CouncilService;
  workflows: WorkflowWiring;
  lifecycle: { state(): LifecycleState; set(state: LifecycleState): void };
  /** Runs workers until `stopWorkers` (or the signal) ends them. */
  startWorkers(concurrency: number): void;
  stopWorkers(): Promise<void>;
  createHttp(options?: { demo?: { workspaceId: string; widgetKey: string } | null }): Promise<HttpApp>;
  close(): Promise<void>;
}

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
}

/**
 * Migrates the schema. With `DATABASE_OWNER_URL`, the owner migrates and grants the application's
 * role, and the process then works as that role, which row-level security binds; otherwise the one
 * connection does both (fine on SQLite and for a development database, and said so in the log).
 */
async function migrateStore(config: Config, store: Store, schema: string | undefined, logger: Logger) {
  const ownerUrl = config.DATABASE_OWNER_URL;
  if (store.dialect === 'postgres' && ownerUrl && ownerUrl !== config.DATABASE_URL) {
    const owner = createStore({ databaseUrl: ownerUrl, schema, poolSize: 1 });
    try {
      await owner.migrate({
        appRole: { name: config.DATABASE_APP_ROLE, password: config.DATABASE_APP_PASSWORD },
      });
    } finally {
      await owner.destroy();
    }
  } else {
    await store.migrate();
  }
  const role = await store.connectedRole();
  if (role?.bypassesRowSecurity)
    logger.warn(
      { role: role.name },
      'connected as a role that bypasses row-level security; run `leadloop migrate` and connect as the application role (DATABASE_APP_ROLE) for tenant isolation in the database',
    );
}

/** The composition root: builds every service from configuration. Nothing else wires modules together. */
export async function createRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? createIdGenerator({ now: () => clock.now() });
  const logger = options.logger ?? pino({ level: config.LOG_LEVEL, base: { service: 'leadloop' } });
  const store = createStore({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.LEADLOOP_DATA_DIR,
    sqliteFile: options.sqliteFile,
    schema: options.postgresSchema,
  });
  await migrateStore(config, store, options.postgresSchema, logger);

  const queueOptions = {
    store,
    clock,
    ids,
    idlePollMs: options.queuePollMs,
    visibilityTimeoutMs: options.visibilityTimeoutMs ?? config.LEADLOOP_QUEUE_VISIBILITY_MS,
    random: options.random,
  };
  // With Redis, the database stays the outbox and Redis dispatches; without, the database does both.
  const bullmq = config.REDIS_URL
    ? (await loadBullmqQueue())({
        ...queueOptions,
        redisUrl: config.REDIS_URL,
        prefix: config.LEADLOOP_QUEUE_PREFIX,
        resendAfterMs: config.LEADLOOP_QUEUE_RESEND_AFTER_MS,
        onError: (error) => logger.warn({ err: error }, 'queue dispatch failed; jobs wait in the database'),
      })
    : null;
  const queue: Queue = bullmq ?? createEmbeddedQueue(queueOptions);
  const audit = createAuditLog({ store, clock, ids });
  const events = createDomainEventLog({ store, clock, ids });
  const tenants = createTenantsService({ store, clock, ids, audit });
  const rules = createRulesRepository({ store, clock, audit });
  const predictive = createPredictiveScoring({ store, queue, audit, rules, clock, ids });
  const metrics = createMetrics({ depth: () => queue.depth() });
  const writer = createEventWriter({ store, queue, clock, ids });
  const ingest = createIngestService({ tenants, writer, clock });

  const spec = parseModelSpec(config.LEADLOOP_MODEL);
  if (!spec.ok) throw new Error(`LEADLOOP_MODEL: ${spec.error}`);
  const offlineExtractor = createOfflineExtractor();
  const skills = createSkillRegistry();
  skills.register(CHAT_EXTRACT_TASK, createChatExtractSkill(offlineExtractor));
  registerCouncilSkills(skills);
  const baseURL = config.LEADLOOP_MODEL_BASE_URL;
  const models = createModelClient({
    model: spec.value,
    skills,
    timeoutMs: config.LEADLOOP_MODEL_TIMEOUT_MS,
    // The offline model costs nothing, so only real providers are held to the token budget.
    ...(spec.value.provider === 'offline'
      ? {}
      : {
          budget: createInMemoryTokenBudget({
            clock,
            tokensPerWindow: config.LEADLOOP_MODEL_TOKENS_PER_HOUR,
            windowMs: 3_600_000,
          }),
        }),
    metricsRegistry: metrics.registry,
    clock,
    providers: {
      openai: { apiKey: config.OPENAI_API_KEY, ...(baseURL ? { baseURL } : {}) },
      anthropic: { apiKey: config.ANTHROPIC_API_KEY, ...(baseURL ? { baseURL } : {}) },
      ollama: baseURL ? { baseURL } : {},
      openaiCompatible: { baseURL, apiKey: config.OPENAI_API_KEY },
    },
  });
  // With the offline model, the offline extractor is the model: no detour through the port.
  // With a real model, each workspace's extractor calls it (accounted to that workspace) and falls
  // back to the offline extractor on failure, timeout or invalid output.
  const offlineEngine = createDialogEngine({ clock });
  const engines = new Map<string, DialogEngine>();
  const engineFor = (workspaceId: string): DialogEngine => {
    if (spec.value.provider === 'offline') return offlineEngine;
    let engine = engines.get(workspaceId);
    if (!engine) {
      const primary = createModelSlotExtractor({ models, workspaceId, offline: offlineExtractor });
      engine = createDialogEngine({
        clock,
        extractor: createFallbackExtractor({
          primary,
          fallback: offlineExtractor,
          timeoutMs: config.LEADLOOP_MODEL_TIMEOUT_MS,
        }),
      });
      engines.set(workspaceId, engine);
    }
    return engine;
  };
  const chats = createChatStore({ store, clock, audit });
  const chat = createChatService({ store, chats, engineFor, tenants, ingest, writer, clock, ids, audit });
  const council = createCouncilService({
    store,
    audit,
    clock,
    council: createCouncil({
      models,
      tools: createDbCouncilTools({ store, chats, rules, clock }),
      agents: createDbAgentDirectory(store),
      stats: createDbRouterStatsStore(store, clock),
      budget: createInMemoryCouncilBudget({ clock, limits: options.councilBudget ?? COUNCIL_DAILY_BUDGET }),
      // A decision record with its prompts and tool calls is tens of KB: keep the reuse cache small
      // (a flood of qualified leads, each asked about once, fills it with entries nobody reads).
      cache: createInMemoryDecisionCache({ clock, maxEntries: 100 }),
      clock,
      ids: () => ids.next('dec'),
    }),
  });
  const workflows = wireWorkflows({
    config,
    store,
    queue,
    clock,
    ids,
    audit,
    council,
    verify: (workflow) => verifyWorkflow(workflow),
    ...(spec.value.provider === 'offline' ? {} : { models }),
    inMemory: options.sqliteFile === ':memory:' || options.postgresSchema !== undefined,
    ...(options.random ? { random: options.random } : {}),
  });
  const pipeline = createLeadPipeline({
    clock,
    ids,
    audit,
    events,
    rules,
    scoringStages: [createChatScoringStage(chats), predictive.stage],
    reactions: [createNextActionStage(queue), workflows.engine.triggerStage],
  });
  const handlers: JobHandlers = {
    'lead.process': (job) => pipeline.process(job),
    'scoring.retrain': (job) => predictive.training.retrainJob(job),
    'council.next_action': (job) => council.nextActionJob(job),
    'workflow.step': (job) => workflows.engine.stepJob(job),
  };

  let state: LifecycleState = 'starting';
  const lifecycle = {
    state: () => state,
    set(next: LifecycleState) {
      state = next;
    },
  };
  let workerAbort: AbortController | null = null;
  let workerDone: Promise<void> | null = null;

  const runtime: Runtime = {
    config,
    logger,
    clock,
    ids,
    store,
    queue,
    audit,
    events,
    tenants,
    rules,
    predictive,
    writer,
    ingest,
    pipeline,
    metrics,
    handlers,
    models,
    chats,
    chat,
    council,
    workflows,
    lifecycle,
    startWorkers(concurrency) {
      if (workerAbort) return;
      workerAbort = new AbortController();
      workerDone = queue.work({
        handlers,
        concurrency,
        signal: workerAbort.signal,
        busy: () => clock.now() - writer.lastSubmitAt() < 100,
        onSettled: (outcome) => {
          const labels = { job: outcome.name };
          if (outcome.status === 'completed') metrics.eventsProcessed.inc(labels);
          else if (outcome.status === 'retrying') metrics.eventsFailed.inc(labels);
          else metrics.eventsDeadLettered.inc(labels);
          metrics.jobLatency.observe(labels, outcome.latencyMs / 1000);
          if (outcome.status !== 'completed')
            logger.warn(
              {
                job: outcome.name,
                workspaceId: outcome.workspaceId,
                status: outcome.status,
                error: outcome.error,
              },
              'job failed',
            );
        },
      });
    },
    async stopWorkers() {
      workerAbort?.abort(new Error('shutting down'));
      await workerDone;
      workerAbort = null;
      workerDone = null;
    },
    createHttp: (httpOptions) =>
      createHttpApp({
        demo: httpOptions?.demo ?? null,
        store,
        tenants,
        ingest,
        audit,
        events,
        rules,
        predictive,
        chat,
        chats,
        council,
        queue,
        metrics,
        clock,
        logger,
        rateLimiter: createMemoryRateLimiter(clock),
        lifecycle,
        version: VERSION,
        ssePollMs: options.ssePollMs,
        workflows,
      }),
    async close() {
      await writer.drain();
      await runtime.stopWorkers();
      await bullmq?.close();
      await store.destroy();
    },
  };
  return runtime;
}
