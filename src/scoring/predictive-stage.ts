import type { Actor, WorkspaceContext } from '../core/index.ts';
import type { PipelineStage, ScoreLine, ScoringLeadFields, StageContext } from '../leads/index.ts';
import type { Db } from '../store/index.ts';
import { dbOf, fromJson, toJson, workspaceRow } from '../store/index.ts';
import { leadRecord, segmentOf } from './lead-features.ts';
import type { ScoreFactor } from './ml/index.ts';
import type { ActiveModel, ModelVersionRegistry } from './model-version-registry.ts';
import type { ScoringState } from './scoring-state.ts';
import { readState, touchesOf } from './scoring-state.ts';

/** A model's decision about one lead, with its reasons. */
export interface Prediction {
  modelVersion: number;
  kind: string;
  /** Calibrated probability of conversion. */
  probability: number;
  /** round(100 · probability): the line added to the lead's score. */
  points: number;
  /** The strongest reasons, in words, largest effect first. */
  factors: ScoreFactor[];
  segment: string;
  /** The segment's qualification threshold, when value and cost are configured and outcomes known. */
  threshold: number | null;
  /** The challenger's probability, scored in shadow; it does not affect the lead. */
  challenger: { version: number; probability: number } | null;
  scoredAt: number;
}

export interface Predictor {
  /** The champion's (and in shadow the challenger's) prediction; null while the workspace has no champion. */
  predict(
    db: Db,
    workspaceId: string,
    lead: ScoringLeadFields,
    options: { touches?: number; now: number; state?: ScoringState },
  ): Promise<Prediction | null>;
  /** The latest stored prediction of a lead. */
  stored(db: Db, workspaceId: string, leadId: string): Promise<Prediction | null>;
  save(db: Db, workspaceId: string, leadId: string, prediction: Prediction): Promise<void>;
  /** The audit record of a decision: figures and feature names, no field values (they may be personal). */
  auditRecord(
    leadId: string,
    prediction: Prediction,
  ): { action: string; subject: string; reason: string; data: Record<string, unknown> };
}

const pct = (p: number) => `${(100 * p).toFixed(p < 0.1 ? 1 : 0)}%`;
const signed = (x: number) => `${x >= 0 ? '+' : '-'}${Math.abs(x).toFixed(2)}`;

/** The score line a prediction adds after the point rules. */
function predictionLine(prediction: Prediction): ScoreLine {
  const reasons = prediction.factors.map((f) => f.text).join('; ');
  return {
    ruleId: `model-v${prediction.modelVersion}`,
    description: `Predictive model v${prediction.modelVersion}: ${pct(prediction.probability)} likely to convert${reasons ? ` (${reasons})` : ''}`,
    points: prediction.points,
  };
}

/** Whether a score line came from a predictive model rather than the point rules or chat. */
export const isModelLine = (line: ScoreLine): boolean => line.ruleId.startsWith('model-v');

export function createPredictor(registry: ModelVersionRegistry): Predictor {
  const scoreWith = async (
    db: Db,
    workspaceId: string,
    model: ActiveModel,
    record: Record<string, unknown>,
  ) => {
    const scorer = await registry.scorer(db, workspaceId, model);
    return scorer.score(record as Parameters<typeof scorer.score>[0]);
  };

  return {
    async predict(db, workspaceId, lead, options) {
      const { champion, challenger } = await registry.active(db, workspaceId);
      if (!champion) return null;
      const touches = options.touches ?? (await touchesOf(db, workspaceId, [lead.id])).get(lead.id) ?? 0;
      const record = leadRecord(lead, touches);
      const result = await scoreWith(db, workspaceId, champion, record);
      const shadow = challenger ? await scoreWith(db, workspaceId, challenger, record) : null;
      const state = options.state ?? (await readState(db, workspaceId));
      const thresholds = state.thresholds;
      const segment = segmentOf(lead, thresholds?.segmentBy ?? state.settings.segmentBy);
      const threshold = thresholds ? (thresholds.segments[segment] ?? thresholds.workspace) : null;
      return {
        modelVersion: champion.version,
        kind: champion.kind,
        probability: result.probability,
        points: Math.round(100 * result.probability),
        factors: result.factors,
        segment,
        threshold,
        challenger:
          challenger && shadow ? { version: challenger.version, probability: shadow.probability } : null,
        scoredAt: options.now,
      };
    },
    async stored(db, workspaceId, leadId) {
      const row = await workspaceRow(db, 'lead_scores', workspaceId, { lead_id: leadId });
      if (!row) return null;
      return {
        modelVersion: Number(row.model_version),
        kind: '',
        probability: Number(row.probability),
        points: Number(row.points),
        factors: fromJson<ScoreFactor[]>(row.factors, []),
        segment: row.segment,
        threshold: row.threshold === null ? null : Number(row.threshold),
        challenger:
          row.challenger_version === null || row.challenger_probability === null
            ? null
            : { version: Number(row.challenger_version), probability: Number(row.challenger_probability) },
        scoredAt: Number(row.scored_at),
      };
    },
    async save(db, workspaceId, leadId, prediction) {
      const values = {
        model_version: prediction.modelVersion,
        probability: prediction.probability,
        points: prediction.points,
        factors: toJson(prediction.factors),
        segment: prediction.segment,
        threshold: prediction.threshold,
        challenger_version: prediction.challenger?.version ?? null,
        challenger_probability: prediction.challenger?.probability ?? null,
        scored_at: prediction.scoredAt,
      };
      await db
        .insertInto('lead_scores')
        .values({ workspace_id: workspaceId, lead_id: leadId, ...values })
        .onConflict((oc) => oc.columns(['workspace_id', 'lead_id']).doUpdateSet(values))
        .execute();
    },
    auditRecord(leadId, prediction) {
      const factors = prediction.factors.map((f) => ({ feature: f.feature, contribution: f.contribution }));
      return {
        action: 'lead.predicted',
        subject: leadId,
        reason: `model v${prediction.modelVersion}: probability ${prediction.probability.toFixed(3)} (${prediction.points} points); top factors ${factors.map((f) => `${f.feature} ${signed(f.contribution)}`).join(', ') || 'none'}`,
        data: {
          modelVersion: prediction.modelVersion,
          probability: prediction.probability,
          points: prediction.points,
          factors,
          threshold: prediction.threshold,
          challenger: prediction.challenger,
        },
      };
    },
  };
}

/** A prediction worth a new audit entry: another model, or a probability that moved. */
function changed(previous: Prediction | null, next: Prediction): boolean {
  return (
    previous === null ||
    previous.modelVersion !== next.modelVersion ||
    Math.abs(previous.probability - next.probability) >= 0.005
  );
}

/**
 * The pipeline stage: when the workspace has a champion model, adds its score line after the point
 * rules, qualifies the lead when its probability reaches its segment's threshold, stores the
 * explanation, and audits the decision when it changed.
 */
export function createPredictiveStage(options: {
  registry: ModelVersionRegistry;
  predictor: Predictor;
}): PipelineStage {
  const { registry, predictor } = options;
  async function scoreWith(ctx: StageContext): Promise<void> {
    const lead = ctx.lead;
    const scoring = ctx.scoring;
    if (!lead || !scoring) return;
    const workspaceId = ctx.tenant.workspaceId;
    const db = dbOf(ctx.db);
    // The event being processed is not in the history yet: it is this lead's next submission.
    const before = ctx.existing ? ((await touchesOf(db, workspaceId, [lead.id])).get(lead.id) ?? 0) : 0;
    const prediction = await predictor.predict(db, workspaceId, lead, {
      touches: before + 1,
      now: ctx.now,
    });
    if (!prediction) return;
    scoring.lines.push(predictionLine(prediction));
    scoring.prediction = { version: prediction.modelVersion, probability: prediction.probability };
    if (
      scoring.qualifiedBy === null &&
      prediction.threshold !== null &&
      prediction.probability >= prediction.threshold
    )
      scoring.qualifiedBy = `model v${prediction.modelVersion}: probability ${pct(prediction.probability)} reached the ${pct(prediction.threshold)} threshold of segment "${prediction.segment}"`;
    const previous = await predictor.stored(db, workspaceId, lead.id);
    await predictor.save(db, workspaceId, lead.id, prediction);
    if (changed(previous, prediction)) ctx.audit(predictor.auditRecord(lead.id, prediction));
  }

  const stage: PipelineStage = {
    name: 'score-model',
    async run(ctx) {
      await stage.runBatch?.([ctx]);
    },
    // The champion is looked up once per workspace of the batch; most workspaces have none.
    async runBatch(batch) {
      const champions = new Map<string, boolean>();
      for (const ctx of batch) {
        if (!ctx.lead || !ctx.scoring) continue;
        const workspaceId = ctx.tenant.workspaceId;
        let has = champions.get(workspaceId);
        if (has === undefined) {
          has = (await registry.active(dbOf(ctx.db), workspaceId)).champion !== null;
          champions.set(workspaceId, has);
        }
        if (has) await scoreWith(ctx);
      }
    },
  };
  return stage;
}

/** A lead's current score as `GET /v1/leads/{id}/score` shows it. */
export interface LeadScoreView {
  leadId: string;
  score: number;
  status: string;
  /** What decides the lead's score now. */
  scorer: string;
  rules: { points: number; threshold: number; lines: ScoreLine[] };
  model: Prediction | null;
  reason: string;
}

/** The lead's score and explanation; scores it with the champion first when it has no current prediction. */
export async function leadScoreView(
  db: Db,
  deps: { predictor: Predictor; registry: ModelVersionRegistry },
  ctx: WorkspaceContext,
  lead: ScoringLeadFields & { score: number; scoreBreakdown: ScoreLine[] },
  rulesThreshold: number,
  actor: Actor,
  now: number,
  append: (record: ReturnType<Predictor['auditRecord']> & { actor: Actor }) => Promise<unknown>,
): Promise<LeadScoreView> {
  const ruleLines = lead.scoreBreakdown.filter((l) => !isModelLine(l));
  const rules = {
    points: ruleLines.reduce((s, l) => s + l.points, 0),
    threshold: rulesThreshold,
    lines: ruleLines,
  };
  const { champion } = await deps.registry.active(db, ctx.workspaceId);
  let model = await deps.predictor.stored(db, ctx.workspaceId, lead.id);
  if (champion && (!model || model.modelVersion !== champion.version)) {
    model = await deps.predictor.predict(db, ctx.workspaceId, lead, { now });
    if (model) {
      await deps.predictor.save(db, ctx.workspaceId, lead.id, model);
      await append({ ...deps.predictor.auditRecord(lead.id, model), actor });
    }
  }
  if (model)
    model = { ...model, kind: champion?.version === model.modelVersion ? champion.kind : model.kind };
  const scorer = champion
    ? `model v${champion.version} (${champion.kind}) after the point rules`
    : 'point rules';
  const reason = champion
    ? model && !lead.scoreBreakdown.some((l) => l.ruleId === `model-v${champion.version}`)
      ? `model v${champion.version} scored this lead on request; its stored score (${lead.score}) is from before the model and changes with the lead's next event`
      : `score = point rules ${rules.points} + model ${model?.points ?? 0} points`
    : model
      ? `the workspace has no champion model now (see GET /v1/models); the stored score still holds model v${model.modelVersion}'s ${model.points} points until the lead's next event`
      : 'the workspace has no champion model; see GET /v1/models for why';
  return { leadId: lead.id, score: lead.score, status: lead.status, scorer, rules, model, reason };
}
