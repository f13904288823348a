import { z } from 'zod';
import { LeadloopError, toFieldIssues } from '../../core/index.ts';
import { calibratorSchema } from './calibration.ts';
import { createEncoder, fittedPipelineSchema } from './feature-pipeline.ts';
import type { ScoringModel } from './model-types.ts';

const finite = z.number().refine(Number.isFinite, 'must be finite');
const index = z.number().int().min(-1);

const treeSchema = z.object({
  feature: z.array(index),
  left: z.array(index),
  right: z.array(index),
  value: z.array(finite),
  threshold: z.array(z.number().int().min(0)),
  missingLeft: z.array(z.boolean()),
  leftBins: z.array(z.array(z.number().int().min(0)).nullable()),
});

const candidateSchema = z.object({
  kind: z.enum(['logistic', 'boosted']),
  validationAuc: z.number().nullable(),
  validationLogLoss: z.number().nullable(),
  calibration: z.enum(['none', 'platt', 'isotonic']),
  detail: z.string(),
});

const modelSchema = z.object({
  format: z.literal('leadloop.scoring-model'),
  version: z.literal(1),
  kind: z.enum(['logistic', 'boosted']),
  pipeline: fittedPipelineSchema,
  logistic: z
    .object({
      intercept: finite,
      coefficients: z.array(finite),
      means: z.array(finite),
      l2: z.number().min(0),
      iterations: z.number().int().min(0),
    })
    .nullable(),
  boosted: z
    .object({
      baseScore: finite,
      learningRate: z.number().positive(),
      trees: z.array(treeSchema).min(1),
      binCounts: z.array(z.number().int().min(1).max(256)),
      categorical: z.array(z.boolean()),
      validationLoss: z.array(z.number()),
    })
    .nullable(),
  calibrator: calibratorSchema,
  metadata: z.object({
    trainedAt: z.string(),
    trainingRows: z.number().int().min(0),
    validationRows: z.number().int().min(0),
    positives: z.number().int().min(0),
    baseRate: z.number().min(0).max(1),
    validation: z.enum(['latest', 'random']),
    refit: z.boolean(),
    seed: z.number(),
    candidates: z.array(candidateSchema),
    selection: z.string(),
  }),
});

/** The stored form of a model: plain JSON text, e.g. for a database column. */
export function serializeModel(model: ScoringModel): string {
  return JSON.stringify(model);
}

function invalid(field: string, reason: string): never {
  throw new LeadloopError('validation_failed', `the stored model is not valid: ${field} ${reason}`, {
    issues: [{ field, reason }],
  });
}

/**
 * Reads a stored model (JSON text or the parsed object), checking its shape and that its parts fit
 * together — weight counts match the pipeline, tree references stay inside their tree — so that a
 * corrupt or foreign row fails here with `validation_failed` instead of scoring nonsense later.
 */
export function parseScoringModel(input: unknown): ScoringModel {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new LeadloopError('validation_failed', 'the stored model is not valid JSON', {
        cause: error,
        issues: [{ field: 'model', reason: 'is not valid JSON' }],
      });
    }
  }
  const parsed = modelSchema.safeParse(value);
  if (!parsed.success) {
    throw new LeadloopError('validation_failed', 'the stored model is not valid', {
      issues: toFieldIssues(parsed.error, 'model'),
    });
  }
  const model = parsed.data as ScoringModel;
  if (model.pipeline.states.length !== model.pipeline.spec.features.length)
    invalid('model.pipeline.states', 'do not match the declared features');
  let encoder: ReturnType<typeof createEncoder>;
  try {
    encoder = createEncoder(model.pipeline);
  } catch (error) {
    invalid('model.pipeline', error instanceof Error ? error.message : String(error));
  }
  if (model.kind === 'logistic') {
    const weights = model.logistic ?? invalid('model.logistic', 'is missing for a logistic model');
    if (weights.coefficients.length !== encoder.designWidth || weights.means.length !== encoder.designWidth) {
      invalid(
        'model.logistic.coefficients',
        `must have ${encoder.designWidth} entries, one per design column`,
      );
    }
  } else {
    const forest = model.boosted ?? invalid('model.boosted', 'is missing for a boosted model');
    const bins = Array.from(encoder.binCounts);
    if (forest.binCounts.length !== bins.length || forest.binCounts.some((b, i) => b !== bins[i])) {
      invalid('model.boosted.binCounts', 'do not match the feature pipeline');
    }
    forest.trees.forEach((tree, t) => {
      const size = tree.feature.length;
      const lengths = [
        tree.left,
        tree.right,
        tree.value,
        tree.threshold,
        tree.missingLeft,
        tree.leftBins,
      ].map((a) => a.length);
      if (lengths.some((l) => l !== size))
        invalid(`model.boosted.trees.${t}`, 'has node arrays of different lengths');
      for (let i = 0; i < size; i++) {
        const f = tree.feature[i]!;
        if (f < 0) continue;
        // Children after their parent: traversal always ends.
        const l = tree.left[i]!;
        const r = tree.right[i]!;
        if (f >= bins.length || !(l > i && l < size) || !(r > i && r < size))
          invalid(`model.boosted.trees.${t}.${i}`, 'refers outside its tree');
        const leftBins = tree.leftBins[i];
        if (leftBins?.some((b) => b >= bins[f]!) || tree.threshold[i]! >= bins[f]!)
          invalid(`model.boosted.trees.${t}.${i}`, 'splits on a bin its feature does not have');
      }
    });
  }
  return model;
}
