import type { Clock } from '../core/index.ts';

/** Model calls and tokens. */
export interface CouncilCost {
  calls: number;
  tokens: number;
}

/**
 * Who spends: the pipeline's own decisions (`council.next_action` jobs) or questions asked through
 * the API. API questions may not spend the pipeline's reserved share of the budget.
 */
export type CouncilBudgetPurpose = 'pipeline' | 'api';

/** A reservation against a workspace's council budget. Opaque to callers. */
interface CouncilBudgetGrant {
  readonly workspaceId: string;
  readonly reserved: CouncilCost;
  readonly windowStart: number;
}

/** A grant, or a refusal with the window's standing. */
type CouncilBudgetDecision =
  | { ok: true; grant: CouncilBudgetGrant }
  | { ok: false; limit: CouncilCost; used: CouncilCost; retryAfterMs: number };

/**
 * The council's per-workspace budget of model calls and tokens (on top of the model port's own
 * token budget, which protects the provider account). The council reserves before each model call
 * and settles with what the call used; when refused mid-cascade it stops consulting and says so.
 */
export interface CouncilBudget {
  reserve(
    workspaceId: string,
    cost: CouncilCost,
    purpose?: CouncilBudgetPurpose,
  ): Promise<CouncilBudgetDecision>;
  settle(grant: CouncilBudgetGrant, used: CouncilCost): Promise<void>;
  /** What is left in the workspace's current window, and when the next one starts. */
  remaining(
    workspaceId: string,
    purpose?: CouncilBudgetPurpose,
  ): Promise<CouncilCost & { retryAfterMs: number }>;
}

/** Limits of {@link createInMemoryCouncilBudget}; a function gives per-workspace limits. */
export interface InMemoryCouncilBudgetOptions {
  limits: CouncilCost | ((workspaceId: string) => CouncilCost);
  /**
   * The share of each window that only the pipeline may spend (default 0.25): API questions stop
   * at the rest, so a flood of them cannot starve qualified leads' decisions.
   */
  pipelineShare?: number;
  /** Fixed windows aligned to the epoch. Default one day. */
  windowMs?: number;
  clock: Clock;
}

/** The in-memory budget, which can also report a workspace's usage in the current window. */
export interface InMemoryCouncilBudget extends CouncilBudget {
  used(workspaceId: string): CouncilCost;
}

/** A fixed-window budget in process memory (one node; a fleet needs a shared store behind the port). */
export function createInMemoryCouncilBudget(options: InMemoryCouncilBudgetOptions): InMemoryCouncilBudget {
  const windowMs = options.windowMs ?? 86_400_000;
  const limitOf = typeof options.limits === 'function' ? options.limits : () => options.limits as CouncilCost;
  const share = options.pipelineShare ?? 0.25;
  const windows = new Map<string, { start: number; used: CouncilCost }>();
  /** What `purpose` may spend of the window: all of it for the pipeline, less the reserve for the API. */
  const limitFor = (workspaceId: string, purpose: CouncilBudgetPurpose): CouncilCost => {
    const limit = limitOf(workspaceId);
    if (purpose === 'pipeline') return limit;
    return { calls: Math.floor(limit.calls * (1 - share)), tokens: Math.floor(limit.tokens * (1 - share)) };
  };
  const current = (workspaceId: string) => {
    const start = Math.floor(options.clock.now() / windowMs) * windowMs;
    let window = windows.get(workspaceId);
    if (!window || window.start !== start) {
      window = { start, used: { calls: 0, tokens: 0 } };
      windows.set(workspaceId, window);
    }
    return window;
  };
  return {
    async reserve(workspaceId, cost, purpose = 'api') {
      const window = current(workspaceId);
      const limit = limitFor(workspaceId, purpose);
      if (window.used.calls + cost.calls > limit.calls || window.used.tokens + cost.tokens > limit.tokens) {
        return {
          ok: false,
          limit,
          used: { ...window.used },
          retryAfterMs: window.start + windowMs - options.clock.now(),
        };
      }
      window.used = { calls: window.used.calls + cost.calls, tokens: window.used.tokens + cost.tokens };
      return { ok: true, grant: { workspaceId, reserved: cost, windowStart: window.start } };
    },
    async settle(grant, used) {
      const window = windows.get(grant.workspaceId);
      if (!window || window.start !== grant.windowStart) return;
      window.used = {
        calls: Math.max(0, window.used.calls - grant.reserved.calls + used.calls),
        tokens: Math.max(0, window.used.tokens - grant.reserved.tokens + used.tokens),
      };
    },
    used: (workspaceId) => ({ ...current(workspaceId).used }),
    async remaining(workspaceId, purpose = 'api') {
      const window = current(workspaceId);
      const limit = limitFor(workspaceId, purpose);
      return {
        calls: Math.max(0, limit.calls - window.used.calls),
        tokens: Math.max(0, limit.tokens - window.used.tokens),
        retryAfterMs: window.start + windowMs - options.clock.now(),
      };
    },
  };
}
