import { hash } from 'node:crypto';
import { type Actor, canonicalJson } from '../core/index.ts';
import type { AuditLogTable } from '../store/index.ts';
import { fromJson } from '../store/index.ts';

export const GENESIS_HASH = '0'.repeat(64);

/** What to record. `data` holds references and figures, never copies of personal data. */
export interface AuditRecord {
  actor: Actor;
  action: string;
  /** What was acted on: a lead id, a key id, a workspace id, ... */
  subject: string;
  /** Why, in words. */
  reason: string;
  data?: Record<string, unknown>;
}

export interface AuditEntry extends Required<AuditRecord> {
  id: string;
  workspaceId: string;
  seq: number;
  at: number;
  prevHash: string;
  hash: string;
}

/**
 * The hash covers everything but the position: order is carried by `prevHash`, so a moved entry
 * still hashes correctly but breaks the link, which tells "reordered" apart from "edited".
 */
export function hashAuditEntry(entry: Omit<AuditEntry, 'hash' | 'seq'>): string {
  // Written in canonical key order, so canonicalJson need not sort them (the result is the same).
  const canonical = canonicalJson({
    action: entry.action,
    actor: { id: entry.actor.id, type: entry.actor.type },
    at: entry.at,
    data: entry.data,
    id: entry.id,
    prevHash: entry.prevHash,
    reason: entry.reason,
    subject: entry.subject,
    workspaceId: entry.workspaceId,
  });
  // The one-shot form: half the CPU of createHash for a string this size, on every entry.
  return hash('sha256', canonical, 'hex');
}

export interface AuditProblem {
  workspaceId: string;
  seq: number;
  id: string | null;
  kind:
    | 'edited'
    | 'deleted'
    | 'reordered'
    | 'truncated'
    /** Entries without a head: the head row was deleted. */
    | 'missing_head'
    /** A workspace of the directory (or of a checkpoint) with no chain: the whole log was deleted. */
    | 'missing_chain'
    /** An entry or head whose MAC does not verify: written or recomputed without the key. */
    | 'forged'
    /** The chain no longer holds the entry a checkpoint recorded: rewritten since. */
    | 'rewritten'
    /** The checkpoint itself is not signed with this installation's key. */
    | 'checkpoint_invalid';
  message: string;
}

export interface AuditVerification {
  workspaces: number;
  entries: number;
  problems: AuditProblem[];
  /** Whether MACs were checked (the key was available). */
  authenticated: boolean;
  /** The checkpoint compared against, if any. */
  checkpoint: { createdAt: number; workspaces: number } | null;
  /**
   * Chains sealed after the fact (`leadloop audit reseal`): entries up to `upTo` were MAC'd when
   * the reseal ran (entry `seq`, at `at`), so before then only their hash chain vouched for them;
   * entries after `upTo` were sealed as they were written.
   */
  resealed: { workspaceId: string; upTo: number; seq: number; at: number }[];
}

// A type literal (not the interface itself), so it fits prepared rows' `Record<string, unknown>`.
export type AuditRow = { [K in keyof AuditLogTable]: AuditLogTable[K] };

export function toEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    seq: Number(row.seq),
    at: Number(row.at),
    actor: { type: row.actor_type as Actor['type'], id: row.actor_id },
    action: row.action,
    subject: row.subject,
    reason: row.reason,
    data: fromJson(row.data, {}),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** Checks one workspace's entries (in stored order) against each other and the head. */
export function verifyChain(
  workspaceId: string,
  rows: AuditEntry[],
  head: { seq: number; hash: string },
): AuditProblem[] {
  const problems: AuditProblem[] = [];
  const byHash = new Map(rows.map((r) => [r.hash, r]));
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  for (const row of rows) {
    const selfConsistent = hashAuditEntry(row) === row.hash;
    if (!selfConsistent) {
      problems.push({
        workspaceId,
        seq: row.seq,
        id: row.id,
        kind: 'edited',
        message: `entry ${row.seq} (${row.id}) was edited: its content no longer matches its hash`,
      });
    } else if (row.prevHash !== prevHash) {
      const linked = byHash.get(row.prevHash);
      if (linked) {
        problems.push({
          workspaceId,
          seq: row.seq,
          id: row.id,
          kind: 'reordered',
          message: `entry ${row.seq} (${row.id}) is out of order: it follows entry ${linked.seq} (${linked.id}) in the chain`,
        });
      } else if (row.seq > expectedSeq) {
        problems.push({
          workspaceId,
          seq: expectedSeq,
          id: null,
          kind: 'deleted',
          message: `entries ${expectedSeq}..${row.seq - 1} before ${row.id} were deleted`,
        });
      } else {
        problems.push({
          workspaceId,
          seq: row.seq,
          id: row.id,
          kind: 'deleted',
          message: `the entry before ${row.seq} (${row.id}) was deleted or replaced`,
        });
      }
    } else if (row.seq !== expectedSeq) {
      problems.push({
        workspaceId,
        seq: row.seq,
        id: row.id,
        kind: 'reordered',
        message: `entry ${row.id} carries position ${row.seq} but sits at position ${expectedSeq}`,
      });
    }
    prevHash = row.hash;
    expectedSeq = row.seq + 1;
  }
  if (head.hash !== prevHash || head.seq !== expectedSeq - 1) {
    const last = rows.at(-1);
    problems.push({
      workspaceId,
      seq: last ? last.seq + 1 : 1,
      id: null,
      kind: 'truncated',
      message: `the chain ends at entry ${last?.seq ?? 0} but ${head.seq} entries were written: the newest were deleted`,
    });
  }
  return problems;
}
