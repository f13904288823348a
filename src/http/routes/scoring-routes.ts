import { z } from 'zod';
import { LeadloopError } from '../../core/index.ts';
import type { ModelVersionView, Prediction, StoredOutcome } from '../../scoring/index.ts';
import { outcomeInputSchema, scoringSettingsSchema } from '../../scoring/index.ts';
import type { HttpDeps } from '../deps.ts';
import { actorOf, type DeclareRoute, workspaceOf } from '../route.ts';
import { idParam, iso, isoOrNull, scoreLineSchema } from '../schemas.ts';

const leadId = idParam('lead');
const reasonBody = z
  .object({ reason: z.string().trim().min(3).max(500).describe('Why; kept in the audit trail.') })
  .strict();

const outcomeSchema = z.object({
  leadId: z.string(),
  converted: z.boolean(),
  value: z.number().nullable(),
  occurredAt: z.iso.datetime(),
  recordedAt: z.iso.datetime(),
  revision: z.number().int(),
});

const factorSchema = z.object({
  feature: z.string(),
  value: z.string(),
  contribution: z.number(),
  text: z.string(),
});

const predictionSchema = z.object({
  modelVersion: z.number().int(),
  kind: z.string(),
  probability: z.number(),
  points: z.number().int(),
  factors: z.array(factorSchema),
  segment: z.string(),
  threshold: z.number().nullable(),
  challenger: z.object({ version: z.number().int(), probability: z.number() }).nullable(),
  scoredAt: z.iso.datetime(),
});

const leadScoreSchema = z.object({
  leadId: z.string(),
  score: z.number(),
  status: z.string(),
  scorer: z.string(),
  rules: z.object({ points: z.number(), threshold: z.number(), lines: z.array(scoreLineSchema) }),
  model: predictionSchema.nullable(),
  reason: z.string(),
});

const figuresSchema = z.object({
  rows: z.number().int(),
  positives: z.number().int(),
  auc: z.number().nullable(),
  logLoss: z.number().nullable(),
  ece: z.number().nullable(),
  liftTopDecile: z.number().nullable(),
});

const modelVersionSchema = z.object({
  version: z.number().int(),
  id: z.string(),
  status: z.enum(['champion', 'challenger', 'retired']),
  kind: z.string(),
  trainedAt: z.iso.datetime(),
  rows: z.number().int(),
  positives: z.number().int(),
  metrics: z.object({
    validation: figuresSchema.extend({ from: z.string().nullable(), to: z.string().nullable() }),
    pointRules: z.object({ auc: z.number().nullable() }),
    candidates: z.array(z.record(z.string(), z.unknown())),
    selection: z.string(),
    comparison: z.record(z.string(), z.unknown()).nullable(),
    exclusions: z
      .object({ total: z.number().int(), byReason: z.record(z.string(), z.number().int()) })
      .optional()
      .describe('Outcomes left out of training, by reason (profiling withdrawn, erased people).'),
    trainingScores: z
      .object({ points: z.array(z.number().int()), rows: z.number().int() })
      .optional()
      .describe(
        "The model's scores on its training window: rows per score point 0–100, the reference its live score drift (PSI) is measured against. Absent on versions trained before it was recorded.",
      ),
  }),
  features: z.array(z.object({ name: z.string(), kind: z.string(), label: z.string() })),
  reason: z.string(),
  replacesVersion: z.number().int().nullable(),
  promotedAt: z.iso.datetime().nullable(),
  retiredAt: z.iso.datetime().nullable(),
});

const thresholdSchema = z.object({
  segment: z.string(),
  threshold: z.number(),
  n: z.number().int(),
  conversions: z.number().int(),
  rate: z.number(),
  interval: z.object({ lower: z.number(), upper: z.number(), confidence: z.number() }),
  predictedRate: z.number(),
  weight: z.number(),
  reason: z.string(),
});

const settingsSchema = z.object({
  valuePerConversion: z.number().nullable(),
  costPerLead: z.number().nullable(),
  segmentBy: z.string(),
  minimumOutcomes: z.number().int(),
  minimumConversions: z.number().int(),
  retrainEvery: z.number().int(),
  autoRetrain: z.boolean(),
  version: z.number().int(),
});

function outcomeJson(outcome: StoredOutcome) {
  return { ...outcome, occurredAt: iso(outcome.occurredAt), recordedAt: iso(outcome.recordedAt) };
}

function modelJson(view: ModelVersionView) {
  return {
    ...view,
    trainedAt: iso(view.trainedAt),
    promotedAt: isoOrNull(view.promotedAt),
    retiredAt: isoOrNull(view.retiredAt),
  };
}

function predictionJson(prediction: Prediction | null) {
  return prediction ? { ...prediction, scoredAt: iso(prediction.scoredAt) } : null;
}

const notFound = (id: string) =>
  new LeadloopError('not_found', `lead ${id} not found in this workspace`, {
    issues: [{ field: 'path.id', reason: 'no such lead in this workspace' }],
  });

/** Predictive scoring: outcomes, the model registry, explanations, thresholds, forecasts. */
export function registerScoringRoutes(route: DeclareRoute, deps: HttpDeps): void {
  const { predictive } = deps;

  route({
    method: 'POST',
    url: '/v1/leads/:id/outcome',
    operationId: 'recordLeadOutcome',
    summary: 'Report whether a lead converted (idempotent; a different outcome replaces the earlier one)',
    description:
      'The same body again returns the same answer and changes nothing. A different outcome replaces the earlier one and is audited as a change. Each outcome feeds continuous learning: the prediction made before it was known is logged, and retraining is queued when enough new outcomes arrived or performance dropped.',
    tag: 'Scoring',
    auth: 'ingest',
    params: z.object({ id: leadId }),
    body: outcomeInputSchema,
    responses: { 200: { description: 'The outcome as stored', schema: outcomeSchema } },
    async handler({ principal, params, body }) {
      const ctx = workspaceOf(principal);
      const result = await predictive.outcomes.record(ctx, params.id, body, actorOf(principal), 'api');
      return outcomeJson(result.outcome);
    },
  });

  route({
    method: 'GET',
    url: '/v1/leads/:id/score',
    operationId: 'getLeadScore',
    summary: "A lead's current score with its explanation: point-rule lines and the model's top factors",
    description:
      'When the workspace has a champion model and the lead has no prediction from it yet, the lead is scored now; the decision (model version, probability, factors) lands in the audit trail.',
    tag: 'Scoring',
    auth: 'read',
    params: z.object({ id: leadId }),
    responses: { 200: { description: 'The score and its reasons', schema: leadScoreSchema } },
    async handler({ principal, params }) {
      const ctx = workspaceOf(principal);
      const lead = await deps.leads.find(ctx, params.id);
      if (!lead) throw notFound(params.id);
      const view = await predictive.leadScore(ctx, lead, actorOf(principal));
      return { ...view, model: predictionJson(view.model) };
    },
  });

  route({
    method: 'GET',
    url: '/v1/models',
    operationId: 'listModels',
    summary: 'Model versions of the workspace, what scores leads now, and why',
    description:
      'While a workspace has too few outcomes it keeps its point rules; `reason` and `requirements` say how many more conversions it needs.',
    tag: 'Scoring',
    auth: 'read',
    responses: {
      200: {
        description: 'The registry',
        schema: z.object({
          items: z.array(modelVersionSchema),
          scorer: z.string(),
          champion: z.number().int().nullable(),
          challenger: z.number().int().nullable(),
          reason: z.string(),
          requirements: z.record(z.string(), z.unknown()),
          training: z.record(z.string(), z.unknown()).nullable(),
          learning: z.record(z.string(), z.unknown()),
        }),
      },
    },
    async handler({ principal }) {
      const ctx = workspaceOf(principal);
      const overview = await predictive.models(ctx.workspaceId);
      return {
        ...overview,
        items: overview.items.map(modelJson),
        training: overview.training ? { ...overview.training, at: iso(overview.training.at) } : null,
      };
    },
  });

  route({
    method: 'GET',
    url: '/v1/models/:version/calibration',
    operationId: 'getModelCalibration',
    summary: "A model version's calibration: predicted probability bins against the observed conversion rate",
    description:
      'Read from the latest outcomes that carry the probability this version gave the lead before the outcome ' +
      'was known (as champion, or as challenger in shadow). Empty bins have null means.',
    tag: 'Scoring',
    auth: 'read',
    params: z.object({ version: z.coerce.number().int().positive() }),
    query: z
      .object({
        bins: z.coerce.number().int().min(2).max(20).default(10),
        limit: z.coerce.number().int().min(10).max(10_000).default(2000).describe('Latest outcomes to read'),
      })
      .strict(),
    responses: {
      200: {
        description: 'The bins, with counts',
        schema: z.object({
          version: z.number().int(),
          outcomes: z.number().int(),
          conversions: z.number().int(),
          from: z.iso.datetime().nullable(),
          to: z.iso.datetime().nullable(),
          ece: z.number().nullable().describe('Expected calibration error over the bins'),
          bins: z.array(
            z.object({
              lower: z.number(),
              upper: z.number(),
              count: z.number().int(),
              conversions: z.number().int(),
              meanPredicted: z.number().nullable(),
              observedRate: z.number().nullable(),
            }),
          ),
        }),
      },
    },
    async handler({ principal, params, query }) {
      const ctx = workspaceOf(principal);
      const calibration = await predictive.calibration(ctx.workspaceId, params.version, query);
      return { ...calibration, from: isoOrNull(calibration.from), to: isoOrNull(calibration.to) };
    },
  });

  route({
    method: 'POST',
    url: '/v1/models/train',
    operationId: 'trainModel',
    summary: "Queue training on the workspace's outcomes now",
    tag: 'Scoring',
    auth: 'admin',
    status: 202,
    responses: {
      202: {
        description: 'Queued (or already queued)',
        schema: z.object({ queued: z.boolean(), reason: z.string() }),
      },
    },
    async handler({ principal }) {
      const ctx = workspaceOf(principal);
      const result = await predictive.requestTraining(ctx.workspaceId, actorOf(principal));
      return result;
    },
  });

  route({
    method: 'POST',
    url: '/v1/models/:version/promote',
    operationId: 'promoteModel',
    summary: 'Make a model version the champion (audited with the reason)',
    tag: 'Scoring',
    auth: 'admin',
    params: z.object({ version: z.coerce.number().int().positive() }),
    body: reasonBody,
    responses: { 200: { description: 'The new champion', schema: modelVersionSchema } },
    async handler({ principal, params, body }) {
      const ctx = workspaceOf(principal);
      return modelJson(
        await predictive.registry.promote(ctx.workspaceId, params.version, body.reason, actorOf(principal)),
      );
    },
  });

  route({
    method: 'POST',
    url: '/v1/models/rollback',
    operationId: 'rollbackModel',
    summary: 'Retire the champion and restore the one it replaced (or the point rules)',
    tag: 'Scoring',
    auth: 'admin',
    body: reasonBody,
    responses: {
      200: {
        description: 'The retired version and the champion now serving (null: point rules)',
        schema: z.object({ retired: modelVersionSchema, champion: modelVersionSchema.nullable() }),
      },
    },
    async handler({ principal, body }) {
      const ctx = workspaceOf(principal);
      const result = await predictive.registry.rollback(ctx.workspaceId, body.reason, actorOf(principal));
      return {
        retired: modelJson(result.retired),
        champion: result.champion ? modelJson(result.champion) : null,
      };
    },
  });

  route({
    method: 'GET',
    url: '/v1/scoring/thresholds',
    operationId: 'getScoringThresholds',
    summary: 'Qualification threshold per segment with its evidence (n, rate, Wilson interval, reason)',
    description:
      'Thresholds maximise expected value from the configured value of a conversion and cost per lead; small segments borrow strength from the workspace. A change from the thresholds last computed is stored (the pipeline qualifies by them) and audited.',
    tag: 'Scoring',
    auth: 'read',
    responses: {
      200: {
        description: 'Thresholds',
        schema: z.object({
          segmentBy: z.string(),
          valuePerConversion: z.number().nullable(),
          costPerLead: z.number().nullable(),
          breakEven: z.number().nullable(),
          workspace: thresholdSchema.nullable(),
          items: z.array(thresholdSchema),
          outcomes: z.number().int(),
          reason: z.string(),
        }),
      },
    },
    async handler({ principal }) {
      const ctx = workspaceOf(principal);
      return predictive.insights.thresholds(ctx.workspaceId, actorOf(principal));
    },
  });

  route({
    method: 'GET',
    url: '/v1/scoring/settings',
    operationId: 'getScoringSettings',
    summary: 'Value of a conversion, cost per lead, segments and training rules',
    tag: 'Scoring',
    auth: 'read',
    responses: { 200: { description: 'The settings', schema: settingsSchema } },
    async handler({ principal }) {
      const ctx = workspaceOf(principal);
      return predictive.insights.getSettings(ctx.workspaceId);
    },
  });

  route({
    method: 'PUT',
    url: '/v1/scoring/settings',
    operationId: 'updateScoringSettings',
    summary: 'Replace the scoring settings (audited; thresholds are recomputed)',
    tag: 'Scoring',
    auth: 'admin',
    body: scoringSettingsSchema,
    responses: { 200: { description: 'The settings', schema: settingsSchema } },
    async handler({ principal, body }) {
      const ctx = workspaceOf(principal);
      return predictive.insights.putSettings(ctx.workspaceId, body, actorOf(principal));
    },
  });

  route({
    method: 'GET',
    url: '/v1/forecast',
    operationId: 'getForecast',
    summary: 'Expected conversions among the next N qualified leads, with an interval',
    tag: 'Scoring',
    auth: 'read',
    query: z
      .object({
        segment: z.string().min(1).max(200).optional(),
        leads: z.coerce.number().int().min(1).max(100_000),
        level: z.coerce.number().min(0.5).max(0.99).default(0.9),
      })
      .strict(),
    responses: {
      200: {
        description: 'The forecast',
        schema: z.object({
          segment: z.string().nullable(),
          leads: z.number().int(),
          expected: z.number(),
          lower: z.number(),
          upper: z.number(),
          level: z.number(),
          method: z.string(),
          basis: z.enum(['model', 'observed-rate']),
          historyOutcomes: z.number().int(),
          rateUncertainty: z.number(),
          historyWindows: z.number().int(),
          pastMissScale: z.number().nullable(),
          reason: z.string(),
        }),
      },
    },
    async handler({ principal, query }) {
      const ctx = workspaceOf(principal);
      return predictive.insights.forecast(ctx.workspaceId, query);
    },
  });
}
