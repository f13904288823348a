import type { AuditLog } from '../../compliance/index.ts';
import type { Clock, IdGenerator } from '../../core/index.ts';
import type { DomainEventLog } from '../../events/index.ts';
import type { Queue } from '../../queue/index.ts';
import type { Store } from '../../store/index.ts';
import type { PeriodFigures } from './guarantee.ts';
import type {
  ChampionScores,
  MetricCounts,
  PerformanceReviewer,
  PlaybookQuestions,
  SourceHolds,
  ThresholdControl,
  WorkflowActivity,
  WorkflowControl,
} from './ports.ts';

/** What the live optimiser is built from (`src/main/optimiser-wiring.ts` joins the ports). */
export interface LiveOptimiserOptions {
  store: Store;
  queue: Queue;
  audit: AuditLog;
  events: DomainEventLog;
  clock: Clock;
  ids: IdGenerator;
  metrics: MetricCounts;
  thresholds: ThresholdControl;
  /** Holds a lead source's leads from automated actions (a `source_pause`). */
  sources: SourceHolds;
  reviewer: PerformanceReviewer;
  /** Deactivates and reactivates workflows (a `workflow_pause`); without it, workflows are not watched. */
  workflows?: WorkflowControl;
  /** The champion's training scores, the score-drift stream's reference (else the reference day). */
  champion?: ChampionScores;
  /** The workflow engine's e-mail activity, for the bounce and unsubscribe streams. */
  activity?: WorkflowActivity;
  /** Chat's playbooks (their question slots); without it, question order is not changed. */
  playbooks?: PlaybookQuestions;
  /** Expected and realised conversions of a past period, per segment (scoring's period forecast). */
  periods(workspaceId: string, query: { from: number; to: number; level: number }): Promise<PeriodFigures[]>;
}
