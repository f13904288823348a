/**
 * Analytics: streaming metrics rolled up per workspace, segment and minute from the domain-event
 * stream, and read as series over 1m/15m/1h/1d windows.
 */
export type {
  AnalyticsService,
  WindowName,
} from './metrics-service.ts';
export { createAnalyticsService, METRIC_NAMES, WINDOWS } from './metrics-service.ts';
