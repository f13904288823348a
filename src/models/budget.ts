import type { Clock } from '../core/index.ts';

/** Tokens held for one call until it settles with its real usage. Opaque to callers. */
export interface BudgetReservation {
  readonly workspaceId: string;
  readonly tokens: number;
  /** Start of the window the tokens were taken from (epoch ms). */
  readonly windowStart: number;
}

/** A reservation, or a refusal with the window's limit, what it has used and when it resets. */
type BudgetDecision =
  | { ok: true; reservation: BudgetReservation }
  | { ok: false; limit: number; used: number; retryAfterMs: number };

/**
 * The per-workspace token budget the model port consults. A call reserves its estimated tokens
 * (prompt estimate plus its output allowance) before it runs and settles with the tokens it really
 * used afterwards, so concurrent calls cannot overspend together. Async so a shared (Redis)
 * implementation fits the same port.
 */
export interface TokenBudget {
  reserve(workspaceId: string, tokens: number): Promise<BudgetDecision>;
  settle(reservation: BudgetReservation, usedTokens: number): Promise<void>;
}

/** Where a workspace stands in the current window. */
interface BudgetStatus {
  limit: number;
  used: number;
  remaining: number;
  /** Epoch ms at which the window resets. */
  resetsAt: number;
}

/** Limits and window of {@link createInMemoryTokenBudget}. */
export interface InMemoryTokenBudgetOptions {
  /** Tokens per workspace per window, or a function for per-workspace limits. */
  tokensPerWindow: number | ((workspaceId: string) => number);
  /** Window length; fixed windows aligned to the epoch. Default one hour. */
  windowMs?: number;
  clock: Clock;
}

/** The in-memory budget, which can also report a workspace's standing. */
export interface InMemoryTokenBudget extends TokenBudget {
  status(workspaceId: string): BudgetStatus;
}

/**
 * A fixed-window token budget held in process memory: right for one node; a fleet needs a shared
 * store behind the same port. A reservation settled after its window ended changes nothing (the old
 * window already counted it).
 */
export function createInMemoryTokenBudget(options: InMemoryTokenBudgetOptions): InMemoryTokenBudget {
  const windowMs = options.windowMs ?? 3_600_000;
  const limitOf =
    typeof options.tokensPerWindow === 'function'
      ? options.tokensPerWindow
      : () => options.tokensPerWindow as number;
  const windows = new Map<string, { start: number; used: number }>();

  const current = (workspaceId: string) => {
    const start = Math.floor(options.clock.now() / windowMs) * windowMs;
    let window = windows.get(workspaceId);
    if (!window || window.start !== start) {
      window = { start, used: 0 };
      windows.set(workspaceId, window);
    }
    return window;
  };

  return {
    async reserve(workspaceId, tokens) {
      const window = current(workspaceId);
      const limit = limitOf(workspaceId);
      const needed = Math.max(0, Math.ceil(tokens));
      if (window.used + needed > limit) {
        return {
          ok: false,
          limit,
          used: window.used,
          retryAfterMs: window.start + windowMs - options.clock.now(),
        };
      }
      window.used += needed;
      return { ok: true, reservation: { workspaceId, tokens: needed, windowStart: window.start } };
    },
    async settle(reservation, usedTokens) {
      const window = current(reservation.workspaceId);
      if (window.start !== reservation.windowStart) return;
      window.used = Math.max(0, window.used - reservation.tokens + Math.max(0, Math.ceil(usedTokens)));
    },
    status(workspaceId) {
      const window = current(workspaceId);
      const limit = limitOf(workspaceId);
      return {
        limit,
        used: window.used,
        remaining: Math.max(0, limit - window.used),
        resetsAt: window.start + windowMs,
      };
    },
  };
}
