import type { AuditLog } from '../compliance/index.ts';
import type { Actor, Clock } from '../core/index.ts';
import { LeadloopError } from '../core/index.ts';
import type { ScoreLine } from '../leads/index.ts';
import type { JobContext } from '../queue/index.ts';
import type { Db, Store } from '../store/index.ts';
import { fromJson } from '../store/index.ts';
import { leadRecord, leadRecordSource, workspaceFeatureSpec } from './lead-features.ts';
import { historiesOf, leadAsOf } from './lead-snapshot.ts';
import { figures, outcomeCounts, requirements } from './learning.ts';
import {
  applyCalibrator,
  auc,
  createScorer,
  type RowSource,
  recalibratedLogLoss,
  type ScoringModel,
} from './ml/index.ts';
import type { ModelMetrics, ModelStatus, ModelVersionRegistry } from './model-version-registry.ts';
import { isModelLine } from './predictive-stage.ts';
import type { TrainingAttempt } from './scoring-state.ts';
import { loadLeads, readState, writeState } from './scoring-state.ts';
import type { WindowedTraining } from './training-windows.ts';
import { COMPARISON_MEASURE, LONG_WINDOW, trainOnWindows } from './training-windows.ts';

/** Training uses at most this many of the workspace's latest outcomes (the long window). */
const MAX_TRAINING_ROWS = LONG_WINDOW;
/** Outcomes that neither model trained on, needed to judge a challenger against the champion. */
const MIN_COMPARISON_OUTCOMES = 50;

interface TrainingResult {
  status: TrainingAttempt['status'];
  reason: string;
  /** The version registered (also when it did not become champion). */
  version: number | null;
  modelStatus: ModelStatus | null;
  metrics: ModelMetrics | null;
  requirements: ReturnType<typeof requirements>;
}

/**
 * Port: whose data may not train a model (wired in main to the privacy ledger). Scoring leaves
 * those outcomes out and the model version says how many and why.
 */
export interface TrainingExclusions {
  /** Of `leadIds`, the leads whose data may not be used for profiling now, each with why. */
  excluded(db: Db, workspaceId: string, leadIds: readonly string[]): Promise<Map<string, string>>;
  /** Outcomes already gone for a reason outside scoring (erased people), counted by reason. */
  removed?(db: Db, workspaceId: string): Promise<Record<string, number>>;
}

/** What a model version says it left out: outcome counts by reason. */
interface TrainingExclusionCounts {
  total: number;
  byReason: Record<string, number>;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** `3 outcomes left out (profiling withdrawn: 2, erased: 1)`, or null when nothing was. */
function exclusionSentence(counts: TrainingExclusionCounts): string | null {
  if (counts.total === 0) return null;
  const parts = Object.entries(counts.byReason)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([why, n]) => `${why}: ${n}`);
  return `${plural(counts.total, 'outcome')} left out (${parts.join(', ')})`;
}

interface TrainOptions {
  trigger: string;
  actor: Actor;
  signal?: AbortSignal;
  onProgress?: (stage: string, fraction: number) => void;
}

export interface TrainingService {
  /**
   * Trains a model on the workspace's outcomes and registers it: champion when it beats the point
   * rules (no champion yet) or the champion (on outcomes neither trained on), challenger otherwise.
   * With more outcomes than the short window, a model on the short window is trained too and
   * the one with the lower recent log-loss goes on (`trainOnWindows`). Too few outcomes or a
   * failed training leave everything as it was and say why.
   */
  train(workspaceId: string, options: TrainOptions): Promise<TrainingResult>;
  /** The `scoring.retrain` job handler. */
  retrainJob(job: JobContext<'scoring.retrain'>): Promise<void>;
}

/**
 * The model's score points on the rows of its window (from `offset`), as the predictive stage gives
 * them to live leads, so the live distribution can be compared with it (PSI).
 */
function trainingScores(model: ScoringModel, source: RowSource, offset: number) {
  const points = new Array<number>(101).fill(0);
  const { probabilities } = createScorer(model).scoreBatch(source);
  for (let i = offset; i < probabilities.length; i++) {
    const p = Math.min(100, Math.max(0, Math.round(100 * (probabilities[i] ?? 0))));
    points[p] = (points[p] ?? 0) + 1;
  }
  return { points, rows: Math.max(0, probabilities.length - offset) };
}

const fixed = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));
const finite = (x: number) => (Number.isFinite(x) ? x : null);

export function createTrainingService(options: {
  store: Store;
  registry: ModelVersionRegistry;
  audit: AuditLog;
  clock: Clock;
  exclusions?: TrainingExclusions;
}): TrainingService {
  const { store, registry, audit, clock } = options;
  const db = store.db;

  async function finish(
    workspaceId: string,
    attempt: TrainingAttempt,
    actor: Actor,
    action: string,
  ): Promise<void> {
    await store.transaction(async (trx) => {
      const state = await readState(trx, workspaceId);
      await writeState(
        trx,
        workspaceId,
        {
          training: attempt,
          learning: { outcomesSinceTraining: 0, retrainPending: null, pendingSince: null },
        },
        clock.now(),
      );
      // Repeated identical refusals (every outcome below the minimum) would flood the trail.
      if (action === 'scoring.training_skipped' && state.training?.reason === attempt.reason) return;
      await audit.append(trx, workspaceId, {
        actor,
        action,
        subject: workspaceId,
        reason: `${attempt.trigger}: ${attempt.reason}`,
        data: { status: attempt.status, labelled: attempt.labelled, conversions: attempt.conversions },
      });
    });
  }

  async function train(workspaceId: string, opts: TrainOptions): Promise<TrainingResult> {
    const progress = opts.onProgress ?? (() => {});
    const state = await readState(db, workspaceId);
    const counts = await outcomeCounts(db, workspaceId);
    const need = requirements(state, counts);
    const attempt = (
      status: TrainingAttempt['status'],
      reason: string,
      version: number | null,
    ): TrainingAttempt => ({
      status,
      at: clock.now(),
      trigger: opts.trigger,
      reason,
      version,
      labelled: counts.labelled,
      conversions: counts.conversions,
    });
    const none = { version: null, modelStatus: null, metrics: null, requirements: need };
    if (!need.ready) {
      const reason = `${need.reason}; the point rules keep scoring`;
      await finish(
        workspaceId,
        attempt('insufficient', reason, null),
        opts.actor,
        'scoring.training_skipped',
      );
      return { status: 'insufficient', reason, ...none };
    }

    progress('load', 0);
    const outcomes = (
      await db
        .selectFrom('lead_outcomes')
        .select(['lead_id', 'converted', 'occurred_at', 'recorded_at'])
        .where('workspace_id', '=', workspaceId)
        .orderBy('occurred_at', 'desc')
        .orderBy('recorded_at', 'desc')
        .orderBy('lead_id', 'desc')
        .limit(MAX_TRAINING_ROWS)
        .execute()
    ).reverse();
    // People who objected to profiling (or restricted processing) do not train models; erased
    // people's outcomes are already gone. Either way the version records how many and why.
    const left = options.exclusions
      ? await options.exclusions.excluded(
          db,
          workspaceId,
          outcomes.map((o) => o.lead_id),
        )
      : new Map<string, string>();
    const byReason: Record<string, number> = {};
    for (const why of left.values()) byReason[why] = (byReason[why] ?? 0) + 1;
    for (const [why, n] of Object.entries((await options.exclusions?.removed?.(db, workspaceId)) ?? {}))
      if (n > 0) byReason[why] = (byReason[why] ?? 0) + n;
    const exclusions: TrainingExclusionCounts = {
      total: Object.values(byReason).reduce((a, b) => a + b, 0),
      byReason,
    };
    const ids = outcomes.filter((o) => !left.has(o.lead_id)).map((o) => o.lead_id);
    const [leads, histories] = await Promise.all([
      loadLeads(db, workspaceId, ids),
      historiesOf(db, workspaceId, ids),
    ]);
    const rows = outcomes.flatMap((o) => {
      if (left.has(o.lead_id)) return [];
      const found = leads.get(o.lead_id);
      return found ? [{ outcome: o, ...found }] : [];
    });
    // Each example is the lead as it stood when its outcome happened (or was reported, if that was
    // earlier): what came in afterwards may be a consequence of the outcome and would leak it.
    const records = rows.map((r) => {
      const cutoff = Math.min(Number(r.outcome.occurred_at), Number(r.outcome.recorded_at));
      const snapshot = leadAsOf(r.lead, histories.get(r.lead.id) ?? [], cutoff);
      return leadRecord(snapshot.lead, snapshot.touches);
    });
    const labels = Uint8Array.from(rows, (r) => (Number(r.outcome.converted) === 1 ? 1 : 0));
    const source = leadRecordSource(records);
    const spec = workspaceFeatureSpec(source);
    progress('load', 1);

    const { champion } = await registry.active(db, workspaceId);
    let windowed: WindowedTraining;
    try {
      windowed = trainOnWindows({ source, labels, spec, clock, signal: opts.signal, onProgress: progress });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      const reason = `training failed, nothing changed (${champion ? `champion v${champion.version} keeps` : 'the point rules keep'} scoring): ${why}`;
      await finish(workspaceId, attempt('failed', reason, null), opts.actor, 'scoring.training_failed');
      if (error instanceof LeadloopError && error.code === 'validation_failed')
        return { status: 'failed', reason, ...none };
      throw error;
    }

    const { trained, offset } = windowed;
    // Validation rows as positions among all the training rows, whichever window was chosen.
    const window = { ...trained.validation, rows: Array.from(trained.validation.rows, (r) => r + offset) };
    const windowLabels = Array.from(window.labels);
    const probabilities = Array.from(window.margins, (m) => applyCalibrator(trained.model.calibrator, m));
    const rulePoints = Array.from(window.rows, (i) =>
      fromJson<ScoreLine[]>(rows[i]!.row.score_breakdown, [])
        .filter((l) => !isModelLine(l))
        .reduce((s, l) => s + l.points, 0),
    );
    const at = (i: number | undefined) =>
      i === undefined ? null : new Date(Number(rows[i]!.outcome.occurred_at)).toISOString();
    const metrics: ModelMetrics = {
      validation: {
        ...figures(probabilities, windowLabels),
        from: at(window.rows[0]),
        to: at(window.rows[window.rows.length - 1]),
      },
      pointRules: { auc: finite(auc(rulePoints, windowLabels)) },
      candidates: trained.model.metadata.candidates,
      selection: trained.model.metadata.selection,
      window: windowed.window,
      comparison: null,
      exclusions,
    };
    metrics.trainingScores = trainingScores(trained.model, source, offset);
    const modelAuc = metrics.validation.auc;
    const rulesAuc = metrics.pointRules.auc;
    const n = window.rows.length;

    let status: ModelStatus;
    let reason: string;
    if (!champion) {
      const beats = modelAuc !== null && (rulesAuc === null || modelAuc > rulesAuc);
      status = beats ? 'champion' : 'retired';
      reason = beats
        ? `AUC ${fixed(modelAuc)} beats the point rules' ${fixed(rulesAuc)} on the latest ${n} outcomes (${metrics.selection})`
        : `AUC ${fixed(modelAuc)} does not beat the point rules' ${fixed(rulesAuc)} on the latest ${n} outcomes; the point rules keep scoring`;
    } else {
      // Judge both on outcomes recorded after the champion was trained: data neither has seen.
      const fresh: number[] = [];
      window.rows.forEach((row, position) => {
        if (Number(rows[row]!.outcome.recorded_at) > champion.trainedAt) fresh.push(position);
      });
      const freshLabels = fresh.map((p) => windowLabels[p]!);
      const positives = freshLabels.reduce((s, v) => s + v, 0);
      if (fresh.length >= MIN_COMPARISON_OUTCOMES && positives > 0 && positives < fresh.length) {
        const scorer = await registry.scorer(db, workspaceId, champion);
        const championLoss = recalibratedLogLoss(
          'platt',
          fresh.map((p) => scorer.marginOf(source.reader(window.rows[p]!))),
          freshLabels,
        );
        const challengerLoss = recalibratedLogLoss(
          'platt',
          fresh.map((p) => window.margins[p]!),
          freshLabels,
        );
        const measure = COMPARISON_MEASURE;
        metrics.comparison = {
          champion: champion.version,
          outcomes: fresh.length,
          championLogLoss: championLoss,
          challengerLogLoss: challengerLoss,
          measure,
        };
        status = challengerLoss < championLoss ? 'champion' : 'challenger';
        reason =
          status === 'champion'
            ? `on the ${fresh.length} latest outcomes since v${champion.version} was trained, log-loss ${challengerLoss.toFixed(4)} beats the champion's ${championLoss.toFixed(4)}`
            : `on the ${fresh.length} latest outcomes since v${champion.version} was trained, log-loss ${challengerLoss.toFixed(4)} does not beat the champion's ${championLoss.toFixed(4)}; scored in shadow beside it`;
      } else {
        status = 'challenger';
        reason = `only ${fresh.length} outcomes of the validation window arrived after champion v${champion.version} was trained (${MIN_COMPARISON_OUTCOMES} with both kinds are needed to compare); scored in shadow beside it until it can be judged`;
      }
    }

    // Which window, and why, comes first: the rest of the reason is about the chosen model.
    if (windowed.reason) reason = `${windowed.reason}; ${reason}`;
    const leftOut = exclusionSentence(exclusions);
    if (leftOut) reason = `${reason}; ${leftOut}`;

    const registered = await store.transaction(async (trx) => {
      const view = await registry.register(
        trx,
        workspaceId,
        { model: trained.model, spec, metrics, status, reason },
        opts.actor,
      );
      await writeState(
        trx,
        workspaceId,
        {
          training: attempt('trained', reason, view.version),
          learning: { outcomesSinceTraining: 0, retrainPending: null, pendingSince: null },
        },
        clock.now(),
      );
      return view;
    });
    progress('register', 1);
    return {
      status: 'trained',
      reason,
      version: registered.version,
      modelStatus: status,
      metrics,
      requirements: need,
    };
  }

  return {
    train,
    async retrainJob(job) {
      await train(job.workspaceId, {
        trigger: job.payload.trigger,
        actor: { type: 'worker', id: 'scoring.retrain' },
        signal: job.signal,
      });
    },
  };
}
