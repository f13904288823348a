import pino from 'pino';
import { createAnalyticsService } from '../analytics/index.ts';
import { createChatScoringStage } from '../chat/index.ts';
import { createAuditKeys, createAuditLog } from '../compliance/index.ts';
import type { Config } from '../config/index.ts';
import { createIdGenerator, createSecretBox, systemClock } from '../core/index.ts';
import {
  createInMemoryDecisionCache,
  createNextActionStage,
  normaliseCountry,
  normaliseIndustry,
  regionOf,
} from '../council/index.ts';
import { createDomainEventLog, type DomainEventLog } from '../events/index.ts';
import type { LifecycleState } from '../http/index.ts';
import { createIngestService, createSubmissionWriter } from '../ingest/index.ts';
import { createLeadPipeline, createLeadReader, createNormalisedLeads } from '../leads/index.ts';
import { createPrivacy } from '../privacy/index.ts';
import { createSchedules } from '../queue/index.ts';
import { createRuleScoringStage, createRulesRepository } from '../scoring/index.ts';
import { createMetrics } from '../telemetry/index.ts';
import { createTenantsService, createWorkspaceDirectory } from '../tenants/index.ts';
import { createUsersService } from '../users/index.ts';
import { verifyWorkflow } from '../workflows/index.ts';
import { wireChat } from './chat-wiring.ts';
import { wireCouncil } from './council-wiring.ts';
import { createRuntimeHttp } from './http-wiring.ts';
import { openQueue, openStore } from './infrastructure-wiring.ts';
import { loadMasterKey, loadPreviousMasterKeys } from './master-key.ts';
import { rotateMasterKey } from './master-key-rotation.ts';
import { meteredModelClient } from './model-usage-events.ts';
import { wireModels } from './model-wiring.ts';
import { wireOptimiser } from './optimiser-wiring.ts';
import {
  chatEventGpc,
  contactNormaliser,
  erasureHooks,
  leadConsentFilter,
  registerPersonalDataHolders,
  retentionTargets,
  workflowPrivacy,
} from './privacy-wiring.ts';
import { COUNCIL_DAILY_BUDGET, type Runtime, type RuntimeOptions } from './runtime-types.ts';
import { wirePredictive } from './scoring-wiring.ts';
import { holdPausedSources } from './source-holds.ts';
import { createWorkerControl, jobHandlers, jobOutcomeRecorder } from './worker-control.ts';
import { workflowActivityPort } from './workflow-activity.ts';
import { wireWorkflows } from './workflow-wiring.ts';

export { COUNCIL_DAILY_BUDGET, type Runtime, type RuntimeOptions } from './runtime-types.ts';

/**
 * The composition root: builds every service from configuration. Nothing else wires modules
 * together. It reads top-down: infrastructure, the lead kernel and ingestion, the capabilities
 * (each wired in its own `*-wiring.ts`, reactions across them included), then workers and HTTP.
 */
export async function createRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  // Infrastructure: time and ids, keys, the database, the queue, the audit trail, domain events.
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? createIdGenerator({ now: () => clock.now() });
  const logger = options.logger ?? pino({ level: config.LOG_LEVEL, base: { service: 'leadloop' } });
  const masterKey = loadMasterKey({
    configured: config.LEADLOOP_MASTER_KEY,
    dataDir: config.LEADLOOP_DATA_DIR,
  });
  const previousMasterKeys = loadPreviousMasterKeys(config.LEADLOOP_PREVIOUS_MASTER_KEYS);
  const store = await openStore(config, options, logger, masterKey);
  const { queue, broker } = await openQueue({ config, store, clock, ids, logger, runtime: options });
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
  const metrics = createMetrics({
    depth: () => queue.depth(),
    ...(options.writeLockStats ? { writeLock: options.writeLockStats } : {}),
    ...(options.workerThreadHeap ? { workerThreadHeap: options.workerThreadHeap } : {}),
  });

  // Tenants, users and ingestion.
  // One workspace-directory cache for the process: the tenants service and the pipeline share it.
  const directory = createWorkspaceDirectory({ clock });
  const users = createUsersService({ store, clock, ids, audit, box: secretBox });
  const tenants = createTenantsService({
    store,
    clock,
    ids,
    audit,
    secretBox,
    directory,
    // A console admin is a way back into the workspace: its last admin key may then be revoked.
    hasConsoleAdmin: async (workspaceId) =>
      (await users.listUsers(workspaceId)).some((user) => user.role === 'admin'),
  });
  const rules = createRulesRepository({ store, clock, audit });
  const leads = createLeadReader({ store, consent: leadConsentFilter() });
  // Ingestion hands the leads it normalised to the pipeline in this process (normalised once).
  const normalisedLeads = options.normalisedLeads ?? createNormalisedLeads();
  const onSubmissionsCommitted = options.onSubmissionsCommitted;
  const writer = createSubmissionWriter({
    store,
    queue,
    clock,
    ids,
    normalisedLeads,
    ...(onSubmissionsCommitted
      ? { onCommitted: (_count, _workspaces, elsewhere) => onSubmissionsCommitted(elsewhere) }
      : {}),
    ...(options.storeSubmissionsElsewhere ? { storeElsewhere: options.storeSubmissionsElsewhere } : {}),
  });
  const ingest = createIngestService({ tenants, writer, clock });

  // The capabilities. The council and workflows react to outcomes and decisions made before they
  // exist, so those reactions reach them through functions called only once something happens.
  const model = wireModels({ config, clock, metrics });
  const { models } = model;
  const { chats, chatKnowledge, chat } = wireChat({
    config,
    clock,
    ids,
    logger,
    store,
    audit,
    events,
    tenants,
    ingest,
    model,
  });
  // E-mail metrics read the workflow engine's records and the consent ledger (no events carry them).
  const analytics = createAnalyticsService({
    store,
    feed: events,
    clock,
    email: workflowActivityPort(store.db),
    // `score_psi`'s baseline: the champion's training scores, stored with its version by scoring
    // (built below; only called once a series is asked for).
    training: {
      async trainingScores(workspaceId, version) {
        const view = await predictive.registry.get(store.db, workspaceId, version);
        return view?.metrics.trainingScores ?? null;
      },
    },
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
  const predictive = wirePredictive({
    store,
    queue,
    audit,
    rules,
    clock,
    ids,
    events,
    privacy,
    later: { council: () => council, workflowEngine: () => workflows.engine },
  });
  const council = wireCouncil({
    store,
    audit,
    clock,
    ids,
    events,
    model,
    chats,
    rules,
    privacy,
    decisionCache,
    budget: options.councilBudget ?? COUNCIL_DAILY_BUDGET,
    workflowEngine: () => workflows.engine,
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
    // Generation's model calls are recorded as `model.used` events, as chat's are. A workflow's
    // council step asks the council service, whose calls reach the stream with `council.decided`.
    ...(model.offline
      ? {}
      : { models: meteredModelClient({ models, prices: model.prices, store, events, clock, logger }) }),
    masterKey: options.masterKey ?? masterKey,
    previousMasterKeys,
    ...(options.random ? { random: options.random } : {}),
    privacy: workflowPrivacy(privacy),
  });
  const pipeline = createLeadPipeline({
    normalisedLeads,
    // The council's vocabularies, so analytics and the learned optimizers name segments alike.
    segmentsOf: (lead) => {
      const industry = normaliseIndustry(
        typeof lead.attributes.industry === 'string' ? lead.attributes.industry : null,
      );
      const region = regionOf(normaliseCountry(lead.country));
      return { ...(industry ? { industry } : {}), ...(region ? { region } : {}) };
    },
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
    chats,
    ...(options.random ? { random: options.random } : {}),
  });

  // Workers, schedules and the process's lifecycle.
  const schedules = createSchedules({
    store,
    queue,
    clock,
    onError: (error) => logger.warn({ err: error }, 'schedule tick failed; retried at the next tick'),
  });
  const { handlers, batchHandlers } = jobHandlers({
    pipeline,
    predictive,
    council,
    privacy,
    workflows,
    optimiser,
  });
  let state: LifecycleState = 'starting';
  const lifecycle = {
    state: () => state,
    set(next: LifecycleState) {
      state = next;
    },
  };
  const recordJobOutcome = jobOutcomeRecorder(metrics, logger);
  const workers = createWorkerControl({
    queue,
    schedules,
    periodicJobs: [...optimiser.periodicJobs, ...privacy.periodicJobs],
    handlers,
    batchHandlers,
    requestsArriving:
      options.ownThread?.requestsArriving ?? (() => clock.now() - writer.lastSubmitAt() < 100),
    beforeEachSet: options.ownThread?.beforeEachSet,
    onSettled: options.onJobSettled ?? recordJobOutcome,
    scheduleTickMs: options.scheduleTickMs,
  });

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
    startWorkers: workers.startWorkers,
    stopWorkers: workers.stopWorkers,
    recordJobOutcome,
    createHttp: (httpOptions) =>
      createRuntimeHttp(runtime, { secretBox, ssePollMs: options.ssePollMs }, httpOptions),
    async close() {
      await writer.drain();
      await runtime.stopWorkers();
      await broker?.close();
      await store.destroy();
    },
  };
  return runtime;
}
