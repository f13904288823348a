import { createHmac, createSecretKey, hkdfSync, type KeyObject, timingSafeEqual } from 'node:crypto';
import { invariant } from '../core/index.ts';

/**
 * MACs over the audit chain, with keys derived from the master key (which never enters the
 * database). Someone who can write the database but does not hold the key cannot produce an entry,
 * head or checkpoint that verifies: a forged append, a recomputed chain or a moved head shows.
 * Each purpose has its own derived key, so an entry MAC can never pass as a head or a checkpoint.
 */
export interface AuditKeys {
  entryMac(workspaceId: string, seq: number, hash: string): string;
  headMac(workspaceId: string, seq: number, hash: string): string;
  /** Signs a checkpoint's canonical body. */
  sign(body: string): string;
  /** Constant-time comparison of a stored MAC with the expected one. */
  matches(stored: string | null, expected: string): boolean;
  /** Identifies the key (not secret): a checkpoint signed with another key says so instead of "forged". */
  readonly keyId: string;
  /**
   * The keys of earlier master keys (still configured during and after a rotation): entries, heads
   * and checkpoints they authenticated keep verifying. New MACs use this key only.
   */
  readonly previous: readonly AuditKeys[];
}

/**
 * A KeyObject, not bytes: createHmac with a Buffer imports the key anew for every MAC, which was
 * a quarter of the audit append's cost in the pipeline (one MAC per entry).
 */
function derive(master: Uint8Array, purpose: string): KeyObject {
  return createSecretKey(
    Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `leadloop audit ${purpose}`, 32)),
  );
}

/** Audit keys derived from the 32-byte master key. */
export function createAuditKeys(
  masterKey: Uint8Array,
  previousMasterKeys: readonly Uint8Array[] = [],
): AuditKeys {
  invariant(masterKey.byteLength === 32, 'the audit master key must be 32 bytes');
  const entryKey = derive(masterKey, 'entry mac');
  const headKey = derive(masterKey, 'head mac');
  const checkpointKey = derive(masterKey, 'checkpoint');
  const mac = (key: KeyObject, text: string) => createHmac('sha256', key).update(text).digest('hex');
  return {
    entryMac: (workspaceId, seq, hash) => mac(entryKey, `${workspaceId}|${seq}|${hash}`),
    headMac: (workspaceId, seq, hash) => mac(headKey, `${workspaceId}|${seq}|${hash}`),
    sign: (body) => mac(checkpointKey, body),
    matches(stored, expected) {
      if (stored === null || stored.length !== expected.length) return false;
      return timingSafeEqual(Buffer.from(stored), Buffer.from(expected));
    },
    keyId: mac(derive(masterKey, 'key id'), 'leadloop').slice(0, 16),
    previous: previousMasterKeys.map((key) => createAuditKeys(key)),
  };
}

/** Whether `stored` is the MAC that this key or one of its predecessors computes with `compute`. */
export function macVerifies(
  keys: AuditKeys,
  stored: string | null,
  compute: (k: AuditKeys) => string,
): boolean {
  return [keys, ...keys.previous].some((k) => k.matches(stored, compute(k)));
}
