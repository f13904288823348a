import type { Actor, WorkspaceContext } from '../../core/index.ts';
import type { UnitOfWork } from '../../store/index.ts';

/**
 * The ports the live optimiser declares; `src/main/optimiser-wiring.ts` joins them to analytics,
 * scoring and the council (capabilities never import each other).
 */

/** Counts per segment (`all`, `source:<source>`) of a stored metric. */
export interface MetricCounts {
  /** Rolls up the workspace's domain events not yet counted. */
  catchUp(workspaceId: string): Promise<void>;
  /** Per minute and segment, for minutes in [fromMinute, toMinute) (minutes since the epoch). */
  perMinute(
    ctx: WorkspaceContext,
    metric: 'arrivals' | 'qualified' | 'chat_reached' | 'chat_dropped',
    fromMinute: number,
    toMinute: number,
  ): Promise<{ minute: number; segment: string; count: number }[]>;
}

/** Qualification thresholds as the pipeline applies them (probabilities). */
export interface ThresholdSnapshot {
  workspace: number;
  segments: Record<string, number>;
}

/** Scoring's thresholds, as the optimiser may read and change them. */
export interface ThresholdControl {
  /** The champion model's version, or null while point rules score. */
  championVersion(workspaceId: string): Promise<number | null>;
  /** Recomputes thresholds from the latest outcomes (scoring stores and audits a change). */
  recompute(workspaceId: string, actor: Actor): Promise<void>;
  current(unit: UnitOfWork, workspaceId: string): Promise<ThresholdSnapshot | null>;
  /**
   * Replaces the stored thresholds only if they still equal `expected` (a compare-and-set, so a
   * rollback never overwrites a newer change); audited by scoring. Returns whether it did.
   */
  replace(
    unit: UnitOfWork,
    workspaceId: string,
    change: { expected: ThresholdSnapshot; next: ThresholdSnapshot; reason: string },
    actor: Actor,
  ): Promise<boolean>;
}

/** One recommendation of the council's `performance.review`. */
export interface ReviewRecommendation {
  kind: string;
  target: string;
  change: string;
  evidence: string;
}

/** The council's `performance.review`, asked about an alert. */
export interface PerformanceReviewer {
  review(
    ctx: WorkspaceContext,
    alert: { id: string; summary: string },
    signal: AbortSignal,
  ): Promise<
    | {
        ok: true;
        decisionId: string;
        primary: string;
        recommendations: ReviewRecommendation[];
        basis: string;
      }
    | { ok: false; reason: string }
  >;
}
