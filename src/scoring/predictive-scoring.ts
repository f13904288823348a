import type { AuditLog } from '../compliance/index.ts';
import type { Actor, Clock, IdGenerator, WorkspaceContext } from '../core/index.ts';
import { LeadloopError } from '../core/index.ts';
import type { PipelineStage, ScoreLine, ScoringLeadFields } from '../leads/index.ts';
import type { Queue } from '../queue/index.ts';
import type { Db, Store } from '../store/index.ts';
import { type Calibration, calibrationOf } from './calibration.ts';
import type { Insights } from './insights.ts';
import { createInsights } from './insights.ts';
import type { EvaluationReport } from './learning.ts';
import { createLearning, outcomeCounts, requirements } from './learning.ts';
import type { ModelVersionRegistry, ModelVersionView } from './model-version-registry.ts';
import { createModelVersionRegistry } from './model-version-registry.ts';
import type { OutcomeService } from './outcomes.ts';
import { createOutcomeService, type OutcomeListener, type OutcomeReaction } from './outcomes.ts';
import type { LeadScoreView, Predictor } from './predictive-stage.ts';
import { createPredictiveStage, createPredictor, leadScoreView } from './predictive-stage.ts';
import type { RulesRepository } from './rules-repository.ts';
import type { LearningState, TrainingAttempt } from './scoring-state.ts';
import { readState, writeState } from './scoring-state.ts';
import type { TrainingExclusions, TrainingService } from './training-service.ts';
import { createTrainingService } from './training-service.ts';

/** `GET /v1/models`: the registry, what scores leads now, and why. */
interface ModelsOverview {
  items: ModelVersionView[];
  /** What scores leads now: `model vN (kind)` or `point rules`. */
  scorer: string;
  champion: number | null;
  challenger: number | null;
  reason: string;
  requirements: ReturnType<typeof requirements>;
  training: TrainingAttempt | null;
  learning: LearningState;
}

/** Predictive scoring for the rest of the application: one object built by the composition root. */
export interface PredictiveScoring {
  readonly registry: ModelVersionRegistry;
  readonly outcomes: OutcomeService;
  readonly training: TrainingService;
  readonly insights: Insights;
  /** The pipeline stage that adds the champion's score line (`scoringStages`). */
  readonly stage: PipelineStage;
  models(workspaceId: string): Promise<ModelsOverview>;
  evaluate(workspaceId: string): Promise<EvaluationReport>;
  /** A version's predicted probabilities, binned, against the latest outcomes that followed them. */
  calibration(
    workspaceId: string,
    version: number,
    options: { bins: number; limit: number },
  ): Promise<Calibration>;
  /** Queues a retraining job now (the API's "train" button). */
  requestTraining(workspaceId: string, actor: Actor): Promise<{ queued: boolean; reason: string }>;
  leadScore(
    ctx: WorkspaceContext,
    lead: ScoringLeadFields & { score: number; scoreBreakdown: ScoreLine[] },
    actor: Actor,
  ): Promise<LeadScoreView>;
}

export interface PredictiveScoringOptions {
  store: Store;
  queue: Queue;
  audit: AuditLog;
  rules: RulesRepository;
  clock: Clock;
  ids: IdGenerator;
  /** Told of every new or changed outcome (wired in main: the council's router learns from it). */
  onOutcome?: OutcomeListener;
  /** Told of every new or changed outcome in its transaction (wired in main: workflow triggers). */
  outcomeReactions?: readonly OutcomeReaction[];
  /** Whose outcomes may not train a model (wired in main to the privacy ledger). */
  exclusions?: TrainingExclusions;
}

export function createPredictiveScoring(options: PredictiveScoringOptions): PredictiveScoring {
  const { store, queue, audit, rules, clock, ids } = options;
  const db = store.db;
  const registry = createModelVersionRegistry({ store, audit, clock, ids });
  const predictor: Predictor = createPredictor(registry);
  const learning = createLearning({ registry, queue, audit, clock });
  const outcomes = createOutcomeService({
    store,
    audit,
    clock,
    predictor,
    learning,
    onOutcome: options.onOutcome,
    reactions: options.outcomeReactions,
  });
  const training = createTrainingService({
    store,
    registry,
    audit,
    clock,
    ...(options.exclusions ? { exclusions: options.exclusions } : {}),
  });
  const insights = createInsights({ store, audit, clock });
  const stage = createPredictiveStage({ registry, predictor });

  return {
    registry,
    outcomes,
    training,
    insights,
    stage,
    async models(workspaceId) {
      const [items, state, counts] = await Promise.all([
        registry.list(db, workspaceId),
        readState(db, workspaceId),
        outcomeCounts(db, workspaceId),
      ]);
      const champion = items.find((v) => v.status === 'champion') ?? null;
      const challenger = items.find((v) => v.status === 'challenger') ?? null;
      const need = requirements(state, counts);
      let reason: string;
      if (champion)
        reason = `model v${champion.version} (${champion.kind}) scores leads after the point rules: ${champion.reason}`;
      else if (!need.ready) reason = `the point rules score leads: ${need.reason}`;
      else if (state.training)
        reason = `the point rules score leads; latest training (${state.training.status}): ${state.training.reason}`;
      else if (state.learning.retrainPending)
        reason = `the point rules score leads until the queued training (${state.learning.retrainPending}) finishes`;
      else
        reason =
          'the point rules score leads; enough outcomes to train: run `leadloop train --workspace` or POST /v1/models/train';
      return {
        items,
        scorer: champion ? `model v${champion.version} (${champion.kind})` : 'point rules',
        champion: champion?.version ?? null,
        challenger: challenger?.version ?? null,
        reason,
        requirements: need,
        training: state.training,
        learning: state.learning,
      };
    },
    evaluate: (workspaceId) => learning.report(db, workspaceId),
    async calibration(workspaceId, version, options) {
      if (!(await registry.get(db, workspaceId, version)))
        throw new LeadloopError('not_found', `model version ${version} not found in this workspace`, {
          issues: [{ field: 'path.version', reason: 'no such model version in this workspace' }],
        });
      return calibrationOf(db, workspaceId, version, options);
    },
    requestTraining(workspaceId, actor) {
      return store.transaction(async (trx: Db) => {
        const state = await readState(trx, workspaceId);
        if (state.learning.retrainPending)
          return {
            queued: false,
            reason: `a training job is already queued (${state.learning.retrainPending})`,
          };
        await queue.enqueue(trx, [
          { name: 'scoring.retrain', workspaceId, payload: { trigger: 'requested' } },
        ]);
        await writeState(
          trx,
          workspaceId,
          { learning: { ...state.learning, retrainPending: 'requested', pendingSince: clock.now() } },
          clock.now(),
        );
        await audit.append(trx, workspaceId, {
          actor,
          action: 'scoring.retrain_queued',
          subject: workspaceId,
          reason: 'retraining requested',
          data: { trigger: 'requested' },
        });
        return { queued: true, reason: 'a training job was queued; GET /v1/models shows its result' };
      });
    },
    leadScore(ctx, lead, actor) {
      // Scoring on request stores the prediction and its audit entry together.
      return store.transaction(async (trx) => {
        const ruleSet = await rules.get(trx, ctx);
        return leadScoreView(
          trx,
          { predictor, registry },
          ctx,
          lead,
          ruleSet.threshold,
          actor,
          clock.now(),
          (record) => audit.append(trx, ctx.workspaceId, record),
        );
      });
    },
  };
}
