/**
 * Analytics: streaming metrics rolled up per workspace, segment and minute from the domain-event
 * stream, and read as series over 1m/15m/1h/1d windows; the lead funnel (arrived, engaged,
 * qualified, converted) over a window, counted through a port the composition root answers.
 */
export type { FunnelCounts, FunnelService, FunnelSource, FunnelWindow } from './funnel.ts';
export { createFunnelService, FUNNEL_WINDOWS } from './funnel.ts';
export type {
  AnalyticsService,
  WindowName,
} from './metrics-service.ts';
export { createAnalyticsService, METRIC_NAMES, WINDOWS } from './metrics-service.ts';
export type { PeriodMeasures } from './period-measures.ts';
export { sumMeasures } from './period-measures.ts';
export type { TrainingScoreSource } from './score-psi.ts';
