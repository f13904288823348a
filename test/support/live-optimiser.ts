import type { Clock } from '../../src/core/index.ts';
import { createSourceHolds } from '../../src/main/source-holds.ts';
import { createLiveOptimiser, type LiveOptimiser } from '../../src/optimiser/index.ts';
import type { TestRuntime } from './runtime.ts';

type LiveOptimiserDeps = Parameters<typeof createLiveOptimiser>[0];

/**
 * A live optimiser on a test runtime's store, queue, audit and metrics, as a restarted process
 * builds it (nothing in memory, only stored state). Thresholds, reviewer and periods are inert
 * unless a test passes its own; anything else in `overrides` replaces the default too.
 */
export function createTestLiveOptimiser(
  runtime: TestRuntime,
  clock: Clock,
  overrides: Partial<LiveOptimiserDeps> = {},
): LiveOptimiser {
  return createLiveOptimiser({
    store: runtime.store,
    queue: runtime.queue,
    audit: runtime.audit,
    events: runtime.events,
    clock,
    ids: runtime.ids,
    metrics: {
      catchUp: async (ws) => {
        await runtime.analytics.catchUp(ws);
      },
      perMinute: (ctx, metric, from, to) => runtime.analytics.perMinute(ctx, metric, from, to),
      modelLatency: (ctx, query) => runtime.analytics.modelLatency(ctx, query),
    },
    thresholds: {
      championVersion: async () => null,
      recompute: async () => {},
      current: async () => null,
      replace: async () => false,
    },
    sources: createSourceHolds(clock),
    reviewer: { review: async () => ({ ok: false, reason: 'not asked in this test' }) },
    periods: async () => [],
    ...overrides,
  });
}
