import type { AuditLog } from '../compliance/index.ts';
import type { Actor, Clock } from '../core/index.ts';
import type { Queue } from '../queue/index.ts';
import type { Db } from '../store/index.ts';
import type { RateInterval } from './ml/index.ts';
import { evaluateProbabilities, streamReport, wilsonInterval } from './ml/index.ts';
import type { ModelFigures, ModelVersionRegistry } from './model-version-registry.ts';
import type { LearningState, ScoringState, TrainingAttempt } from './scoring-state.ts';
import { readState, writeState } from './scoring-state.ts';

const SYSTEM: Actor = { type: 'system', id: 'scoring.learning' };

/** Outcomes a challenger needs, scored in shadow beside the champion, before it can be promoted. */
export const MIN_SHADOW_OUTCOMES = 50;
/** The recent window continuous learning watches. */
export const RECENT_WINDOW = 200;
/** Outcomes of the champion's predictions needed before a performance drop is believed. */
const MIN_DRIFT_OUTCOMES = 50;
/** A retraining job queued longer ago than this is presumed lost. */
const PENDING_EXPIRY_MS = 3_600_000;

/** Figures of a set of predictions; NaN-free for JSON (null where undefined). */
export function figures(probabilities: ArrayLike<number>, labels: ArrayLike<number>): ModelFigures {
  const m = evaluateProbabilities(probabilities, labels);
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    rows: m.rows,
    positives: m.positives,
    auc: finite(m.auc),
    logLoss: finite(m.logLoss),
    ece: finite(m.ece),
    liftTopDecile: finite(m.liftTopDecile),
  };
}

/** How many leads have an outcome, and how many of them converted. */
export async function outcomeCounts(
  db: Db,
  workspaceId: string,
): Promise<{ labelled: number; conversions: number }> {
  const row = await db
    .selectFrom('lead_outcomes')
    .select((eb) => [
      eb.fn.countAll<number>().as('labelled'),
      eb.fn.sum<number>('converted').as('conversions'),
    ])
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return { labelled: Number(row?.labelled ?? 0), conversions: Number(row?.conversions ?? 0) };
}

/** What the workspace still needs before a model can be trained; `ready` when nothing. */
export function requirements(
  state: ScoringState,
  counts: { labelled: number; conversions: number },
): {
  ready: boolean;
  labelled: number;
  conversions: number;
  nonConversions: number;
  minimumOutcomes: number;
  minimumConversions: number;
  moreOutcomesNeeded: number;
  moreConversionsNeeded: number;
  moreNonConversionsNeeded: number;
  reason: string;
} {
  const { minimumOutcomes, minimumConversions } = state.settings;
  const nonConversions = counts.labelled - counts.conversions;
  const moreOutcomesNeeded = Math.max(0, minimumOutcomes - counts.labelled);
  const moreConversionsNeeded = Math.max(0, minimumConversions - counts.conversions);
  const moreNonConversionsNeeded = Math.max(0, minimumConversions - nonConversions);
  const missing: string[] = [];
  if (moreConversionsNeeded > 0) missing.push(`${moreConversionsNeeded} more conversions`);
  if (moreNonConversionsNeeded > 0) missing.push(`${moreNonConversionsNeeded} more non-conversions`);
  if (moreOutcomesNeeded > 0) missing.push(`${moreOutcomesNeeded} more leads with an outcome`);
  const ready = missing.length === 0;
  return {
    ready,
    labelled: counts.labelled,
    conversions: counts.conversions,
    nonConversions,
    minimumOutcomes,
    minimumConversions,
    moreOutcomesNeeded,
    moreConversionsNeeded,
    moreNonConversionsNeeded,
    reason: ready
      ? `${counts.labelled} leads with an outcome, ${counts.conversions} converted: enough to train (minimum ${minimumOutcomes} outcomes and ${minimumConversions} of each kind)`
      : `${counts.labelled} leads with an outcome, ${counts.conversions} converted; a model needs at least ${minimumOutcomes} outcomes with ${minimumConversions} conversions and ${minimumConversions} non-conversions: ${missing.join(', ')}`,
  };
}

interface PairRow {
  probability: number | null;
  challenger_probability: number | null;
  converted: number;
}

/** Log-loss without clipping surprises: probabilities are already in (0, 1) from the calibrators. */
function meanLogLoss(probabilities: number[], labels: number[]): number {
  let sum = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = Math.min(1 - 1e-12, Math.max(1e-12, probabilities[i]!));
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / Math.max(1, probabilities.length);
}

/** The prequential report of `leadloop evaluate`. */
export interface EvaluationReport {
  /** Outcomes whose lead was scored by a model before the outcome was known (test-then-train). */
  predictions: number;
  overall: ModelFigures | null;
  recent: ModelFigures | null;
  observedRate: RateInterval | null;
  byVersion: ({ version: number } & ModelFigures)[];
  blocks: {
    from: number;
    to: number;
    rate: number;
    meanPrediction: number;
    auc: number | null;
    ece: number | null;
  }[];
  shadow: {
    champion: number;
    challenger: number;
    outcomes: number;
    championLogLoss: number | null;
    challengerLogLoss: number | null;
    needed: number;
  } | null;
  learning: LearningState;
  training: TrainingAttempt | null;
  reason: string;
}

export interface Learning {
  /**
   * Bookkeeping after an outcome was recorded or changed, inside its transaction: promotes a
   * challenger that beat the champion in shadow, and queues a retraining job when enough new
   * outcomes arrived or the champion's recent performance dropped.
   */
  afterOutcome(db: Db, workspaceId: string): Promise<{ retrain: string | null; promoted: number | null }>;
  report(db: Db, workspaceId: string): Promise<EvaluationReport>;
}

export function createLearning(options: {
  registry: ModelVersionRegistry;
  queue: Queue;
  audit: AuditLog;
  clock: Clock;
}): Learning {
  const { registry, queue, audit, clock } = options;

  async function shadowPairs(db: Db, workspaceId: string, champion: number, challenger: number) {
    const rows: PairRow[] = await db
      .selectFrom('lead_outcomes')
      .select(['probability', 'challenger_probability', 'converted'])
      .where('workspace_id', '=', workspaceId)
      .where('model_version', '=', champion)
      .where('challenger_version', '=', challenger)
      .orderBy('recorded_at', 'desc')
      .limit(500)
      .execute();
    const pairs = rows.filter((r) => r.probability !== null && r.challenger_probability !== null);
    const labels = pairs.map((r) => Number(r.converted));
    return {
      outcomes: pairs.length,
      labels,
      champion: pairs.map((r) => Number(r.probability)),
      challenger: pairs.map((r) => Number(r.challenger_probability)),
    };
  }

  async function recentOfChampion(db: Db, workspaceId: string, version: number) {
    const rows = await db
      .selectFrom('lead_outcomes')
      .select(['probability', 'converted'])
      .where('workspace_id', '=', workspaceId)
      .where('model_version', '=', version)
      .orderBy('recorded_at', 'desc')
      .limit(RECENT_WINDOW)
      .execute();
    const kept = rows.filter((r) => r.probability !== null);
    return figures(
      kept.map((r) => Number(r.probability)),
      kept.map((r) => Number(r.converted)),
    );
  }

  return {
    async afterOutcome(db, workspaceId) {
      const now = clock.now();
      const state = await readState(db, workspaceId);
      const learning: LearningState = {
        ...state.learning,
        outcomesSinceTraining: state.learning.outcomesSinceTraining + 1,
      };
      const { champion, challenger } = await registry.active(db, workspaceId);

      let promoted: number | null = null;
      if (champion && challenger) {
        const pairs = await shadowPairs(db, workspaceId, champion.version, challenger.version);
        const positives = pairs.labels.reduce((s, v) => s + v, 0);
        if (pairs.outcomes >= MIN_SHADOW_OUTCOMES && positives > 0 && positives < pairs.outcomes) {
          const championLoss = meanLogLoss(pairs.champion, pairs.labels);
          const challengerLoss = meanLogLoss(pairs.challenger, pairs.labels);
          if (challengerLoss < championLoss) {
            await registry.promoteIn(
              db,
              workspaceId,
              challenger.version,
              `scored in shadow beside v${champion.version} on the latest ${pairs.outcomes} outcomes, its log-loss ${challengerLoss.toFixed(4)} beat the champion's ${championLoss.toFixed(4)}`,
              SYSTEM,
            );
            promoted = challenger.version;
          }
        }
      }

      let retrain: string | null = null;
      const settings = state.settings;
      // A queued job that never finished (dead after its retries) must not block learning forever.
      const pending =
        learning.retrainPending !== null && now - (learning.pendingSince ?? 0) < PENDING_EXPIRY_MS;
      if (settings.autoRetrain && !pending && promoted === null) {
        const need = requirements(state, await outcomeCounts(db, workspaceId));
        if (!champion) {
          const neverTriedWithEnough = state.training === null || state.training.status === 'insufficient';
          if (need.ready && (neverTriedWithEnough || learning.outcomesSinceTraining >= settings.retrainEvery))
            retrain = neverTriedWithEnough ? 'minimum-reached' : 'new-outcomes';
        } else if (learning.outcomesSinceTraining >= settings.retrainEvery) {
          retrain = 'new-outcomes';
        } else if (learning.outcomesSinceTraining >= 25) {
          const recent = await recentOfChampion(db, workspaceId, champion.version);
          const validation = (await registry.get(db, workspaceId, champion.version))?.metrics.validation;
          if (
            validation &&
            recent.rows >= MIN_DRIFT_OUTCOMES &&
            ((recent.logLoss !== null &&
              validation.logLoss !== null &&
              recent.logLoss > 1.25 * validation.logLoss + 0.02) ||
              (recent.auc !== null && validation.auc !== null && recent.auc < validation.auc - 0.1))
          )
            retrain = 'performance-drop';
        }
      }
      if (retrain) {
        await queue.enqueue(db, [{ name: 'scoring.retrain', workspaceId, payload: { trigger: retrain } }]);
        learning.retrainPending = retrain;
        learning.pendingSince = now;
        await audit.append(db, workspaceId, {
          actor: SYSTEM,
          action: 'scoring.retrain_queued',
          subject: workspaceId,
          reason: `retraining queued: ${retrain} (${learning.outcomesSinceTraining} outcomes since the last training)`,
          data: { trigger: retrain, outcomesSinceTraining: learning.outcomesSinceTraining },
        });
      }
      await writeState(db, workspaceId, { learning }, now);
      return { retrain, promoted };
    },

    async report(db, workspaceId) {
      const state = await readState(db, workspaceId);
      const rows = (
        await db
          .selectFrom('lead_outcomes')
          .select(['probability', 'model_version', 'converted', 'recorded_at'])
          .where('workspace_id', '=', workspaceId)
          .where('probability', 'is not', null)
          .orderBy('recorded_at', 'desc')
          .limit(20_000)
          .execute()
      ).reverse();
      const probabilities = rows.map((r) => Number(r.probability));
      const labels = rows.map((r) => Number(r.converted));
      const versions = [...new Set(rows.map((r) => Number(r.model_version)))].sort((a, b) => a - b);
      const byVersion = versions.map((version) => {
        const idx = rows.flatMap((r, i) => (Number(r.model_version) === version ? [i] : []));
        return {
          version,
          ...figures(
            idx.map((i) => probabilities[i]!),
            idx.map((i) => labels[i]!),
          ),
        };
      });
      const { champion, challenger } = await registry.active(db, workspaceId);
      let shadow: EvaluationReport['shadow'] = null;
      if (champion && challenger) {
        const pairs = await shadowPairs(db, workspaceId, champion.version, challenger.version);
        shadow = {
          champion: champion.version,
          challenger: challenger.version,
          outcomes: pairs.outcomes,
          championLogLoss: pairs.outcomes ? meanLogLoss(pairs.champion, pairs.labels) : null,
          challengerLogLoss: pairs.outcomes ? meanLogLoss(pairs.challenger, pairs.labels) : null,
          needed: MIN_SHADOW_OUTCOMES,
        };
      }
      const finite = (x: number) => (Number.isFinite(x) ? x : null);
      const stream = rows.length > 0 ? streamReport(probabilities, labels, 100) : null;
      const positives = labels.reduce((s, v) => s + v, 0);
      return {
        predictions: rows.length,
        overall: rows.length ? figures(probabilities, labels) : null,
        recent: rows.length
          ? figures(probabilities.slice(-RECENT_WINDOW), labels.slice(-RECENT_WINDOW))
          : null,
        observedRate: rows.length ? wilsonInterval(positives, rows.length, 0.9) : null,
        byVersion,
        blocks: (stream?.blocks ?? []).map((b) => ({ ...b, auc: finite(b.auc), ece: finite(b.ece) })),
        shadow,
        learning: state.learning,
        training: state.training,
        reason:
          rows.length === 0
            ? 'no outcome has arrived yet for a lead that a model scored; the test-then-train log starts with the first champion'
            : `${rows.length} outcomes, each judged against the prediction made before it was known`,
      };
    },
  };
}
