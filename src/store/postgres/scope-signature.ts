import { createHmac, createSecretKey, hkdfSync } from 'node:crypto';
import { invariant } from '../../core/index.ts';

/**
 * The data scope a transaction presents to PostgreSQL is signed, so that a session holding only
 * the application role's credentials cannot claim another workspace by setting
 * `app.workspace_id` itself. The policies read the scope through `leadloop_scope_workspaces()` /
 * `leadloop_scope_is_scheduler()` (migration 013), which accept it only when `app.scope_proof`
 * carries an HMAC, under a key the role cannot read, over the scope, the backend's pid and an
 * expiry. The key is derived from the master key (which never enters the database); `leadloop
 * migrate` provisions it into `scope_keys`, a table only the owner (and so the definer functions)
 * can read, as the HMAC's padded inner and outer keys so PostgreSQL can compute the standard HMAC
 * with its built-in `sha256` and no extension.
 */
export interface ScopeKey {
  /** Names the key (not secret): the proof says which key signed it, so keys can be rotated. */
  readonly id: string;
  /** HMAC-SHA256 over the scope, the backend pid and the expiry. */
  sign(subject: string, pid: number, expiresAt: number): string;
  /** The key's padded inner and outer blocks, as PostgreSQL stores them. */
  pads(): { ipad: Buffer; opad: Buffer };
}

/** The subject signed for the scheduler's scope; workspace ids cannot start with `*`. */
export const SCHEDULER_SUBJECT = '*scheduler';

/** How long a signed scope stays valid after it is made (transaction start against it, in the database). */
const SCOPE_PROOF_TTL_SECONDS = 300;

/** The data-scope signing key derived from the 32-byte master key. */
export function deriveScopeKey(masterKey: Uint8Array): ScopeKey {
  invariant(masterKey.byteLength === 32, 'the master key must be 32 bytes');
  const key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'leadloop data scope', 32));
  // Imported once: a Buffer key is imported again on every MAC (audit-keys.ts says how much).
  const macKey = createSecretKey(key);
  const id = createHmac('sha256', macKey).update('key id').digest('hex').slice(0, 16);
  return {
    id,
    sign: (subject, pid, expiresAt) =>
      createHmac('sha256', macKey)
        .update(message(id, pid, expiresAt, subject))
        .digest('hex'),
    pads() {
      // RFC 2104: a key shorter than the block (64 bytes) is padded with zeros, then XORed.
      const block = Buffer.alloc(64);
      key.copy(block);
      return { ipad: block.map((b) => b ^ 0x36) as Buffer, opad: block.map((b) => b ^ 0x5c) as Buffer };
    },
  };
}

/** The signed text; the database builds the same one in `leadloop_scope_check`. */
function message(keyId: string, pid: number, expiresAt: number, subject: string): string {
  return `${keyId}|${pid}|${expiresAt}|${subject}`;
}

/** When a proof made at `nowMs` expires, in epoch milliseconds (whole seconds). */
export function scopeProofExpiry(nowMs: number): number {
  return (Math.floor(nowMs / 1000) + SCOPE_PROOF_TTL_SECONDS) * 1000;
}

/** The value of `app.scope_proof`: key id, pid, expiry (epoch seconds) and MAC, dot-separated. */
export function scopeProof(key: ScopeKey, subject: string, pid: number, nowMs: number): string {
  const expiresAt = scopeProofExpiry(nowMs) / 1000;
  return `${key.id}.${pid}.${expiresAt}.${key.sign(subject, pid, expiresAt)}`;
}
