export type { Metrics } from './metrics.ts';
export { createMetrics } from './metrics.ts';
