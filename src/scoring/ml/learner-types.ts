import type { ColumnReader } from './dataset.ts';
import type { ScoringModel } from './model-types.ts';
import type { LeadScore } from './scorer.ts';

/** One event in a learner's registry. */
export interface ModelVersion {
  version: number;
  trainedAt: string;
  kind: ScoringModel['kind'] | null;
  rows: number;
  /** The training window (most recent outcomes) of the learner that made this version. */
  window: number;
  status: 'champion' | 'retired' | 'rejected' | 'failed' | 'rolled-back';
  reason: string;
}

export interface ContinuousLearner {
  /** The model now serving, with its latest calibrator. */
  readonly champion: ScoringModel;
  /** The training window of the model now serving. */
  readonly window: number;
  readonly versions: readonly ModelVersion[];
  score(read: ColumnReader): LeadScore;
  /** Calibrated probability without explanation: the fast path. */
  probability(read: ColumnReader): number;
  /** Records an outcome; may recalibrate or retrain (synchronously). */
  observe(read: ColumnReader, converted: boolean): void;
  /** Retrains now on the window; returns the registry entry of the attempt. */
  retrain(reason: string): ModelVersion;
  /** Restores the previous champion. */
  rollback(): ModelVersion;
}
