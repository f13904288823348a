import { after, before } from 'node:test';
import { type Clock, createManualClock } from '../../src/core/index.ts';
import { createSourceHolds } from '../../src/main/source-holds.ts';
import { createLiveOptimiser, type LiveOptimiser } from '../../src/optimiser/index.ts';
import { createTestRuntime, type TestDialect, type TestRuntime } from './runtime.ts';

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

/** A suite's runtime on a manual clock, as {@link useClockedRuntime} hands it over. */
export interface ClockedRuntime {
  /** Filled in when `before` runs: read it in test bodies, never at declaration time. */
  readonly runtime: TestRuntime;
  /** Starts at the suite's first minute; only the test moves it. */
  readonly clock: ReturnType<typeof createManualClock>;
  /** A new workspace (in an organisation of its own) created by the system actor; its id. */
  workspace(name: string): Promise<string>;
  /** A new live optimiser on the runtime, as a restarted process builds it ({@link createTestLiveOptimiser}). */
  liveOptimiser(overrides?: Partial<LiveOptimiserDeps>): LiveOptimiser;
}

/**
 * A test runtime on a manual clock at `startMinute`, with no schedule ticking (the suite runs the
 * monitor itself): created before the suite's tests, disposed of after them. Call it inside `describe`.
 */
export function useClockedRuntime(dialect: TestDialect, startMinute: number): ClockedRuntime {
  const clock = createManualClock(startMinute * 60_000);
  let runtime: TestRuntime | undefined;
  const started = (): TestRuntime => {
    if (!runtime) throw new Error('the runtime starts in before(): read it inside a test');
    return runtime;
  };
  before(async () => {
    runtime = await createTestRuntime(dialect, { clock, scheduleTickMs: 0 });
  });
  after(async () => {
    await runtime?.dispose();
  });
  return {
    get runtime() {
      return started();
    },
    clock,
    workspace: async (name) =>
      (
        await started().tenants.createWorkspace({
          name,
          organisation: `Org ${name}`,
          actor: { type: 'system', id: 'test' },
        })
      ).workspace.id,
    liveOptimiser: (overrides) => createTestLiveOptimiser(started(), clock, overrides),
  };
}
