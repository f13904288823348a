import { z } from 'zod';
import { canonicalJson, LeadloopError } from '../core/index.ts';
import type { Db } from '../store/index.ts';
import { workspaceRows } from '../store/index.ts';
import { type AuditProblem, type AuditVerification, toEntry, verifyChain } from './audit-chain.ts';
import { type AuditKeys, macVerifies } from './audit-keys.ts';

/**
 * A signed record of every chain's head at one moment (in the spirit of a C2SP checkpoint). Kept
 * away from the database (another host, WORM storage, a SIEM), it lets `verify` notice what a
 * self-contained chain cannot: entries deleted from the end, or a chain recomputed from genesis.
 */
export interface AuditCheckpoint {
  version: 1;
  createdAt: number;
  /** Which key signed it (not secret). */
  keyId: string;
  heads: { workspaceId: string; seq: number; hash: string }[];
  /** HMAC-SHA256 of the canonical JSON of the other fields, with a key derived from the master key. */
  signature: string;
}

const checkpointSchema = z
  .object({
    version: z.literal(1),
    createdAt: z.number().int(),
    keyId: z.string().max(64),
    heads: z.array(
      z.object({ workspaceId: z.string().max(64), seq: z.number().int().min(0), hash: z.string().max(64) }),
    ),
    signature: z.string().max(128),
  })
  .strict();

/** Parses a checkpoint file's text; throws with a readable message when it is not one. */
export function parseCheckpoint(text: string): AuditCheckpoint {
  const parsed = checkpointSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new LeadloopError(
      'validation_failed',
      `not an audit checkpoint: ${parsed.error.issues[0]?.message}`,
    );
  return parsed.data;
}

function checkpointBody(c: Omit<AuditCheckpoint, 'signature'>): string {
  return canonicalJson({ version: c.version, createdAt: c.createdAt, keyId: c.keyId, heads: c.heads });
}

export function signCheckpoint(
  keys: AuditKeys | undefined,
  createdAt: number,
  heads: AuditCheckpoint['heads'],
): AuditCheckpoint {
  if (!keys)
    throw new LeadloopError('validation_failed', 'a checkpoint needs the audit key (the master key)');
  const body = { version: 1 as const, createdAt, keyId: keys.keyId, heads };
  return { ...body, signature: keys.sign(checkpointBody(body)) };
}

function checkpointProblem(checkpoint: AuditCheckpoint, keys: AuditKeys | undefined): AuditProblem | null {
  const problem = (message: string): AuditProblem => ({
    workspaceId: '*',
    seq: 0,
    id: null,
    kind: 'checkpoint_invalid',
    message,
  });
  if (!keys) return problem('the checkpoint cannot be checked without the audit key');
  const signer = [keys, ...keys.previous].find((k) => k.keyId === checkpoint.keyId);
  if (!signer)
    return problem(`the checkpoint was signed with another key (${checkpoint.keyId}, not ${keys.keyId})`);
  if (!signer.matches(checkpoint.signature, signer.sign(checkpointBody(checkpoint))))
    return problem('the checkpoint signature does not verify: the file was altered');
  return null;
}

/**
 * Verifies every chain the caller's data scope shows. Workspaces are enumerated from the
 * directory, the heads and the log (and the checkpoint), so no single deleted row hides a chain.
 */
export async function verifyAuditTrail(options: {
  db: Db;
  keys: AuditKeys | undefined;
  workspaceId?: string | undefined;
  checkpoint?: AuditCheckpoint | undefined;
}): Promise<AuditVerification> {
  const { db, keys, workspaceId, checkpoint } = options;
  const only = <T>(ids: T[], idOf: (t: T) => string) =>
    ids.map(idOf).filter((id) => workspaceId === undefined || id === workspaceId);
  const directory = new Set(only(await db.selectFrom('workspaces').select('id').execute(), (r) => r.id));
  const heads = new Map(
    (await db.selectFrom('audit_heads').selectAll().execute())
      .filter((h) => workspaceId === undefined || h.workspace_id === workspaceId)
      .map((h) => [h.workspace_id, h]),
  );
  const logged = only(
    await db.selectFrom('audit_log').select('workspace_id').distinct().execute(),
    (r) => r.workspace_id,
  );
  const problems: AuditProblem[] = [];
  const invalid = checkpoint ? checkpointProblem(checkpoint, keys) : null;
  if (invalid) problems.push(invalid);
  const anchored = new Map(
    checkpoint && !invalid
      ? checkpoint.heads
          .filter((h) => workspaceId === undefined || h.workspaceId === workspaceId)
          .map((h) => [h.workspaceId, h])
      : [],
  );
  const all = [...new Set([...directory, ...heads.keys(), ...logged, ...anchored.keys()])].sort();
  // Past a checkpoint, a MAC must be the current key's or the checkpoint signer's. A retired key
  // (one that leaked is the reason to rotate) may only have written what the checkpoint anchors,
  // so a checkpoint taken after a rotation shuts the old key out of every chain's future.
  const signer =
    keys && checkpoint && !invalid
      ? [keys, ...keys.previous].find((k) => k.keyId === checkpoint.keyId)
      : undefined;
  const sinceCheckpoint = keys && signer ? (signer === keys ? [keys] : [keys, signer]) : undefined;
  let entries = 0;
  const resealed: AuditVerification['resealed'] = [];
  for (const ws of all) {
    const rows = await workspaceRows(db, 'audit_log', ws, {}, ['seq']);
    entries += rows.length;
    const head = heads.get(ws);
    const fail = (kind: AuditProblem['kind'], seq: number, id: string | null, message: string) =>
      problems.push({ workspaceId: ws, seq, id, kind, message });
    if (rows.length === 0 && (directory.has(ws) || anchored.has(ws))) {
      // Every workspace's chain starts with its creation entry: none at all means it was deleted.
      fail('missing_chain', 1, null, `workspace ${ws} has no audit entries: its chain was deleted`);
    }
    const chained = rows.map(toEntry);
    const last = chained.at(-1);
    for (const entry of chained)
      if (entry.action === 'audit.resealed' && typeof entry.data.upTo === 'number')
        resealed.push({ workspaceId: ws, upTo: entry.data.upTo, seq: entry.seq, at: entry.at });
    if (!head) {
      if (rows.length > 0)
        fail(
          'missing_head',
          last?.seq ?? 0,
          null,
          `the chain of ${ws} has no head: the head row was deleted`,
        );
      problems.push(
        ...verifyChain(ws, chained, { seq: last?.seq ?? 0, hash: last?.hash ?? '' }).filter(
          (p) => p.kind !== 'truncated',
        ),
      );
    } else {
      problems.push(...verifyChain(ws, chained, { seq: Number(head.seq), hash: head.hash }));
    }
    if (keys) {
      const anchoredSeq = anchored.get(ws)?.seq ?? 0;
      const authentic = (seq: number, compute: (k: AuditKeys) => string, mac: string | null) =>
        sinceCheckpoint && seq > anchoredSeq
          ? sinceCheckpoint.some((k) => k.matches(mac, compute(k)))
          : macVerifies(keys, mac, compute);
      for (const row of rows) {
        if (!authentic(Number(row.seq), (k) => k.entryMac(ws, Number(row.seq), row.hash), row.mac))
          fail(
            'forged',
            Number(row.seq),
            row.id,
            `entry ${row.seq} (${row.id}) is not authenticated by this installation's audit key: it was written or recomputed outside Leadloop`,
          );
      }
      if (head && !authentic(Number(head.seq), (k) => k.headMac(ws, Number(head.seq), head.hash), head.mac))
        fail(
          'forged',
          Number(head.seq),
          null,
          `the head of ${ws} was moved outside Leadloop (its MAC does not verify)`,
        );
    }
    const anchor = anchored.get(ws);
    if (anchor && anchor.seq > 0) {
      const at = rows.find((r) => Number(r.seq) === anchor.seq);
      if (!at)
        fail(
          'truncated',
          anchor.seq,
          null,
          `the checkpoint of ${new Date(checkpoint?.createdAt ?? 0).toISOString()} recorded ${anchor.seq} entries; the chain now ends at ${last?.seq ?? 0}`,
        );
      else if (at.hash !== anchor.hash)
        fail(
          'rewritten',
          anchor.seq,
          at.id,
          `entry ${anchor.seq} differs from the one the checkpoint recorded: the chain was rewritten since`,
        );
    }
  }
  return {
    workspaces: all.length,
    entries,
    problems,
    authenticated: keys !== undefined,
    checkpoint: checkpoint ? { createdAt: checkpoint.createdAt, workspaces: checkpoint.heads.length } : null,
    resealed,
  };
}
