import type { Clock } from '../core/index.ts';
import type { CouncilDecision } from './decision-record.ts';
import { hashValue } from './hashing.ts';

/**
 * Reuse of decisions for an identical context. The key covers the workspace, the question, the
 * strategy, the agent catalogue and the hashes of every fact the router read, plus the day (rules
 * read "days until the timeline"); any change to the lead, its chat or its score is a new key.
 */
export interface DecisionCache {
  get(key: string): Promise<CouncilDecision | undefined>;
  set(key: string, decision: CouncilDecision, ttlMs: number): Promise<void>;
  /**
   * Drops every cached decision of the workspace that mentions one of `mentions` anywhere (its
   * question, tool calls, answer): erasure calls it with the erased lead ids. Returns how many went.
   */
  forget(workspaceId: string, mentions: readonly string[]): Promise<number>;
  /** The decisions held for a workspace, unexpired: what an erasure proof scans. */
  held(workspaceId: string): Promise<CouncilDecision[]>;
}

/** The parts of a cache key. */
export interface CacheKeyParts {
  workspaceId: string;
  question: unknown;
  strategy: unknown;
  catalog: unknown;
  factHashes: readonly (string | null)[];
  day: string;
}

/** The cache key (sha256 of the parts' stable JSON, prefixed by the workspace for scanning). */
export function decisionCacheKey(parts: CacheKeyParts): string {
  return `${parts.workspaceId}:${hashValue(parts)}`;
}

/** An in-memory LRU cache with expiry. */
export function createInMemoryDecisionCache(options: { clock: Clock; maxEntries?: number }): DecisionCache {
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<string, { decision: CouncilDecision; expiresAt: number }>();
  return {
    async get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expiresAt <= options.clock.now()) {
        entries.delete(key);
        return undefined;
      }
      entries.delete(key);
      entries.set(key, entry);
      return structuredClone(entry.decision);
    },
    async set(key, decision, ttlMs) {
      entries.delete(key);
      entries.set(key, { decision: structuredClone(decision), expiresAt: options.clock.now() + ttlMs });
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        entries.delete(oldest.value);
      }
    },
    async forget(workspaceId, mentions) {
      if (mentions.length === 0) return 0;
      let dropped = 0;
      for (const [key, entry] of entries) {
        if (!key.startsWith(`${workspaceId}:`)) continue;
        const text = JSON.stringify(entry.decision);
        if (mentions.some((m) => text.includes(m))) {
          entries.delete(key);
          dropped++;
        }
      }
      return dropped;
    },
    async held(workspaceId) {
      const now = options.clock.now();
      return [...entries]
        .filter(([key, entry]) => key.startsWith(`${workspaceId}:`) && entry.expiresAt > now)
        .map(([, entry]) => structuredClone(entry.decision));
    },
  };
}
