import pino, { type Logger } from 'pino';
import { type AnalyticsService, createAnalyticsService, createFunnelService } from '../analytics/index.ts';
import {
  CHAT_ANSWER_TASK,
  CHAT_EXTRACT_TASK,
  CHAT_PHRASE_TASK,
  type ChatService,
  type ChatStore,
  type ConversationLeadSink,
  createChatExtractSkill,
  createChatScoringStage,
  createChatService,
  createChatStore,
  createDialogEngine,
  createFallbackExtractor,
  createGuardedPhraser,
  createKnowledgeLibrary,
  createModelReplyPhraser,
  createModelSlotExtractor,
  createOfflineExtractor,
  type DialogEngine,
  draftEchoSkill,
  type KnowledgeLibrary,
} from '../chat/index.ts';
import { type AuditLog, createAuditKeys, createAuditLog } from '../compliance/index.ts';
import { type Config, ConfigError } from '../config/index.ts';
import {
  type Clock,
  createIdGenerator,
  createSecretBox,
  type IdGenerator,
  LeadloopError,
  systemClock,
} from '../core/index.ts';
import {
  type CouncilCost,
  type CouncilService,
  createCouncil,
  createCouncilService,
  createDbAgentDirectory,
  createDbRouterStatsStore,
  createInMemoryCouncilBudget,
  createInMemoryDecisionCache,
  createNextActionStage,
  type DecisionCache,
  registerCouncilSkills,
} from '../council/index.ts';
import { createDomainEventLog, type DomainEventLog } from '../events/index.ts';
import type { HttpApp, LifecycleState } from '../http/index.ts';
import {
  createIngestService,
  createSubmissionWriter,
  eventIdOf,
  type IngestService,
  type SubmissionWriter,
} from '../ingest/index.ts';
import {
  createIdentityClaims,
  createLeadPipeline,
  createLeadReader,
  createNormalisedLeads,
  type LeadPipeline,
  type LeadReader,
  type NormalisedLeads,
} from '../leads/index.ts';
import {
  createInMemoryTokenBudget,
  createModelClient,
  createSkillRegistry,
  type ModelClient,
  parseModelSpec,
} from '../models/index.ts';
import type { LiveOptimiser } from '../optimiser/index.ts';
import { createPrivacy, type Privacy } from '../privacy/index.ts';
import {
  type BatchJobHandlers,
  createEmbeddedQueue,
  createSchedules,
  type JobHandlers,
  type JobOutcome,
  type JobPool,
  loadBullmqQueue,
  loadRabbitmqQueue,
  type Queue,
  type Schedules,
} from '../queue/index.ts';
import {
  createPredictiveScoring,
  createRuleScoringStage,
  createRulesRepository,
  type PredictiveScoring,
  type RulesRepository,
} from '../scoring/index.ts';
import { createStore, type Store, type WriteTurns } from '../store/index.ts';
import { createMetrics, type Metrics } from '../telemetry/index.ts';
import { createTenantsService, createWorkspaceDirectory, type TenantsService } from '../tenants/index.ts';
import { createUsersService, type UsersService } from '../users/index.ts';
import { verifyWorkflow } from '../workflows/index.ts';
import { createDbCouncilTools } from './council-tools/index.ts';
import { createFunnelSource } from './funnel-source.ts';
import { loadMasterKey, loadPreviousMasterKeys } from './master-key.ts';
import { type MasterKeyRotation, rotateMasterKey } from './master-key-rotation.ts';
import { wireOptimiser } from './optimiser-wiring.ts';
import {
  chatEventGpc,
  contactNormaliser,
  erasureHooks,
  leadConsentFilter,
  registerPersonalDataHolders,
  retentionTargets,
  trainingExclusions,
  workflowPrivacy,
} from './privacy-wiring.ts';
import { holdPausedSources } from './source-holds.ts';
import { workflowActivityPort } from './workflow-activity.ts';
import { type WorkflowWiring, wireWorkflows } from './workflow-wiring.ts';

const VERSION = '0.1.0';

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
  optimiser: LiveOptimiser;
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
  /** This process's (or thread's) name on the jobs it claims; default the pid. */
  workerId?: string;
  /** The schema is known to be migrated (the worker thread: its server migrated before starting it). */
  migrated?: boolean;
  /** Where accepted submissions' normalised leads go (the worker thread's, when it runs the pipeline). */
  normalisedLeads?: NormalisedLeads;
  /** After each group commit of accepted submissions (the worker thread is told there is work). */
  onSubmissionsCommitted?: () => void;
  /** Told after each job settles, instead of this process's metrics (the worker thread reports to the server). */
  onJobSettled?: (outcome: JobOutcome) => void;
  /** Told when a workspace's domain events grew (the worker thread wakes the server's streams). */
  onEventsNotified?: (workspaceId: string) => void;
  /**
   * The workers run on a thread of their own (the embedded server's worker thread), so a batch need
   * not leave the event loop to requests; `requestsArriving` says when the server is taking them.
   */
  ownThread?: { requestsArriving: () => boolean };
}

/**
 * Migrates the schema. With `DATABASE_OWNER_URL`, the owner migrates and grants the application's
 * role, and the process then works as that role, which row-level security binds; otherwise the one
 * connection does both (fine on SQLite and for a development database, and said so in the log).
 */
async function migrateStore(
  config: Config,
  store: Store,
  schema: string | undefined,
  logger: Logger,
  masterKey: Uint8Array,
) {
  const ownerUrl = config.DATABASE_OWNER_URL;
  if (store.dialect === 'postgres' && ownerUrl && ownerUrl !== config.DATABASE_URL) {
    const owner = createStore({ databaseUrl: ownerUrl, schema, poolSize: 1, masterKey });
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
  if ((await store.acceptsDataScope()) === false)
    throw new ConfigError(
      "the database does not accept this process's data scope: it holds no scope key of this master key. Run `leadloop migrate` with the same LEADLOOP_MASTER_KEY as the server",
    );
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
  const masterKey = loadMasterKey({
    configured: config.LEADLOOP_MASTER_KEY,
    dataDir: config.LEADLOOP_DATA_DIR,
  });
  const store = createStore({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.LEADLOOP_DATA_DIR,
    sqliteFile: options.sqliteFile,
    schema: options.postgresSchema,
    masterKey,
    writeTurns: options.writeTurns,
  });
  if (!options.migrated) await migrateStore(config, store, options.postgresSchema, logger, masterKey);

  const queueOptions = {
    store,
    clock,
    ids,
    idlePollMs: options.queuePollMs,
    visibilityTimeoutMs: options.visibilityTimeoutMs ?? config.LEADLOOP_QUEUE_VISIBILITY_MS,
    random: options.random,
    ...(options.workerId ? { workerId: options.workerId } : {}),
  };
  // With a broker (Redis or RabbitMQ), the database stays the outbox and the broker dispatches;
  // without, the database does both.
  if (config.REDIS_URL && config.QUEUE_URL)
    throw new ConfigError(
      'invalid configuration:\n  REDIS_URL and QUEUE_URL are both set: choose one broker',
    );
  const brokerOptions = {
    ...queueOptions,
    prefix: config.LEADLOOP_QUEUE_PREFIX,
    resendAfterMs: config.LEADLOOP_QUEUE_RESEND_AFTER_MS,
    onError: (error: unknown) =>
      logger.warn({ err: error }, 'queue dispatch failed; jobs wait in the database'),
  };
  const bullmq = config.REDIS_URL
    ? (await loadBullmqQueue())({ ...brokerOptions, redisUrl: config.REDIS_URL })
    : config.QUEUE_URL
      ? (await loadRabbitmqQueue())({ ...brokerOptions, amqpUrl: config.QUEUE_URL })
      : null;
  const queue: Queue =
    bullmq ??
    createEmbeddedQueue({
      ...queueOptions,
      // On a thread of its own a set may hold the write lock longer (requests wait for it only
      // when their group commit comes in between: measured in docs/scaling.md).
      ...(options.ownThread ? { ownThread: true, batchBudgetMs: 8 } : {}),
    });
  const previousMasterKeys = loadPreviousMasterKeys(config.LEADLOOP_PREVIOUS_MASTER_KEYS);
  const audit = createAuditLog({ store, clock, ids, keys: createAuditKeys(masterKey, previousMasterKeys) });
  const secretBox = createSecretBox(masterKey, previousMasterKeys);
  const eventLog = createDomainEventLog({ store, clock, ids });
  const onEventsNotified = options.onEventsNotified;
  const events: DomainEventLog = onEventsNotified
    ? {
        ...eventLog,
        notify(workspaceId) {
          eventLog.notify(workspaceId);
          onEventsNotified(workspaceId);
        },
      }
    : eventLog;
  // One workspace-directory cache for the process: the tenants service and the pipeline share it.
  const directory = createWorkspaceDirectory({ clock });
  const tenants = createTenantsService({ store, clock, ids, audit, secretBox, directory });
  const users = createUsersService({ store, clock, ids, audit });
  const rules = createRulesRepository({ store, clock, audit });
  const leads = createLeadReader({ store, consent: leadConsentFilter() });
  const metrics = createMetrics({ depth: () => queue.depth() });
  // Ingestion hands the leads it normalised to the pipeline in this process (normalised once).
  const normalisedLeads = options.normalisedLeads ?? createNormalisedLeads();
  const onSubmissionsCommitted = options.onSubmissionsCommitted;
  const writer = createSubmissionWriter({
    store,
    queue,
    clock,
    ids,
    normalisedLeads,
    ...(onSubmissionsCommitted ? { onCommitted: () => onSubmissionsCommitted() } : {}),
  });
  const ingest = createIngestService({ tenants, writer, clock });

  const spec = parseModelSpec(config.LEADLOOP_MODEL);
  if (!spec.ok) throw new LeadloopError('validation_failed', `LEADLOOP_MODEL: ${spec.error}`);
  const offlineExtractor = createOfflineExtractor();
  const skills = createSkillRegistry();
  skills.register(CHAT_EXTRACT_TASK, createChatExtractSkill(offlineExtractor));
  skills.register(CHAT_PHRASE_TASK, draftEchoSkill);
  skills.register(CHAT_ANSWER_TASK, draftEchoSkill);
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
  // The council's fallback for pipeline decisions once a workspace's budget is used up.
  const offlineModels =
    spec.value.provider === 'offline' ? models : createModelClient({ model: 'offline', skills, clock });
  // With the offline model, the offline extractor is the model: no detour through the port.
  // With a real model, each workspace's extractor calls it (accounted to that workspace) and falls
  // back to the offline extractor on failure, timeout or invalid output.
  const offlineEngine = createDialogEngine({ clock });
  // The model words each reply and writes answers from retrieved passages; the guard keeps the
  // offline text on failure, timeout, an exhausted budget or a reply it may not send.
  const chatPhraser = (workspaceId: string) =>
    createGuardedPhraser({
      primary: createModelReplyPhraser({ models, workspaceId, timeoutMs: config.LEADLOOP_MODEL_TIMEOUT_MS }),
      timeoutMs: config.LEADLOOP_CHAT_MODEL_TIMEOUT_MS,
      totalTimeoutMs: config.LEADLOOP_MODEL_TIMEOUT_MS,
      onFallback: (reason, cause) =>
        logger.info(
          { workspaceId, reason, err: cause instanceof Error ? cause : undefined },
          'chat reply kept its offline wording',
        ),
    });
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
        phraser: chatPhraser(workspaceId),
      });
      engines.set(workspaceId, engine);
    }
    return engine;
  };
  const chats = createChatStore({ store, clock, audit });
  // Chat's port to ingestion: a finished conversation is submitted like any other lead.
  const conversationLeads: ConversationLeadSink = {
    async submit({ workspaceId, sessionId, lead }) {
      const outcome = await ingest.acceptParsed({
        workspaceId,
        source: 'chat',
        lead,
        idempotencyKey: sessionId,
        prefix: 'conversation',
      });
      return { eventId: eventIdOf(outcome) };
    },
  };
  const chatKnowledge = createKnowledgeLibrary({ store, clock, audit });
  const chat = createChatService({
    knowledge: chatKnowledge,
    store,
    chats,
    engineFor,
    tenants,
    leads: conversationLeads,
    clock,
    ids,
    audit,
    events,
  });
  // E-mail metrics read the workflow engine's records and the consent ledger (no events carry them).
  const analytics = createAnalyticsService({
    store,
    feed: events,
    clock,
    email: workflowActivityPort(store.db),
  });
  // A decision record with its prompts and tool calls is tens of KB: keep the reuse cache small
  // (a flood of qualified leads, each asked about once, fills it with entries nobody reads).
  const decisionCache = createInMemoryDecisionCache({ clock, maxEntries: 100 });
  const privacy = createPrivacy({
    store,
    clock,
    ids,
    audit,
    queue,
    masterKey: options.masterKey ?? masterKey,
    previousMasterKeys,
    normalise: contactNormaliser,
    retentionTargets,
    eventGpc: chatEventGpc(chats),
    hooks: erasureHooks(queue, decisionCache),
  });
  registerPersonalDataHolders(privacy.holders);
  const predictive = createPredictiveScoring({
    store,
    queue,
    audit,
    rules,
    clock,
    ids,
    // Cross-capability reaction, wired once here so the API and `leadloop outcomes import` agree:
    // a new or changed outcome tells the council's router whether its advice paid off.
    onOutcome: async (ctx, leadId, converted) => {
      await council.learnFromOutcome(ctx, leadId, converted);
    },
    exclusions: trainingExclusions(privacy),
    // Workflows with an `outcome.recorded` trigger start in the outcome's own transaction.
    outcomeReactions: [
      // Conversions and value reach the analytics rollups as a domain event committed with the outcome.
      (db, ctx, outcome) =>
        events.append(db, ctx.workspaceId, [
          {
            type: 'outcome.recorded',
            subject: outcome.leadId,
            data: { converted: outcome.converted, value: outcome.value, change: outcome.change },
          },
        ]),
      (db, ctx, outcome) =>
        workflows.engine.fire(db, ctx.workspaceId, {
          type: 'outcome.recorded',
          leadId: outcome.leadId,
          occurrence: `${outcome.leadId}:${outcome.revision}`,
          value: outcome.converted ? 'won' : 'lost',
          data: {
            outcome: outcome.converted ? 'won' : 'lost',
            amount: outcome.value,
            revision: outcome.revision,
          },
        }),
    ],
  });
  const council = createCouncilService({
    store,
    audit,
    clock,
    // Model spend reaches the analytics rollups as a domain event committed with the decision.
    onSpent: (db, workspaceId, spend) =>
      events.append(db, workspaceId, [
        {
          type: 'council.decided',
          subject: spend.decisionId,
          data: {
            questionType: spend.questionType,
            calls: spend.calls,
            tokens: spend.tokens,
            offline: spend.offline,
          },
        },
      ]),
    // Workflows with a `council.decided` trigger start in the decision's own transaction.
    onDecided: (db, workspaceId, decision) =>
      workflows.engine.fire(db, workspaceId, {
        type: 'council.decided',
        leadId: decision.leadId,
        occurrence: decision.decisionId,
        value: decision.decisionClass,
        data: {
          decisionId: decision.decisionId,
          decision: decision.decisionClass,
          confidence: decision.confidence,
        },
      }),
    council: createCouncil({
      models,
      tools: createDbCouncilTools({ store, chats, rules, clock, consentState: privacy.consentState }),
      agents: createDbAgentDirectory(store),
      stats: createDbRouterStatsStore(store, clock),
      budget: createInMemoryCouncilBudget({ clock, limits: options.councilBudget ?? COUNCIL_DAILY_BUDGET }),
      offlineModels,
      cache: decisionCache,
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
    masterKey: options.masterKey ?? masterKey,
    previousMasterKeys,
    ...(options.random ? { random: options.random } : {}),
    privacy: workflowPrivacy(privacy),
  });
  const pipeline = createLeadPipeline({
    normalisedLeads,
    organisationOf: directory.organisationOf,
    clock,
    ids,
    audit,
    events,
    // Consent first (so a withdrawal in the same submission already counts), then the scoring
    // stages: chat and the model only for leads that may be profiled, and a gate that strips the
    // point rules' lines from a lead that may not.
    scoringStages: [
      privacy.stages.consent,
      createRuleScoringStage(rules),
      privacy.stages.whenProfilingAllowed(createChatScoringStage(chats)),
      privacy.stages.whenProfilingAllowed(predictive.stage),
      privacy.stages.profilingGate,
    ],
    // Leads of a source the optimiser paused are stored and scored, never acted on automatically.
    reactions: [holdPausedSources([createNextActionStage(queue), workflows.engine.triggerStage])],
  });
  const optimiser = wireOptimiser({
    store,
    queue,
    audit,
    events,
    clock,
    ids,
    analytics,
    predictive,
    council,
    workflows: workflows.service,
  });
  const schedules = createSchedules({
    store,
    queue,
    clock,
    onError: (error) => logger.warn({ err: error }, 'schedule tick failed; retried at the next tick'),
  });
  const handlers: JobHandlers = {
    'lead.process': (job) => pipeline.process(job),
    'scoring.retrain': (job) => predictive.training.retrainJob(job),
    'council.next_action': (job) => council.nextActionJob(job),
    'privacy.retention': (job) => privacy.retentionJob(job),
    'workflow.step': (job) => workflows.engine.stepJob(job),
    'workflow.schedule': (job) => workflows.engine.scheduleJob(job),
    'optimiser.monitor': (job) => optimiser.monitorJob(job),
    'optimiser.review': (job) => optimiser.reviewJob(job),
    'optimiser.housekeeping': (job) => optimiser.housekeepingJob(job),
  };
  const batchHandlers: BatchJobHandlers = {
    'lead.process': (jobs) => pipeline.processBatch(jobs),
  };

  let state: LifecycleState = 'starting';
  const lifecycle = {
    state: () => state,
    set(next: LifecycleState) {
      state = next;
    },
  };
  const recordJobOutcome = (outcome: JobOutcome) => {
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
  };
  const requestsArriving =
    options.ownThread?.requestsArriving ?? (() => clock.now() - writer.lastSubmitAt() < 100);
  let workerAbort: AbortController | null = null;
  let workerDone: Promise<void> | null = null;
  let ticking: Promise<void> | null = null;

  const runtime: Runtime = {
    rotateMasterKey: (rotation) => rotateMasterKey({ store, box: secretBox, ...rotation }),
    config,
    logger,
    clock,
    ids,
    store,
    queue,
    audit,
    events,
    tenants,
    users,
    rules,
    predictive,
    writer,
    ingest,
    pipeline,
    leads,
    metrics,
    handlers,
    models,
    chats,
    chat,
    chatKnowledge,
    council,
    decisionCache,
    privacy,
    analytics,
    workflows,
    optimiser,
    schedules,
    lifecycle,
    startWorkers(concurrency, pools) {
      if (workerAbort) return;
      workerAbort = new AbortController();
      // Every worker process ticks the schedules; the compare-and-set on each due row keeps one
      // enqueue per slot however many tick, and a restart loses nothing (the rows are durable).
      if (options.scheduleTickMs !== 0)
        ticking = schedules.run({
          periodic: optimiser.periodicJobs,
          everyMs: options.scheduleTickMs ?? 5_000,
          signal: workerAbort.signal,
        });
      workerDone = queue.work({
        handlers,
        batchHandlers,
        concurrency,
        ...(pools ? { pools } : {}),
        signal: workerAbort.signal,
        busy: requestsArriving,
        // Jobs run on the worker thread are counted and logged where /metrics is served.
        onSettled: options.onJobSettled ?? recordJobOutcome,
      });
    },
    async stopWorkers() {
      workerAbort?.abort(new LeadloopError('unavailable', 'shutting down', { retryable: true }));
      await workerDone;
      await ticking;
      ticking = null;
      workerAbort = null;
      workerDone = null;
    },
    recordJobOutcome,
    async createHttp(httpOptions) {
      // Loaded here, not at the top: the worker thread builds a runtime too and never serves HTTP
      // (Fastify, its plugins and the route schemas are tens of MiB of heap per thread).
      const { createHttpApp, createMemoryRateLimiter } = await import('../http/index.ts');
      return createHttpApp({
        demo: httpOptions?.demo ?? null,
        ping: () => store.ping(),
        tenants,
        users,
        leads,
        ingest,
        audit,
        events,
        rules,
        predictive,
        chat,
        chatKnowledge,
        council,
        privacy,
        analytics,
        funnel: createFunnelService({ source: createFunnelSource(store), clock }),
        claims: createIdentityClaims({ store, audit, clock }),
        queue,
        metrics,
        clock,
        logger,
        rateLimiter: createMemoryRateLimiter(clock),
        secretBox,
        metricsToken: config.LEADLOOP_METRICS_TOKEN,
        lifecycle,
        version: VERSION,
        ssePollMs: options.ssePollMs,
        workflows,
        optimiser,
      });
    },
    async close() {
      await writer.drain();
      await runtime.stopWorkers();
      await bullmq?.close();
      await store.destroy();
    },
  };
  return runtime;
}
