/**
 * The optimiser: drift detectors (Page-Hinkley, CUSUM, ADWIN, PSI, rate tests), the lead-stream
 * simulator that tunes and measures them (`npm run bench:optimiser`), and the live loop: the
 * per-minute monitor on the scheduler, stored alerts, guarded adjustments under a per-workspace
 * policy (thresholds, source and workflow pauses, split and routing weights, playbook question
 * order), the council's review of alerts, and the guarantee report.
 */
export type { Adwin, AdwinOptions, AdwinState } from './detectors/adwin.ts';
export { ADWIN_DEFAULTS, createAdwin } from './detectors/adwin.ts';
export type { Cusum, CusumOptions, CusumState } from './detectors/cusum.ts';
export { bernoulliLlr, createCusum, poissonLlr } from './detectors/cusum.ts';
export type {
  DetectorMode,
  PageHinkley,
  PageHinkleyOptions,
  PageHinkleyState,
} from './detectors/page-hinkley.ts';
export { createPageHinkley, PAGE_HINKLEY_DEFAULTS } from './detectors/page-hinkley.ts';
export { binIndex, psi, psiCriticalValue, quantileEdges } from './detectors/psi.ts';
export { poissonCdf, poissonSilence, silenceMinutesNeeded, wilsonInterval } from './detectors/rate-tests.ts';
export type { Adjustment, AdjustmentStatus } from './live/adjustments.ts';
export { ADJUSTMENT_KINDS } from './live/adjustments.ts';
export type { Alert, AlertStatus } from './live/alerts.ts';
export { ALERT_STATUSES } from './live/alerts.ts';
export type { GuaranteeReport, PeriodFigures } from './live/guarantee.ts';
export { guaranteeCsv } from './live/guarantee.ts';
export type { LiveOptimiser, LiveOptimiserOptions, MonitorReport } from './live/live-optimiser.ts';
export { createLiveOptimiser } from './live/live-optimiser.ts';
export type { OptimiserPolicy, OptimiserPolicyInput } from './live/policy.ts';
export { optimiserPolicySchema } from './live/policy.ts';
export type {
  MetricCounts,
  PerformanceReviewer,
  PlaybookQuestions,
  QuestionOrderState,
  ReviewRecommendation,
  SourceHoldState,
  SourceHolds,
  ThresholdControl,
  ThresholdSnapshot,
  WorkflowActivity,
  WorkflowActivityRow,
  WorkflowControl,
  WorkflowPauseState,
} from './live/ports.ts';
export { readQuestionOrder } from './live/question-order.ts';
export type { SplitExperiments, SplitOptimiser } from './live/split-optimiser.ts';
export { createSplitOptimiser } from './live/split-optimiser.ts';
export { readSplitWeights } from './live/split-weights.ts';
export { LIVE_DETECTOR_SETTINGS } from './live/streams.ts';
