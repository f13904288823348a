import type { Clock } from '../core/index.ts';

/** The windows a funnel looks back over, in days. */
export const FUNNEL_WINDOWS = { '7d': 7, '30d': 30, '90d': 90, '365d': 365 } as const;
export type FunnelWindow = keyof typeof FUNNEL_WINDOWS;

/**
 * How many of the leads that arrived in a window reached each stage. A stage counts the leads that
 * reached it or a later one, so the funnel never widens: a lead converted without chatting was
 * still engaged by the time it converted.
 */
export interface FunnelCounts {
  arrived: number;
  engaged: number;
  qualified: number;
  converted: number;
}

/**
 * Where the counts come from: leads, conversations and outcomes belong to three capabilities, so
 * the composition root answers this port over their tables.
 */
export interface FunnelSource {
  /** Counts per workspace for leads created in [from, to) (epoch milliseconds). */
  count(workspaceIds: readonly string[], from: number, to: number): Promise<Map<string, FunnelCounts>>;
}

const STAGES = ['arrived', 'engaged', 'qualified', 'converted'] as const;

interface FunnelStage {
  stage: (typeof STAGES)[number];
  count: number;
  /** Share of the stage before it (null for the first, or when that stage is empty). */
  fromPrevious: number | null;
  /** Share of the arrivals. */
  fromArrived: number | null;
}

interface FunnelReport {
  window: FunnelWindow;
  from: number;
  to: number;
  stages: FunnelStage[];
}

export interface FunnelService {
  /** One report per workspace asked for, and their sum (an organisation's business units). */
  report(
    workspaceIds: readonly string[],
    window: FunnelWindow,
  ): Promise<{ byWorkspace: Map<string, FunnelReport>; total: FunnelReport }>;
}

const EMPTY: FunnelCounts = { arrived: 0, engaged: 0, qualified: 0, converted: 0 };

function reportOf(counts: FunnelCounts, window: FunnelWindow, from: number, to: number): FunnelReport {
  const share = (n: number, of: number) => (of > 0 ? n / of : null);
  return {
    window,
    from,
    to,
    stages: STAGES.map((stage, i) => ({
      stage,
      count: counts[stage],
      fromPrevious: i === 0 ? null : share(counts[stage], counts[STAGES[i - 1] as (typeof STAGES)[number]]),
      fromArrived: share(counts[stage], counts.arrived),
    })),
  };
}

export function createFunnelService(options: { source: FunnelSource; clock: Clock }): FunnelService {
  return {
    async report(workspaceIds, window) {
      const to = options.clock.now();
      const from = to - FUNNEL_WINDOWS[window] * 86_400_000;
      const counts = await options.source.count(workspaceIds, from, to);
      const total = { ...EMPTY };
      for (const c of counts.values()) for (const stage of STAGES) total[stage] += c[stage];
      return {
        byWorkspace: new Map(
          workspaceIds.map((id) => [id, reportOf(counts.get(id) ?? EMPTY, window, from, to)]),
        ),
        total: reportOf(total, window, from, to),
      };
    },
  };
}
