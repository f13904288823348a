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

/** Our ids: a lower-case prefix, `_`, and a 26-character ULID (`lead_01J…`). */
const ID_SHAPE = /^[a-z]+_[0-9A-Z]{26}$/;
const IDS_IN_TEXT = /(?<![A-Za-z0-9_])[a-z]+_[0-9A-Z]{26}(?![0-9A-Za-z])/g;

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
      // A retention sweep passes tens of thousands of lead ids: each decision's ids are looked up in
      // a set instead of its text being scanned once per id. Other strings are still searched for.
      const ids = new Set(mentions.filter((m) => ID_SHAPE.test(m)));
      const others = mentions.filter((m) => !ids.has(m));
      let dropped = 0;
      for (const [key, entry] of entries) {
        if (!key.startsWith(`${workspaceId}:`)) continue;
        const text = JSON.stringify(entry.decision);
        const named = ids.size > 0 && (text.match(IDS_IN_TEXT) ?? []).some((id) => ids.has(id));
        if (named || others.some((m) => text.includes(m))) {
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
