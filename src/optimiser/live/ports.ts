import type { Actor, WorkspaceContext } from '../../core/index.ts';
import type { UnitOfWork } from '../../store/index.ts';

/**
 * The ports the live optimiser declares; `src/main/optimiser-wiring.ts` joins them to analytics,
 * scoring and the council (capabilities never import each other).
 */

/** The stored per-minute counts the monitor reads. */
export type CountedMetric =
  | 'arrivals'
  | 'qualified'
  | 'chat_reached'
  | 'chat_dropped'
  | 'chats_ended'
  | 'outcomes'
  | 'conversions'
  | 'model_attempts'
  | 'model_errors';

/** Model latency over a span: its p90 (seconds) and, per minute, decisions and those slower than a bound. */
export interface ModelLatencyReading {
  p90: number | null;
  decisions: number;
  perMinute: { minute: number; decisions: number; slow: number }[];
}

/** Counts per segment (`all`, `source:<source>`) of a stored metric. */
export interface MetricCounts {
  /** Rolls up the workspace's domain events not yet counted. */
  catchUp(workspaceId: string): Promise<void>;
  /** Per minute and segment, for minutes in [fromMinute, toMinute) (minutes since the epoch). */
  perMinute(
    ctx: WorkspaceContext,
    metric: CountedMetric,
    fromMinute: number,
    toMinute: number,
  ): Promise<
    { minute: number; segment: string; count: number }[]
  > /** The score distribution (counts per bin) of a segment over [from, to); without it, PSI is not watched. */;
  scoreHistogram?(
    ctx: WorkspaceContext,
    segment: string,
    fromMinute: number,
    toMinute: number,
  ): Promise<number[]>;
  /** Model latency per minute; without it, latency is not watched. */
  modelLatency?(
    ctx: WorkspaceContext,
    query: { from: number; to: number; slowerThanSeconds: number | null },
  ): Promise<ModelLatencyReading>;
  /** Leads per score point (0–100) model `version` gave over [from, to); without it, PSI uses the reference day. */
  modelScoreHistogram?(
    ctx: WorkspaceContext,
    version: number,
    fromMinute: number,
    toMinute: number,
  ): Promise<number[]>;
}

/** Scoring's model versions, as the score-drift stream reads them. */
export interface ChampionScores {
  /**
   * Version `version`'s scores on its own training window (rows per score point 0–100) and when it
   * was trained; null when the version stored none (trained before they were recorded).
   */
  trainingScores(
    workspaceId: string,
    version: number,
  ): Promise<{ points: number[]; rows: number; trainedAt: number } | null>;
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

/** Whether a lead source is held from automated actions (the value a source pause changes). */
export interface SourceHoldState {
  source: string;
  held: boolean;
}

/**
 * Holding a lead source from automated actions: its leads are still accepted, stored and scored,
 * but no workflow or next-action reaction runs for them while the hold stands. Wired in
 * `src/main/source-holds.ts`; the pipeline's reactions consult the same holds.
 */
export interface SourceHolds {
  /** Holds `source`, in the caller's transaction; false when it is already held (by any change). */
  hold(
    unit: UnitOfWork,
    workspaceId: string,
    source: string,
    by: { adjustmentId: string; reason: string },
  ): Promise<boolean>;
  /** Lifts the hold `adjustmentId` placed; false when that hold is no longer in force. */
  release(unit: UnitOfWork, workspaceId: string, source: string, adjustmentId: string): Promise<boolean>;
}

/** Whether a workflow is active (the value a `workflow_pause` changes), and the version to restore. */
export interface WorkflowPauseState {
  workflowId: string;
  active: boolean;
  version: number | null;
}

/**
 * The workflows service as the optimiser may use it: deactivate a workflow (no new runs start;
 * runs in progress finish on their version) and activate the same version again. Each call is the
 * workflows service's own transaction and audit entry, so callers make it outside theirs.
 */
export interface WorkflowControl {
  /** Deactivates an active workflow; the version that was active, or why it could not. */
  pause(
    workspaceId: string,
    workflowId: string,
    actor: Actor,
  ): Promise<{ ok: true; version: number } | { ok: false; reason: string }>;
  /** Activates `version` again; false when the workflow was changed since (active, deleted, or gone). */
  resume(workspaceId: string, workflowId: string, version: number, actor: Actor): Promise<boolean>;
}

/**
 * Per minute and workflow: e-mails sent, sends that failed (bounced), unsubscribes after a send,
 * and replies to its e-mail that arrived in the minute (`POST /v1/email/inbound`; absent where the
 * deployment does not read them).
 */
export interface WorkflowActivityRow {
  minute: number;
  workflowId: string;
  sent: number;
  failed: number;
  unsubscribed: number;
  replied?: number;
}

/** The workflow engine's e-mail activity, read from its step records and the consent ledger. */
export interface WorkflowActivity {
  perMinute(ctx: WorkspaceContext, fromMinute: number, toMinute: number): Promise<WorkflowActivityRow[]>;
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

/** The order a workspace's chat asks a playbook's questions in (the value a `question_order` changes). */
export interface QuestionOrderState {
  playbookId: string;
  /** Question slots, first asked first; empty: the playbook's own order. */
  order: string[];
}

/** Chat's playbooks as the optimiser reads them: a playbook's question slots in its own order. */
export interface PlaybookQuestions {
  /** Null when the workspace has no such playbook. */
  slots(ctx: WorkspaceContext, playbookId: string): Promise<string[] | null>;
}
