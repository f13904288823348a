import { z } from 'zod';
import type { QuestionType } from './vocabulary.ts';

/**
 * What the router learned in one workspace: a Beta(α, β) posterior of "this helped" per
 * agent combination × question type and per agent × question type, from human feedback and
 * outcomes. Plain JSON, so the lead stores it as is (parse with {@link parseRouterStats}).
 */
export interface RouterStats {
  version: 1;
  /** Key `<questionType>|<agent ids sorted, joined by +>`. */
  combos: Record<string, BetaCounts>;
  /** Key `<questionType>|<agent id>`. */
  agents: Record<string, BetaCounts>;
}

/** Successes and failures added to a Beta(1, 1) prior. */
export interface BetaCounts {
  alpha: number;
  beta: number;
}

const countsSchema = z.object({ alpha: z.number().nonnegative(), beta: z.number().nonnegative() }).strict();

/** Schema of stored stats. */
const routerStatsSchema = z
  .object({
    version: z.literal(1),
    combos: z.record(z.string().max(500), countsSchema),
    agents: z.record(z.string().max(200), countsSchema),
  })
  .strict();

/** Stats with nothing learned yet. */
export function emptyRouterStats(): RouterStats {
  return { version: 1, combos: {}, agents: {} };
}

/** Parses stored stats; anything unreadable starts over (learning is an optimisation, not state to trust). */
export function parseRouterStats(value: unknown): RouterStats {
  const parsed = routerStatsSchema.safeParse(value);
  return parsed.success ? parsed.data : emptyRouterStats();
}

/** The key of an agent combination. */
export function comboKey(type: QuestionType, agentIds: readonly string[]): string {
  return `${type}|${[...new Set(agentIds)].sort().join('+')}`;
}

/**
 * Adds one observation: `reward` 1 for accepted or converted, 0 for rejected or lost, 0.5 for an
 * edited decision. Returns new stats; the input is not changed.
 */
export function recordReward(
  stats: RouterStats,
  type: QuestionType,
  agentIds: readonly string[],
  reward: number,
): RouterStats {
  const r = Math.min(1, Math.max(0, reward));
  const add = (counts: BetaCounts | undefined): BetaCounts => ({
    alpha: (counts?.alpha ?? 0) + r,
    beta: (counts?.beta ?? 0) + (1 - r),
  });
  const key = comboKey(type, agentIds);
  const agents = { ...stats.agents };
  for (const id of new Set(agentIds)) agents[`${type}|${id}`] = add(agents[`${type}|${id}`]);
  return { version: 1, combos: { ...stats.combos, [key]: add(stats.combos[key]) }, agents };
}

/** Posterior mean under a Beta(1, 1) prior, and the number of observations. */
export function posterior(counts: BetaCounts | undefined): { mean: number; n: number } {
  const alpha = counts?.alpha ?? 0;
  const beta = counts?.beta ?? 0;
  return { mean: (alpha + 1) / (alpha + beta + 2), n: alpha + beta };
}

/** Where the router's stats live; the lead implements it over the database. */
export interface RouterStatsStore {
  get(workspaceId: string): Promise<RouterStats>;
  /** Read-modify-write; a database implementation runs it in one transaction. */
  update(workspaceId: string, change: (stats: RouterStats) => RouterStats): Promise<RouterStats>;
}

/** Stats held in process memory. */
export function createInMemoryRouterStatsStore(initial: Record<string, RouterStats> = {}): RouterStatsStore {
  const byWorkspace = new Map(Object.entries(initial));
  return {
    get: async (workspaceId) => structuredClone(byWorkspace.get(workspaceId) ?? emptyRouterStats()),
    async update(workspaceId, change) {
      const next = change(structuredClone(byWorkspace.get(workspaceId) ?? emptyRouterStats()));
      byWorkspace.set(workspaceId, next);
      return structuredClone(next);
    },
  };
}
